"""Starts one run's Locust processes (one master plus N workers, or one process) and watches them.

The server's local runner and the agent both start runs through this, so a run is launched the
same way on every host. The run directory holds spec.json (written by the caller), the decoded
locustfile, master.pid and, once everything has ended, exit.json.
Stdout and stderr are whatever the caller gave this process (the runners point them at DIR/locust.log).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Dict, List

WORKER_GRACE_S = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_commands(spec: Dict[str, Any], run_dir: str) -> List[List[str]]:
    """The master's (or single process's) command line first, then one per worker."""
    launcher = [sys.executable, "-m", "loadmgr_locust", "locust", "-f", os.path.join(run_dir, "locustfile.py")]
    master = [
        *launcher,
        "--autostart",
        "--autoquit",
        "0",
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(spec.get("webPort") or _free_port()),
        "--users",
        str(spec["users"]),
        "--spawn-rate",
        str(spec["spawnRate"]),
        "--run-time",
        f"{int(spec['durationSeconds'])}s",
        "--host",
        spec["targetUrl"],
        "--stop-timeout",
        str(spec.get("stopTimeoutSec", 5)),
        "--loadmgr-url",
        spec["ingestUrl"],
        "--loadmgr-run-id",
        spec["runId"],
        "--loadmgr-interval",
        str(spec.get("intervalSec", 2)),
        # Locust's own end-of-run figures beside the run (locust_stats.csv …), to compare with ours.
        "--csv",
        os.path.join(run_dir, "locust"),
    ]
    workers = int(spec.get("workers") or 0)
    if workers <= 1:
        return [master]
    port = _free_port()
    master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(workers)]
    worker = [*launcher, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    return [master] + [list(worker) for _ in range(workers)]


def supervise(run_dir: str) -> int:
    run_dir = os.path.abspath(run_dir)
    with open(os.path.join(run_dir, "spec.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    with open(os.path.join(run_dir, "locustfile.py"), "wb") as handle:
        handle.write(base64.b64decode(spec["scriptContent"]))
    commands = build_commands(spec, run_dir)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    processes: List[subprocess.Popen] = []
    stop_requests: List[int] = []

    def forward(signum: int, _frame: Any) -> None:
        # Only the master is told: it stops its workers itself and delivers the final snapshot.
        stop_requests.append(signum)
        if processes and processes[0].poll() is None:
            processes[0].send_signal(signum)

    # Installed before anything starts, so a stop that arrives early is passed on, not fatal to this process.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    master = subprocess.Popen(commands[0], cwd=run_dir, env=env)
    processes.append(master)
    with open(os.path.join(run_dir, "master.pid"), "w", encoding="utf-8") as handle:
        handle.write(str(master.pid))
    if stop_requests:
        master.send_signal(stop_requests[0])
    workers = [subprocess.Popen(command, cwd=run_dir, env=env) for command in commands[1:]]
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
    result = {"exitCode": code if code >= 0 else None, "signal": signal.Signals(-code).name if code < 0 else None, "at": int(time.time() * 1000)}
    with open(os.path.join(run_dir, "exit.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return code if code >= 0 else 128 - code
