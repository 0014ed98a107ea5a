"""Starts one run's Locust processes (one master plus N workers, or one process) and watches them.

The server's local runner and the agent both start runs through this (`loadmgr-locust run-dir DIR`),
so a run is launched the same way on every host. This process is trusted: it sets up the run's
sandbox and limits, and it is the only writer of the run directory's control files. DIR holds
spec.json (written by the caller), exit.json (written here once everything has ended) and work/,
the only place the run's own processes can write (the locustfile, Locust's CSVs). Stdout and stderr
are whatever the caller gave this process (the runners point them at DIR/locust.log).

Inside the sandbox, `loadmgr-locust launch` (launcher.py) starts the master and the workers and passes a stop on to
the master; see sandbox.py for what the sandbox sees.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

from . import project, redact, relay, sandbox_net, seccomp
from .broker import INGEST_SOCKET, NET_SOCKET, SandboxServices
from .netpolicy import Policy
from .sandbox import SOCKETS, WORK, Cgroup, Limits, apply_rlimits, disk_usage, limit_message, own_tree, read_info, run_uid, sandbox_command, sandbox_env, sandbox_files

#: How often the supervisor looks at the run's limits.
WATCH_INTERVAL_S = 0.25
DISK_CHECK_INTERVAL_S = 1.0


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def build_commands(spec: Dict[str, Any], work_dir: str) -> Dict[str, Any]:
    """What `launch` starts: {"master": the master's (or single process's) command line or None,
    "workers": [...], "masterPort": the port the master listens on inside, "relay": ...}.

    A run's part on a host: `role: master` (or none, the same) is the master with `workers` worker
    processes beside it in the same sandbox, and `expectWorkers` in all (those beyond `workers` come
    from other hosts, through the relay); with no workers at all, one Locust process. `role: worker` is
    `workers` worker processes of a master on another host, which they reach through the relay.
    Locust runs headless: its web UI would be an open port that anything reaching the host could drive.
    """
    launcher = [sys.executable, "-m", "loadmgr_locust", "locust"]
    own_dirs = bool(spec.get("workerDirs"))

    def worker_command(index: int, port: int) -> List[str]:
        # With files to split, each worker runs in its own copy of the project (work/.workers/<N>/).
        where = os.path.join(work_dir, ".workers", str(index)) if own_dirs else work_dir
        return [*launcher, "-f", os.path.join(where, "locustfile.py"), "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]

    def worker_dirs(count: int) -> List[str]:
        return [os.path.join(work_dir, ".workers", str(i)) if own_dirs else work_dir for i in range(count)]

    # In the run's own network namespace any port is free; outside it (no sandbox), this host's choice.
    port = _free_port()
    if spec.get("role") == "worker":
        count = max(1, int(spec.get("workers") or 1))
        master = [str(spec["masterHost"]), int(spec["masterPort"])]
        return {"master": None, "workers": [worker_command(i, port) for i in range(count)], "workerDirs": worker_dirs(count), "relay": {"listenPort": port, "to": master}}
    local = int(spec.get("workers") or 0)
    local = local if local > 1 or spec.get("role") == "master" else 0
    expect = max(local, int(spec.get("expectWorkers") or local))
    master = [
        *launcher,
        "-f",
        os.path.join(work_dir, "locustfile.py"),
        "--headless",
        "--users",
        str(spec["users"]),
        "--spawn-rate",
        str(spec["spawnRate"]),
        # The plugin ends the run at its duration itself, so it knows for certain why Locust stopped.
        "--loadmgr-run-time",
        str(int(spec["durationSeconds"])),
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
        os.path.join(work_dir, "locust"),
    ]
    if spec.get("stages"):
        master += ["--loadmgr-stages", json.dumps(spec["stages"])]
    if expect == 0:
        return {"master": master, "workers": []}
    master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(expect)]
    return {"master": master, "workers": [worker_command(i, port) for i in range(local)], "workerDirs": worker_dirs(local), "masterPort": port, "remoteWorkers": expect - local}


def allowed_hosts(spec: Dict[str, Any]) -> List[str]:
    """The run's network allow-list: its target's host and port, the test's allowedHosts, its pool's master."""
    parsed = urllib.parse.urlparse(str(spec.get("targetUrl") or ""))
    entries: List[str] = []
    if parsed.hostname:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
        entries.append(f"{host}:{port}")
    entries += [str(e) for e in spec.get("allowedHosts") or []]
    if spec.get("role") == "worker" and spec.get("masterHost"):
        master = str(spec["masterHost"])
        entries.append(f"[{master}]:{int(spec['masterPort'])}" if ":" in master else f"{master}:{int(spec['masterPort'])}")
    return entries


def _seccomp_pipe() -> Optional[int]:
    """A pipe's read end holding the seccomp filter, for bwrap's --seccomp (None where there is no table for this CPU)."""
    program = seccomp.compiled()
    if program is None:
        return None
    read, write = os.pipe()
    os.write(write, program)
    os.close(write)
    return read


def supervise(run_dir: str) -> int:
    os.umask(0o077)
    # A stop that comes before the sandbox can take one is held and passed on once it can (see forward
    # below), from the first moment: its default action would end this process while bubblewrap sets the
    # sandbox up, and a sandbox's first process cloned just then could outlive them both.
    stop_requests: List[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop_requests.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stop_requests.append(signum))
    run_dir = os.path.abspath(run_dir)
    with open(os.path.join(run_dir, "spec.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    with open(os.path.join(run_dir, "supervisor.json"), "w", encoding="utf-8") as handle:
        json.dump({"pid": os.getpid()}, handle)
    work = os.path.join(run_dir, "work")
    os.makedirs(work, mode=0o700, exist_ok=True)
    # The locustfile and its files (project.py never writes through a link the run may have left).
    script, files = project.decoded(spec)
    project.write_tree(work, script, files)
    role = spec.get("role")
    workers = int(spec.get("workers") or 0)
    # The worker processes this part runs (see build_commands): a master's beside it, or a worker part's.
    worker_count = max(1, workers) if role == "worker" else workers if workers > 1 or role == "master" else 0
    if worker_count > 0 and project.worker_dirs_needed(files):
        # Each worker its own copy, split CSVs cut to its share of the run's workers (on every host).
        base = int(spec.get("workerIndexBase") or 0)
        total = int(spec.get("workerTotal") or worker_count)
        for i in range(worker_count):
            project.write_tree(work, script, files, (base + i, total), prefix=f".workers/{i}/")
        spec["workerDirs"] = True
    limits = Limits.of(spec)
    sandboxed = spec.get("sandbox", True) is not False
    env = sandbox_env()
    # The test's parameters and secrets, as environment variables (names checked by the server; ours win).
    # Secrets come in this process's environment from whoever started it (never in spec.json).
    secret_env = json.loads(os.environ.get("LOADMGR_SECRET_ENV") or "{}")
    secret_env = secret_env if isinstance(secret_env, dict) else {}
    for name, value in {**(spec.get("env") or {}), **secret_env}.items():
        if isinstance(name, str) and isinstance(value, str) and name not in env and not name.startswith("LOADMGR_"):
            env[name] = value
    env[redact.NAMES_ENV] = ",".join(n for n in secret_env if n in env)
    redactor = redact.Redactor(v for v in secret_env.values() if isinstance(v, str))
    # The plugin names the real host; the run's Locust processes go by a secret host name, which its
    # master requires of every worker (see plugin._accept_own_workers_only). A pool run's agents share it.
    env["LOADMGR_HOST_NAME"] = socket.gethostname()
    # A run split over regions: the region this host's processes count in (the plugin's per-region figures).
    region = spec.get("region")
    if isinstance(region, str) and region:
        env["LOADMGR_REGION"] = region[:63]
    run_secret = str(spec.get("runSecret") or secrets.token_hex(16))
    env["LOADMGR_RUN_SECRET"] = run_secret
    # The run's only ways out: the broker (its targets) and the ingest relay (its reports), see broker.py.
    sockets_dir = os.path.join(run_dir, "sockets")
    def stop_reported() -> None:
        with open(os.path.join(run_dir, "reported-stop"), "w", encoding="utf-8") as handle:
            handle.write(str(int(time.time() * 1000)))

    deny = [(str(d[0]), int(d[1])) for d in (spec.get("network") or {}).get("deny") or []]
    # The master's host takes no inbound connection: its remote workers come through the server's relay.
    relayed = bool(spec.get("relayWorkers"))
    relay_url = str(spec.get("relayUrl") or spec["ingestUrl"])
    master_dial = None
    if relayed and role == "worker":
        relay_token = os.environ.get("LOADMGR_RELAY_TOKEN", "")
        master_dial = lambda: relay.dial(relay_url, f"{spec['runId']}/worker", relay_token)  # noqa: E731
    services = SandboxServices(sockets_dir, Policy.of(allowed_hosts(spec), deny), str(spec["ingestUrl"]), os.environ.get("LOADMGR_INGEST_TOKEN", ""), stop_reported, master_dial)
    spec["ingestUrl"] = f"unix:{os.path.join(SOCKETS if sandboxed else sockets_dir, INGEST_SOCKET)}"
    if sandboxed:
        env[sandbox_net.BROKER_ENV] = os.path.join(SOCKETS, NET_SOCKET)
    visible_work = WORK if sandboxed else work
    commands = build_commands(spec, visible_work)
    passed: Tuple[int, ...] = ()
    master_relay: Optional[relay.MasterRelay] = None
    if commands.get("remoteWorkers"):
        # The pool's other agents reach this run's master here (or, relayed, only this supervisor does);
        # the sandbox relays what comes in to it.
        listener = socket.create_server(("127.0.0.1" if relayed else "0.0.0.0", 0), backlog=128)
        with open(os.path.join(run_dir, "master.json"), "w", encoding="utf-8") as handle:
            json.dump({"port": listener.getsockname()[1]}, handle)
        commands["relay"] = {"listenFd": listener.fileno(), "to": commands["masterPort"]}
        passed = (listener.fileno(),)
        if relayed:
            master_relay = relay.MasterRelay(relay_url, str(spec["runId"]), os.environ.get("LOADMGR_INGEST_TOKEN", ""), listener.getsockname()[1])
    elif master_dial is not None and commands.get("relay"):
        commands["relay"].update(via="server", broker=os.path.join(SOCKETS if sandboxed else sockets_dir, NET_SOCKET))
    launch = [sys.executable, "-m", "loadmgr_locust", "launch"]
    # Named after the run directory: a pool run's master and workers may share a host, each with its own.
    cgroup = Cgroup.create(f"loadmgr-{os.path.basename(run_dir)}", limits)
    if cgroup is not None:
        # For whoever must kill the run outright (the server, the agent): every process in it, wherever it went.
        with open(os.path.join(run_dir, "cgroup.json"), "w", encoding="utf-8") as handle:
            json.dump({"dirs": sorted(set(cgroup.dirs.values()))}, handle)

    def prepare_child() -> None:
        apply_rlimits(limits, cgroup is not None)
        if cgroup is not None:
            cgroup.enter()

    info_read: Optional[int] = None
    seccomp_fd: Optional[int] = None
    # Held open by this process alone (not inherited by bwrap): the sandbox ends itself when it closes.
    lifeline_read, lifeline_write = os.pipe()
    commands["lifeline"] = lifeline_read
    commands["sandboxed"] = sandboxed
    # The launcher writes a byte here once its signal handlers are in place: a stop sent before then
    # would be lost (the first process of a pid namespace does not take a signal it has no handler for).
    ready_read, ready_write = os.pipe()
    commands["ready"] = ready_write
    passed += (lifeline_read, ready_write)
    output_read, output_write = os.pipe()
    try:
        if sandboxed:
            if os.geteuid() == 0:
                # Root in no user namespace: the sandbox's first step becomes the run's own unprivileged uid.
                uid = own_tree(work, run_uid(os.path.basename(run_dir)))
                launch += ["--as", f"{uid}:{uid}"]
            else:
                launch += ["--as", "-"]
            info_read, info_write = os.pipe()
            seccomp_fd = _seccomp_pipe()
            etc = sandbox_files(run_dir, {})
            command = sandbox_command(work, sockets_dir, etc, f"loadmgr-{run_secret}", env, limits, info_write, seccomp_fd, [*launch, json.dumps(commands)])
            passed += (info_write,) + ((seccomp_fd,) if seccomp_fd is not None else ())
            child = subprocess.Popen(command, cwd=work, env={"PATH": env["PATH"]}, pass_fds=passed, stdout=output_write, stderr=output_write, preexec_fn=prepare_child)
            os.close(info_write)
        else:
            child = subprocess.Popen([*launch, json.dumps(commands)], cwd=work, env=env, pass_fds=passed, stdout=output_write, stderr=output_write, preexec_fn=prepare_child, start_new_session=True)
    finally:
        os.close(output_write)
        os.close(lifeline_read)
        os.close(ready_write)
        if seccomp_fd is not None:
            os.close(seccomp_fd)
    # Locust's output reaches the run's log with the run's secrets hidden (never on disk in the clear).
    copier = threading.Thread(target=redact.copy_redacted, args=(os.fdopen(output_read, "rb"), sys.stdout.buffer, redactor), daemon=True)
    copier.start()
    delivered: List[int] = []
    target: List[int] = []
    ready = threading.Event()
    # Held by whichever of the signal handler (main thread) and the readiness thread passes stops on.
    passing_on = threading.RLock()

    def pass_on() -> None:
        """Sends the launcher the stops it has not had yet, once it can take them."""
        with passing_on:
            if not ready.is_set():
                return
            for signum in stop_requests[len(delivered) :]:
                delivered.append(signum)
                for pid in target:
                    _signal(pid, signum)

    def forward(signum: int, _frame: Any) -> None:
        stop_requests.append(signum)
        pass_on()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    launcher_pid = read_info(info_read) if info_read is not None else child.pid
    if launcher_pid is not None:
        target.append(launcher_pid)

    def when_ready() -> None:
        try:
            os.read(ready_read, 1)  # its byte, or nothing once it has ended without writing it
        except OSError:
            pass
        finally:
            os.close(ready_read)
        ready.set()
        pass_on()

    threading.Thread(target=when_ready, daemon=True).start()

    orphaned = _end_with_agent(launcher_pid, child, sandboxed)
    limit = _watch(child, cgroup, limits, work)
    if limit is not None:
        print(f"loadmgr: {limit_message(limit, limits)}", file=sys.stderr, flush=True)
        if launcher_pid is not None:
            _signal(launcher_pid, signal.SIGKILL)
        if not sandboxed:
            _signal(-child.pid, signal.SIGKILL)
    code = child.wait()
    # Whatever of the sandbox outlived its bubblewrap ends now.
    os.close(lifeline_write)
    if limit is None and cgroup is not None:
        # The kernel may end the run's processes for a limit before the watch above saw the breach.
        limit = cgroup.breach()
    if cgroup is not None:
        cgroup.remove()
    copier.join(timeout=5)
    if master_relay is not None:
        master_relay.close()
    if role != "worker" and launcher_pid is not None:
        collect_files(run_dir, work, str(spec["runId"]), services.ingest.relay.forward)  # type: ignore[attr-defined]
    services.close()
    # The launcher exits 128+N when the master was killed by signal N (as a shell does); bwrap passes that on.
    killed_by = -code if code < 0 else code - 128 if 128 < code < 128 + signal.NSIG else None
    result: Dict[str, Any] = {
        "exitCode": code if killed_by is None else None,
        "signal": signal.Signals(killed_by).name if killed_by is not None else None,
        "at": int(time.time() * 1000),
    }
    if limit is not None:
        result.update({"limit": limit, "message": limit_message(limit, limits)})
    elif orphaned.is_set():
        result["message"] = "the agent that started this run ended, so the run's processes here ended with it"
    with open(os.path.join(run_dir, "exit.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return code if code >= 0 else 128 - code


#: Locust's files in the run's work directory that go to the server as its master ends (then its log).
LOCUST_FILES = ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv", "locust_exceptions.csv")
#: The most of one file the server keeps (shared/src/ingest.ts: MAX_RUN_FILE_BYTES).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Written in the run's directory once the server has every file: the agent may then remove the directory.
FILES_COLLECTED = "files-collected"


def read_run_file(path: str, keep_tail: bool = False, limit: int = MAX_FILE_BYTES) -> Optional[Tuple[bytes, bool]]:
    """A file the run's processes wrote, read as this (trusted, maybe root) process may: a regular file
    only, never through a link the run left in its place, never blocking on a FIFO; at most `limit`
    bytes, cut at a line (a CSV's first lines, a log's last). None when there is no such file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        truncated = info.st_size > limit
        if truncated and keep_tail:
            os.lseek(fd, info.st_size - limit, os.SEEK_SET)
        chunks: List[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if truncated:
            data = data[data.find(b"\n") + 1 :] if keep_tail else data[: data.rfind(b"\n") + 1]
        return data, truncated
    finally:
        os.close(fd)


def collect_files(run_dir: str, work: str, run_id: str, forward: Any) -> bool:
    """Sends Locust's CSVs and the run's log to the server (POST /v1/internal/locust/files, through the
    ingest relay's `forward`, which adds the run's token); marks the directory FILES_COLLECTED once all
    arrived. Whether they did."""
    wanted = [(name, os.path.join(work, name), False) for name in LOCUST_FILES]
    wanted.append(("locust.log", os.path.join(run_dir, "locust.log"), True))
    sent = True
    for name, path, keep_tail in wanted:
        found = read_run_file(path, keep_tail)
        if found is None:
            continue
        data, truncated = found
        body = {"runId": run_id, "name": name, "contentBase64": base64.b64encode(data).decode(), "truncated": truncated}
        status, answer = forward("/v1/internal/locust/files", json.dumps(body).encode())
        if status >= 300:
            sent = False
            print(f"loadmgr: the server did not take {name} ({status}): {answer[:300].decode('utf-8', 'replace')}", file=sys.stderr, flush=True)
    if sent:
        with open(os.path.join(run_dir, FILES_COLLECTED), "w", encoding="utf-8") as handle:
            handle.write(str(int(time.time() * 1000)))
    return sent


def _watch(child: subprocess.Popen, cgroup: Optional[Cgroup], limits: Limits, work: str) -> Optional[str]:
    """Waits for the child to end; the limit it broke, if it had to be ended for that."""
    disk_limit = limits.disk_mb * 1024 * 1024
    next_disk_check = 0.0
    while True:
        try:
            child.wait(timeout=WATCH_INTERVAL_S)
            return None
        except subprocess.TimeoutExpired:
            pass
        if cgroup is not None:
            breach = cgroup.breach()
            if breach is not None:
                return breach
        if time.monotonic() >= next_disk_check:
            next_disk_check = time.monotonic() + DISK_CHECK_INTERVAL_S
            if disk_usage(work, disk_limit) > disk_limit:
                return "disk"


#: The environment variable naming this supervisor's end of its lifeline to the agent (dialout.py).
AGENT_LIFELINE_ENV = "LOADMGR_AGENT_LIFELINE"


def _end_with_agent(launcher_pid: Optional[int], child: subprocess.Popen, sandboxed: bool) -> threading.Event:
    """Ends the run when the agent that started it is gone (its lifeline pipe closes): a run part whose
    agent was killed would otherwise go on unseen, and the agent's next process could be handed it again.
    Started without an agent (a test, by hand), the run goes on as long as it goes. Set once it did."""
    orphaned = threading.Event()
    fd = os.environ.get(AGENT_LIFELINE_ENV)
    if not fd or not fd.isdigit():
        return orphaned

    def watch() -> None:
        try:
            while os.read(int(fd), 1):
                pass
        except OSError:
            pass
        if child.poll() is not None:
            return
        orphaned.set()
        print("loadmgr: the agent that started this run is gone: ending the run's processes here", file=sys.stderr, flush=True)
        if launcher_pid is not None:
            _signal(launcher_pid, signal.SIGKILL)
        _signal(child.pid if sandboxed else -child.pid, signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()
    return orphaned


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
