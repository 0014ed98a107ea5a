"""Starts one run's Locust processes (one master plus N workers, or one process) and watches them.

The server's local runner and the agent both start runs through this (`loadmgr-locust run-dir DIR`),
so a run is launched the same way on every host. This process is trusted: it sets up the run's
sandbox and limits, and it is the only writer of the run directory's control files. DIR holds
spec.json (written by the caller), exit.json (written here once everything has ended) and work/,
the only place the run's own processes can write (the locustfile, Locust's CSVs). Stdout and stderr
are whatever the caller gave this process (the runners point them at DIR/locust.log).

Inside the sandbox, `loadmgr-locust launch` starts the master and the workers and passes a stop on to
the master; see sandbox.py for what the sandbox sees.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

from . import project
from .sandbox import WORK, Cgroup, Limits, apply_rlimits, disk_usage, limit_message, read_info, sandbox_command, sandbox_env

WORKER_GRACE_S = 15
#: How often the supervisor looks at the run's limits.
WATCH_INTERVAL_S = 0.25
DISK_CHECK_INTERVAL_S = 1.0


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def build_commands(spec: Dict[str, Any], work_dir: str, run_dir: Optional[str] = None) -> Dict[str, Any]:
    """What `launch` starts: {"master": the master's (or single process's) command line or None, "workers": [...]}.

    A run on one host (no `role`): one process, or a master and `workers` workers on loopback. A pool run
    has a part per agent: `role: master` (the master alone, listening on every interface for the pool's
    workers; its port goes to run_dir/master.json for the agent to report) or `role: worker` (`workers`
    worker processes that connect to masterHost:masterPort).
    Locust runs headless: its web UI would be an open port on the host that any other run could drive.
    """
    launcher = [sys.executable, "-m", "loadmgr_locust", "locust"]
    own_dirs = bool(spec.get("workerDirs"))

    def worker_command(index: int, *connect: str) -> List[str]:
        # With files to split, each worker runs in its own copy of the project (work/.workers/<N>/).
        where = os.path.join(work_dir, ".workers", str(index)) if own_dirs else work_dir
        return [*launcher, "-f", os.path.join(where, "locustfile.py"), "--worker", *connect]

    def worker_dirs(count: int) -> List[str]:
        return [os.path.join(work_dir, ".workers", str(i)) if own_dirs else work_dir for i in range(count)]

    role = spec.get("role")
    if role == "worker":
        count = max(1, int(spec.get("workers") or 1))
        connect = ("--master-host", str(spec["masterHost"]), "--master-port", str(int(spec["masterPort"])))
        return {"master": None, "workers": [worker_command(i, *connect) for i in range(count)], "workerDirs": worker_dirs(count)}
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
    if role == "master":
        port = _free_port("0.0.0.0")
        if run_dir is not None:
            with open(os.path.join(run_dir, "master.json"), "w", encoding="utf-8") as handle:
                json.dump({"port": port}, handle)
        master += ["--master", "--master-bind-host", "0.0.0.0", "--master-bind-port", str(port), "--expect-workers", str(int(spec.get("expectWorkers") or 1))]
        return {"master": master, "workers": []}
    workers = int(spec.get("workers") or 0)
    if workers <= 1:
        return {"master": master, "workers": []}
    port = _free_port()
    master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(workers)]
    connect = ("--master-host", "127.0.0.1", "--master-port", str(port))
    return {"master": master, "workers": [worker_command(i, *connect) for i in range(workers)], "workerDirs": worker_dirs(workers)}


def launch(commands: Dict[str, Any]) -> int:
    """Inside the sandbox: runs the master and the workers until the master has ended (or, with no
    master here, until the workers have)."""
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
    dirs = commands.get("workerDirs") or []

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


def supervise(run_dir: str) -> int:
    os.umask(0o077)
    run_dir = os.path.abspath(run_dir)
    with open(os.path.join(run_dir, "spec.json"), encoding="utf-8") as handle:
        spec = json.load(handle)
    work = os.path.join(run_dir, "work")
    os.makedirs(work, mode=0o700, exist_ok=True)
    # The locustfile and its files (project.py never writes through a link the run may have left).
    script, files = project.decoded(spec)
    project.write_tree(work, script, files)
    role = spec.get("role")
    local_workers = int(spec.get("workers") or 0) if role is None else 0
    worker_count = max(1, int(spec.get("workers") or 1)) if role == "worker" else local_workers if local_workers > 1 else 0
    if worker_count > 0 and project.worker_dirs_needed(files):
        # Each worker its own copy, split CSVs cut to its share of the run's workers (on every host).
        base = int(spec.get("workerIndexBase") or 0)
        total = int(spec.get("workerTotal") or worker_count)
        for i in range(worker_count):
            project.write_tree(work, script, files, (base + i, total), prefix=f".workers/{i}/")
        spec["workerDirs"] = True
    limits = Limits.of(spec)
    sandboxed = spec.get("sandbox", True) is not False
    env = sandbox_env(os.environ.get("LOADMGR_INGEST_TOKEN", ""))
    # The test's parameters and secrets, as environment variables (names checked by the server; ours win).
    # Secrets come in this process's environment from whoever started it (never in spec.json).
    secret_env = json.loads(os.environ.get("LOADMGR_SECRET_ENV") or "{}")
    for name, value in {**(spec.get("env") or {}), **(secret_env if isinstance(secret_env, dict) else {})}.items():
        if isinstance(name, str) and isinstance(value, str) and name not in env and not name.startswith("LOADMGR_"):
            env[name] = value
    # The plugin names the real host; the run's Locust processes go by a secret host name, which its
    # master requires of every worker (see plugin._accept_own_workers_only). A pool run's agents share it.
    env["LOADMGR_HOST_NAME"] = socket.gethostname()
    run_secret = str(spec.get("runSecret") or secrets.token_hex(16))
    env["LOADMGR_RUN_SECRET"] = run_secret
    visible_work = WORK if sandboxed else work
    inner = [sys.executable, "-m", "loadmgr_locust", "launch", json.dumps(build_commands(spec, visible_work, run_dir))]
    # Named after the run directory: a pool run's master and workers may share a host, each with its own.
    cgroup = Cgroup.create(f"loadmgr-{os.path.basename(run_dir)}", limits)
    if cgroup is not None:
        # For whoever must kill the run outright (the server, the agent): every process in it, wherever it went.
        with open(os.path.join(run_dir, "cgroup.json"), "w", encoding="utf-8") as handle:
            json.dump({"dirs": sorted(set(cgroup.dirs.values()))}, handle)
    if cgroup is None:
        print("loadmgr: no cgroup could be made; processes and memory are limited per process (rlimits)", file=sys.stderr, flush=True)

    def prepare_child() -> None:
        apply_rlimits(limits, cgroup is not None)
        if cgroup is not None:
            cgroup.enter()

    info_read: Optional[int] = None
    if sandboxed:
        info_read, info_write = os.pipe()
        command = sandbox_command(work, f"loadmgr-{run_secret}", env, limits, info_write, inner)
        child = subprocess.Popen(command, cwd=work, env={"PATH": env["PATH"]}, pass_fds=(info_write,), preexec_fn=prepare_child)
        os.close(info_write)
    else:
        child = subprocess.Popen(inner, cwd=work, env=env, preexec_fn=prepare_child, start_new_session=True)
    stop_requests: List[int] = []
    target: List[int] = []

    def forward(signum: int, _frame: Any) -> None:
        stop_requests.append(signum)
        for pid in target:
            _signal(pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    launcher_pid = read_info(info_read) if info_read is not None else child.pid
    if launcher_pid is not None:
        target.append(launcher_pid)
        if stop_requests:
            _signal(launcher_pid, stop_requests[0])

    limit = _watch(child, cgroup, limits, work)
    if limit is not None:
        print(f"loadmgr: {limit_message(limit, limits)}", file=sys.stderr, flush=True)
        if launcher_pid is not None:
            _signal(launcher_pid, signal.SIGKILL)
        if not sandboxed:
            _signal(-child.pid, signal.SIGKILL)
    code = child.wait()
    if cgroup is not None:
        cgroup.remove()
    # The launcher exits 128+N when the master was killed by signal N (as a shell does); bwrap passes that on.
    killed_by = -code if code < 0 else code - 128 if 128 < code < 128 + signal.NSIG else None
    result: Dict[str, Any] = {
        "exitCode": code if killed_by is None else None,
        "signal": signal.Signals(killed_by).name if killed_by is not None else None,
        "at": int(time.time() * 1000),
    }
    if limit is not None:
        result.update({"limit": limit, "message": limit_message(limit, limits)})
    with open(os.path.join(run_dir, "exit.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return code if code >= 0 else 128 - code


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


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
