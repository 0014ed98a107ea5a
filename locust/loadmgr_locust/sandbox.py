"""The sandbox a run's Locust processes live in, and the limits that end a run which breaks them.

Every Locust process of a run runs in one bubblewrap sandbox: new user, pid, ipc and uts namespaces;
a read-only view of the Python environment and the system's libraries and certificates; the run's
work directory as the only writable place, and a private /tmp; an allow-listed environment. It sees
nothing of the server, its data directory, other runs or other processes.

The supervisor outside it is trusted and enforces the limits: processes and memory through a cgroup
where one can be made (else rlimits), open files and file size through rlimits, the work directory's
size by measuring it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

#: Where the run's work directory appears inside the sandbox (its working directory and HOME).
WORK = "/loadtest"
#: Files under /etc a Python HTTP client needs: name resolution, certificates, time zone.
ETC_FILES = (
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/alternatives",
)


@dataclass(frozen=True)
class Limits:
    processes: int = 512
    memory_mb: int = 2048
    open_files: int = 10_000
    disk_mb: int = 1024

    @staticmethod
    def of(spec: Dict[str, Any]) -> "Limits":
        given = spec.get("limits") or {}
        defaults = Limits()
        return Limits(
            processes=int(given.get("processes", defaults.processes)),
            memory_mb=int(given.get("memoryMb", defaults.memory_mb)),
            open_files=int(given.get("openFiles", defaults.open_files)),
            disk_mb=int(given.get("diskMb", defaults.disk_mb)),
        )


def bwrap_path() -> Optional[str]:
    return shutil.which("bwrap")


def _ro_binds(paths: List[str]) -> List[str]:
    args: List[str] = []
    for path in paths:
        args += ["--ro-bind-try", path, path]
    return args


def sandbox_command(work_dir: str, hostname: str, env: Dict[str, str], limits: Limits, info_fd: int, inner: List[str]) -> List[str]:
    """The bwrap command line that runs `inner` in a run's sandbox."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed: run scripts/setup-python.sh or apt-get install bubblewrap")
    # The interpreter's installation and the venv (with Locust and this package) are all a run needs of Python.
    python_dirs = sorted({os.path.realpath(sys.base_prefix), os.path.abspath(sys.prefix)})
    args = [
        bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        hostname,
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--info-fd",
        str(info_fd),
        # The private /tmp first: anything bound below /tmp (a venv, a run directory) goes on top of it.
        "--size",
        str(limits.disk_mb * 1024 * 1024),
        "--tmpfs",
        "/tmp",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        *_ro_binds([d for d in python_dirs if not d.startswith("/usr/")]),
        *_ro_binds(list(ETC_FILES)),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--bind",
        work_dir,
        WORK,
        "--remount-ro",
        "/",
        "--chdir",
        WORK,
        "--clearenv",
    ]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *inner]


def sandbox_env(ingest_token: str) -> Dict[str, str]:
    """The whole environment a run's processes get: nothing of the server's."""
    return {
        "PATH": f"{os.path.dirname(os.path.abspath(sys.executable))}:/usr/local/bin:/usr/bin:/bin",
        "HOME": WORK,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LOADMGR_INGEST_TOKEN": ingest_token,
    }


def apply_rlimits(limits: Limits, with_cgroup: bool) -> None:
    """In the child before exec: limits that hold per process; without a cgroup, per-process stand-ins too."""
    disk = limits.disk_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not with_cgroup:
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


class Cgroup:
    """One run's cgroup: v2, or v1's pids and memory hierarchies, made under this process's own."""

    def __init__(self, dirs: Dict[str, str], v2: bool) -> None:
        self.dirs = dirs
        self.v2 = v2

    @staticmethod
    def create(name: str, limits: Limits) -> Optional["Cgroup"]:
        try:
            own = _own_cgroups()
            memory = str(limits.memory_mb * 1024 * 1024)
            if os.path.exists("/sys/fs/cgroup/cgroup.controllers") and "" in own:
                path = os.path.join("/sys/fs/cgroup", own[""].lstrip("/"), name)
                os.makedirs(path, exist_ok=True)
                group = Cgroup({"pids": path, "memory": path}, v2=True)
                _write(path, "pids.max", str(limits.processes))
                _write(path, "memory.max", memory)
                _write_try(path, "memory.swap.max", "0")
                return group
            dirs = {}
            for controller in ("pids", "memory"):
                path = os.path.join("/sys/fs/cgroup", controller, own.get(controller, "/").lstrip("/"), name)
                os.makedirs(path, exist_ok=True)
                dirs[controller] = path
            group = Cgroup(dirs, v2=False)
            _write(dirs["pids"], "pids.max", str(limits.processes))
            _write(dirs["memory"], "memory.limit_in_bytes", memory)
            _write_try(dirs["memory"], "memory.memsw.limit_in_bytes", memory)
            return group
        except OSError:
            return None

    def enter(self) -> None:
        """In the child before exec: it and everything it starts count against the limits."""
        for path in set(self.dirs.values()):
            _write(path, "cgroup.procs", str(os.getpid()))

    def breach(self) -> Optional[str]:
        """Which limit the run has run into, if any."""
        if _counter(self.dirs["pids"], "pids.events", "max") > 0:
            return "processes"
        memory_events = "memory.events" if self.v2 else "memory.oom_control"
        if _counter(self.dirs["memory"], memory_events, "oom_kill") > 0:
            return "memory"
        return None

    def kill_all(self) -> None:
        for path in set(self.dirs.values()):
            for _ in range(50):
                pids = _read(path, "cgroup.procs").split()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass

    def remove(self) -> None:
        self.kill_all()
        # Killed processes leave the cgroup as they finish dying: wait for that (2 s at most).
        left = set(self.dirs.values())
        for _ in range(40):
            for path in list(left):
                try:
                    os.rmdir(path)
                    left.discard(path)
                except FileNotFoundError:
                    left.discard(path)
                except OSError:
                    pass
            if not left:
                return
            time.sleep(0.05)


def kill_recorded_cgroup(run_dir: str) -> None:
    """Kills every process left in the run's cgroup (as its supervisor recorded it), if it had one."""
    try:
        with open(os.path.join(run_dir, "cgroup.json"), encoding="utf-8") as handle:
            dirs = json.load(handle)["dirs"]
    except (OSError, ValueError, KeyError):
        return
    Cgroup({"pids": dirs[0], "memory": dirs[-1]}, v2=False).kill_all()


def _own_cgroups() -> Dict[str, str]:
    """controller ("" for v2) → this process's cgroup path."""
    result: Dict[str, str] = {}
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(","):
                result[controller] = path
    return result


def _write(directory: str, name: str, value: str) -> None:
    with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
        handle.write(value)


def _write_try(directory: str, name: str, value: str) -> None:
    try:
        _write(directory, name, value)
    except OSError:
        pass


def _read(directory: str, name: str) -> str:
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def _counter(directory: str, name: str, key: str) -> int:
    for line in _read(directory, name).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


def disk_usage(path: str, stop_above: int) -> int:
    """Bytes the directory's files take on disk, counted until `stop_above` is passed."""
    total = 0
    stack = [path]
    while stack and total <= stop_above:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    try:
                        stat = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    # Every entry costs at least a block, so a million empty files count too.
                    total += max(stat.st_blocks * 512, 512)
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total


def read_info(fd: int) -> Optional[int]:
    """The host pid of the sandbox's first process, from bwrap's --info-fd."""
    data = b""
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
    try:
        return int(json.loads(data.decode() or "{}")["child-pid"])
    except (ValueError, KeyError):
        return None


LIMIT_MESSAGES = {
    "processes": "the run reached its limit of {processes} processes",
    "memory": "the run reached its memory limit of {memory_mb} MB",
    "disk": "the run's files reached their limit of {disk_mb} MB",
}


def limit_message(limit: str, limits: Limits) -> str:
    return LIMIT_MESSAGES[limit].format(**limits.__dict__) + " and was ended (runner.limits in the server's configuration)"
