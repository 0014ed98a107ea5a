"""Inside a run's sandbox: its first process (`loadmgr-locust launch`), which seals the sandbox, starts
the run's Locust master and workers, relays its traffic with the run's other hosts, and ends
everything once its supervisor is gone. Kept apart from supervisor.py so that it imports little: it
is on the path from a placed run to its first request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional

from . import relay, sandbox_net
from .sandbox import WORK, seal

WORKER_GRACE_S = 15


def _die_with_supervisor(lifeline: int, own_pid_namespace: bool) -> None:
    """Ends every process of the run once its supervisor is gone, however it went (killed outright, its
    host's agent killed): `lifeline` is a pipe only the supervisor holds open, read here until it closes.
    (bubblewrap's --die-with-parent does not survive the sandbox's change of uid.)"""

    def watch() -> None:
        try:
            while os.read(lifeline, 1):
                pass
        except OSError:
            pass
        if not own_pid_namespace:
            os.killpg(0, signal.SIGKILL)
        # The first process of a pid namespace: when it ends, the kernel ends every other one in it.
        os._exit(137)

    threading.Thread(target=watch, daemon=True).start()


def _relay(listener: socket.socket, connect: Any) -> None:
    """Serves `listener` for ever: each connection is joined to a new one from `connect()`, both ways."""

    def serve() -> None:
        while True:
            try:
                incoming, _ = listener.accept()
            except OSError:
                return
            try:
                outgoing = connect()
            except OSError as error:
                print(f"loadmgr: relay: {error}", file=sys.stderr, flush=True)
                incoming.close()
                continue
            relay.pump(incoming, outgoing)

    threading.Thread(target=serve, daemon=True).start()


def start_relay(relay: Dict[str, Any]) -> None:
    """Inside the sandbox, the run's traffic with its other hosts: a master's workers that come from
    other agents (the supervisor passes the listening socket it made on this host: `listenFd`), or
    workers' connections to a master on another agent (through the broker, which holds that master in
    the run's allow-list, or, `via: server`, has the server's relay join them to it)."""
    if "listenFd" in relay:
        listener = socket.socket(fileno=int(relay["listenFd"]))
        inner = ("127.0.0.1", int(relay["to"]))
        _relay(listener, lambda: socket.create_connection(inner, timeout=10))
        return
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(relay["listenPort"])))
    listener.listen(128)
    if relay.get("via") == "server":
        # The master's host takes no inbound connection: each connection goes through the server's relay.
        broker = str(relay["broker"])
        _relay(listener, lambda: sandbox_net.master_connection(broker))
        return
    host, port = str(relay["to"][0]), int(relay["to"][1])

    def outward() -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        if os.environ.get(sandbox_net.BROKER_ENV):
            sandbox_net.broker_connect(sock, (host, port), None, blocking=True)
        else:
            sock.settimeout(10)
            sock.connect((host, port))
            sock.settimeout(None)
        return sock

    _relay(listener, outward)


def launch(commands: Dict[str, Any], identity: Optional[str] = None) -> int:
    """Inside the sandbox: seals it (see sandbox.seal; `identity` is "UID:GID" to become, or "-" when
    the user namespace has made it unprivileged already), then runs the master and the workers until
    the master has ended (or, with no master here, until the workers have)."""
    if identity is not None:
        uid, _, gid = identity.partition(":")
        seal(int(uid) if uid.isdigit() else None, int(gid) if gid.isdigit() else None)
        os.chdir(WORK)
    processes: List[subprocess.Popen] = []
    stop_requests: List[int] = []
    master_command = commands.get("master")

    def forward(signum: int, _frame: Any) -> None:
        # Only the master is told: it stops its workers itself and delivers the final snapshot.
        # Workers without their master here are told themselves.
        stop_requests.append(signum)
        for process in processes[:1] if master_command is not None else processes:
            if process.poll() is None:
                process.send_signal(signum)

    # Installed before anything starts, so a stop that arrives early is passed on, not fatal to this process.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    if commands.get("ready") is not None:
        # The supervisor holds a stop until now: as the first process of a pid namespace, this one
        # would not even have died of a signal it had no handler for; it would have lost it.
        os.write(int(commands["ready"]), b"1")
        os.close(int(commands["ready"]))
    dirs = commands.get("workerDirs") or []
    if commands.get("lifeline") is not None:
        _die_with_supervisor(int(commands["lifeline"]), bool(commands.get("sandboxed")))
    if commands.get("relay"):
        start_relay(commands["relay"])

    def start_worker(index: int, command: List[str]) -> subprocess.Popen:
        # A worker runs in its own copy of the project when it has one: relative paths find its share.
        return subprocess.Popen(command, cwd=dirs[index] if index < len(dirs) else None)

    if master_command is None:
        for index, command in enumerate(commands["workers"]):
            processes.append(start_worker(index, command))
            if stop_requests:
                processes[-1].send_signal(stop_requests[0])
        codes = [p.wait() for p in processes]
        worst = min(codes) if any(c < 0 for c in codes) else max(codes)
        return worst if worst >= 0 else 128 - worst
    master = subprocess.Popen(master_command)
    processes.append(master)
    if stop_requests:
        master.send_signal(stop_requests[0])
    workers = [start_worker(index, command) for index, command in enumerate(commands["workers"])]
    code = master.wait()
    # A master only tells the workers it knows of to quit: one still waiting out --stop-timeout after a
    # stop (Locust re-registers it only then) is not told, and would wait for a master that is gone.
    # So workers left a moment after the master are asked to quit, then killed after a grace period.
    deadline = time.monotonic() + (WORKER_GRACE_S if code >= 0 else 0)
    for worker in workers:
        try:
            worker.wait(timeout=1 if code >= 0 else 0.1)
        except subprocess.TimeoutExpired:
            worker.terminate()
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return code if code >= 0 else 128 - code
