"""The sandbox a run's Locust processes live in, and the limits that end a run which breaks them.

Every Locust process of a run runs in one bubblewrap sandbox: new pid, ipc, uts and network
namespaces; a read-only view of the Python environment and the system's libraries and certificates;
the run's work directory as the only writable place, and a private /tmp and /dev/shm of bounded
size; an allow-listed environment. It sees nothing of the server, its data directory, other runs or
other processes, and its network reaches nothing but its own loopback: what it may reach outside
(its targets, its pool's master) it gets through its supervisor (see broker.py).

Its processes are never root and hold no capability, whatever user the supervisor runs as: as root,
bubblewrap makes the namespaces and the sandbox's first step (`seal`, run from the read-only venv
before anything of the run's) drops every capability, the bounding set included, and becomes the
run's own unprivileged uid; as another user, bubblewrap puts the sandbox in a user namespace of its
own as uid 65534, without capabilities. Either way no_new_privs holds and a seccomp filter
(seccomp.py) refuses mounts, namespaces, tracing, kernel keys and programs.

The supervisor outside it is trusted and enforces the limits: processes, memory and CPU through a
cgroup where one can be made (else rlimits for processes and memory), open files and file size
through rlimits, the work directory's size by measuring it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import shutil
import signal
import sys
import time
import zlib
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

#: Where the run's work directory appears inside the sandbox (its working directory and HOME).
WORK = "/loadtest"
#: Where the supervisor's sockets (the network broker, the ingest relay) appear inside the sandbox.
SOCKETS = "/run/loadmgr"
#: Files under /etc a Python HTTP client needs: certificates, time zone, name service switch.
#: hosts, resolv.conf and passwd are the sandbox's own (written by the supervisor).
ETC_FILES = (
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/alternatives",
)
#: The uid inside a sandbox made by an unprivileged supervisor (its user namespace maps it to the supervisor's).
NAMESPACE_UID = 65534
#: As root, each run gets its own uid in [RUN_UID_BASE, RUN_UID_BASE + RUN_UID_SPAN): no two runs share one.
RUN_UID_BASE = 1_500_000_000
RUN_UID_SPAN = 1 << 20
#: Where the run's uid cannot be used (a supervisor in a user namespace that does not map it): nobody.
FALLBACK_UID = 65534

PR_CAPBSET_DROP = 24
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class Limits:
    processes: int = 512
    memory_mb: int = 2048
    open_files: int = 10_000
    disk_mb: int = 1024
    #: Cores the run's processes may use together (a CPU quota); 0: no quota.
    cpu: float = 0.0

    @staticmethod
    def of(spec: Dict[str, Any]) -> "Limits":
        given = spec.get("limits") or {}
        defaults = Limits()
        return Limits(
            processes=int(given.get("processes", defaults.processes)),
            memory_mb=int(given.get("memoryMb", defaults.memory_mb)),
            open_files=int(given.get("openFiles", defaults.open_files)),
            disk_mb=int(given.get("diskMb", defaults.disk_mb)),
            cpu=float(given.get("cpu") or defaults.cpu),
        )


def bwrap_path() -> Optional[str]:
    return shutil.which("bwrap")


def run_uid(name: str) -> int:
    """The uid a root supervisor gives the run named `name` (stable, and distinct between runs)."""
    return RUN_UID_BASE + zlib.crc32(name.encode()) % RUN_UID_SPAN


def own_tree(path: str, uid: int) -> int:
    """Gives the run's uid its work tree (as root); the uid actually used (the fallback where it is not mapped)."""
    for candidate in (uid, FALLBACK_UID):
        try:
            os.lchown(path, candidate, candidate)
        except OSError:
            continue
        for directory, dirs, files in os.walk(path, followlinks=False):
            for name in dirs + files:
                os.lchown(os.path.join(directory, name), candidate, candidate)
        return candidate
    raise OSError(f"cannot give {path} to an unprivileged user")


def _parents(path: str) -> List[str]:
    """Directories above `path` made 0755 first: bubblewrap would make them private to root, and
    the run's unprivileged uid could not reach what is bound below them."""
    args: List[str] = []
    parts = [p for p in path.split("/") if p][:-1]
    for i in range(1, len(parts) + 1):
        args += ["--perms", "0755", "--dir", "/" + "/".join(parts[:i])]
    return args


def _ro_binds(paths: List[str]) -> List[str]:
    args: List[str] = []
    for path in paths:
        if os.path.exists(path):
            args += [*_parents(path), "--ro-bind", path, path]
    return args


def sandbox_files(run_dir: str, hosts: Dict[str, str]) -> Dict[str, str]:
    """The sandbox's own /etc/hosts, /etc/resolv.conf and /etc/passwd, written under run_dir/etc: mount target → file."""
    etc = os.path.join(run_dir, "etc")
    os.makedirs(etc, mode=0o755, exist_ok=True)
    os.chmod(etc, 0o755)
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"] + [f"{ip} {name}" for name, ip in hosts.items()]
    contents = {
        # No resolver is reachable from the sandbox: names resolve through the supervisor (broker.py).
        "/etc/resolv.conf": "# names are resolved by the run's supervisor\noptions attempts:1 timeout:1\n",
        "/etc/hosts": "\n".join(lines) + "\n",
        "/etc/passwd": f"root:x:0:0::/:/usr/sbin/nologin\nloadtest:x:{NAMESPACE_UID}:{NAMESPACE_UID}::{WORK}:/usr/sbin/nologin\n",
        "/etc/group": f"root:x:0:\nloadtest:x:{NAMESPACE_UID}:\n",
    }
    mounts = {}
    for target, text in contents.items():
        path = os.path.join(etc, os.path.basename(target))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o644)
        mounts[target] = path
    return mounts


def sandbox_command(
    work_dir: str,
    sockets_dir: str,
    etc_files: Dict[str, str],
    hostname: str,
    env: Dict[str, str],
    limits: Limits,
    info_fd: int,
    seccomp_fd: Optional[int],
    inner: List[str],
) -> List[str]:
    """The bwrap command line that runs `inner` in a run's sandbox.

    As root, `inner` must begin by sealing itself (`launch --as UID:GID`): bubblewrap leaves it
    CAP_SETUID, CAP_SETGID and CAP_SETPCAP for that step only.
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed: run scripts/setup-python.sh or apt-get install bubblewrap")
    # The interpreter's installation and the venv (with Locust and this package) are all a run needs of Python.
    python_dirs = sorted({os.path.realpath(sys.base_prefix), os.path.abspath(sys.prefix)})
    size = str(limits.disk_mb * 1024 * 1024)
    if os.geteuid() == 0:
        # No user namespace: the sandbox's uid is a real, unprivileged host uid once `seal` has run.
        identity = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        identity = ["--unshare-user", "--uid", str(NAMESPACE_UID), "--gid", str(NAMESPACE_UID), "--disable-userns", "--cap-drop", "ALL"]
    args = [
        bwrap,
        *identity,
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--unshare-cgroup-try",
        "--hostname",
        hostname,
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--info-fd",
        str(info_fd),
        # The private /tmp first: anything bound below /tmp (a venv, a run directory) goes on top of it.
        "--perms",
        "1777",
        "--size",
        size,
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
    ]
    for target, source in etc_files.items():
        args += ["--ro-bind", source, target]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/dev/shm",
        *_parents(SOCKETS),
        "--ro-bind",
        sockets_dir,
        SOCKETS,
        "--bind",
        work_dir,
        WORK,
        "--remount-ro",
        "/",
        # The work directory is the run uid's alone: the sandbox enters it once it is that uid (launch).
        "--chdir",
        "/",
        "--clearenv",
    ]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--", *inner]


def sandbox_env() -> Dict[str, str]:
    """The whole environment a run's processes get: nothing of the server's (and no token of any kind)."""
    return {
        "PATH": f"{os.path.dirname(os.path.abspath(sys.executable))}:/usr/local/bin:/usr/bin:/bin",
        "HOME": WORK,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _libc() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _status() -> Dict[str, str]:
    with open("/proc/self/status", encoding="utf-8") as handle:
        return dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)


def seal(uid: Optional[int], gid: Optional[int]) -> None:
    """Inside the sandbox, before anything of the run's: no root, no capability, no way back.

    As root (no user namespace), drops every capability from the bounding set and becomes the run's
    uid (which clears the rest). Then checks the result, and refuses to go on if any capability is
    left, the uid is 0 or no_new_privs is off.
    """
    libc = _libc()
    if os.geteuid() == 0 and uid is not None and gid is not None:
        try:
            with open("/proc/sys/kernel/cap_last_cap", encoding="utf-8") as handle:
                last = int(handle.read())
        except (OSError, ValueError):
            last = 40
        for cap in range(last + 1):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: not a cap here
                raise SystemExit(f"loadmgr: the sandbox could not drop capability {cap}: {os.strerror(ctypes.get_errno())}")
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    # The inheritable set outlives the change of uid: empty it too (capset to all zeros).
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    libc.capset(header, data)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    status = _status()
    held = {key: status.get(key, "") for key in ("CapInh", "CapPrm", "CapEff", "CapAmb")}
    if os.getuid() == 0 or os.geteuid() == 0 or any(int(v or "0", 16) != 0 for v in held.values()) or status.get("NoNewPrivs") != "1":
        raise SystemExit(f"loadmgr: the sandbox is not sealed (uid {os.getuid()}, {held}, NoNewPrivs {status.get('NoNewPrivs')}); refusing to run the script")


def apply_rlimits(limits: Limits, with_cgroup: bool) -> None:
    """In the child before exec: limits that hold per process; without a cgroup, per-process stand-ins too.

    A hard limit already lower than the run's (the operator's, or the container's) is kept, not raised.
    """

    def lower(kind: int, value: int) -> None:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY and hard < value:
            value = hard
        resource.setrlimit(kind, (value, value))

    disk = limits.disk_mb * 1024 * 1024
    lower(resource.RLIMIT_NOFILE, limits.open_files)
    lower(resource.RLIMIT_FSIZE, disk)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not with_cgroup:
        lower(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
        lower(resource.RLIMIT_NPROC, limits.processes)


#: The cgroup file system; a parameter only for the tests of the v2 logic.
CGROUP_ROOT = "/sys/fs/cgroup"
#: v2 controllers a run's cgroup needs enabled in its parent.
V2_CONTROLLERS = ("cpu", "memory", "pids")
CPU_PERIOD_US = 100_000


class Cgroup:
    """One run's cgroup: v2, or v1's pids, memory and cpu hierarchies, made under this process's own."""

    def __init__(self, dirs: Dict[str, str], v2: bool) -> None:
        self.dirs = dirs
        self.v2 = v2

    @staticmethod
    def create(name: str, limits: Limits, root: Optional[str] = None, log: Any = None) -> Optional["Cgroup"]:
        """The run's cgroup with its limits set, or None (with the reason printed) where none can be made."""
        root = root or CGROUP_ROOT
        try:
            own = _own_cgroups()
            memory = str(limits.memory_mb * 1024 * 1024)
            if os.path.exists(os.path.join(root, "cgroup.controllers")) and "" in own:
                parent = os.environ.get(PARENT_ENV) or os.path.join(root, own[""].lstrip("/"))
                # cpu only for a quota (see below, v1): otherwise the run would be weighed as one task.
                enable_v2_controllers(parent, V2_CONTROLLERS if limits.cpu > 0 else ("memory", "pids"))
                path = os.path.join(parent, name)
                os.makedirs(path, exist_ok=True)
                group = Cgroup({"pids": path, "memory": path, "cpu": path}, v2=True)
                _write(path, "pids.max", str(limits.processes))
                _write(path, "memory.max", memory)
                _write_try(path, "memory.swap.max", "0")
                if limits.cpu > 0:
                    _write(path, "cpu.max", f"{int(limits.cpu * CPU_PERIOD_US)} {CPU_PERIOD_US}")
                return group
            dirs = {}
            # The cpu controller only for a quota: a cgroup of its own would otherwise make the run's
            # processes one scheduling entity, weighed as one against every other task of the host.
            for controller in ("pids", "memory", "cpu") if limits.cpu > 0 else ("pids", "memory"):
                path = os.path.join(root, controller, own.get(controller, "/").lstrip("/"), name)
                os.makedirs(path, exist_ok=True)
                dirs[controller] = path
            group = Cgroup(dirs, v2=False)
            _write(dirs["pids"], "pids.max", str(limits.processes))
            _write(dirs["memory"], "memory.limit_in_bytes", memory)
            _write_try(dirs["memory"], "memory.memsw.limit_in_bytes", memory)
            if limits.cpu > 0:
                _write(dirs["cpu"], "cpu.cfs_period_us", str(CPU_PERIOD_US))
                _write(dirs["cpu"], "cpu.cfs_quota_us", str(int(limits.cpu * CPU_PERIOD_US)))
            return group
        except OSError as error:
            print(f"loadmgr: no cgroup for the run ({error}); processes and memory are limited per process (rlimits), CPU not at all", file=log or sys.stderr, flush=True)
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
        if _counter(self.dirs["memory"], memory_events, "oom_kill") > 0 or (self.v2 and _counter(self.dirs["memory"], "memory.events", "oom") > 0):
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


def enable_v2_controllers(parent: str, controllers: Tuple[str, ...] = V2_CONTROLLERS) -> None:
    """Makes cpu, memory and pids available to the cgroups made in `parent` (cgroup v2's subtree_control).

    The kernel refuses that in a cgroup that holds processes itself (the root aside): an agent makes
    its own cgroup such a parent at its start (claim_v2_parent) and tells its supervisors so.
    """
    def listed(name: str) -> List[str]:
        return [c.lstrip("+") for c in _read(parent, name).split()]

    wanted = [c for c in controllers if c in listed("cgroup.controllers")]
    missing = [c for c in wanted if c not in listed("cgroup.subtree_control")]
    if missing:
        _write(parent, "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
    absent = [c for c in controllers if c not in listed("cgroup.subtree_control")]
    if absent:
        raise OSError(f"cgroup v2 controllers {', '.join(absent)} are not enabled in {parent}")


#: Set by an agent for its supervisors: the cgroup v2 parent of its runs' cgroups.
PARENT_ENV = "LOADMGR_CGROUP_PARENT"


def claim_v2_parent(root: Optional[str] = None) -> Optional[str]:
    """At an agent's start on cgroup v2: moves the agent into a leaf of its own cgroup (`agent`), so
    that its cgroup holds no process and can hand cpu, memory and pids to its runs' cgroups. The
    cgroup to make runs in, or None where this cannot be (another process shares the agent's cgroup,
    or it is not delegated): runs then fall back to rlimits, and say so in their log.
    """
    root = root or CGROUP_ROOT
    try:
        own = _own_cgroups().get("")
        if own is None or not os.path.exists(os.path.join(root, "cgroup.controllers")):
            return None
        parent = os.path.join(root, own.lstrip("/"))
        if os.path.basename(parent) == "agent" and _read(os.path.dirname(parent), "cgroup.subtree_control").strip():
            return os.path.dirname(parent)  # claimed already (this agent restarted in place)
        leaf = os.path.join(parent, "agent")
        os.makedirs(leaf, exist_ok=True)
        _write(leaf, "cgroup.procs", str(os.getpid()))
        enable_v2_controllers(parent, ("memory", "pids"))
        return parent
    except OSError:
        return None


def kill_run_processes(run_dir: str) -> List[int]:
    """Kills every process whose command line names the run's directory (its supervisor, its bubblewrap,
    the sandbox's first process) and says which. A kill of the supervisor's process group can miss the
    sandbox's first process: bubblewrap clones it into its pid namespace, and one cloned as the group is
    killed, whose parent died before it asked to die with it, lives on (seen on gVisor, while the
    sandbox was being set up). Matching the run's own directory never reaches another run's process."""
    needle = os.fsencode(os.path.realpath(run_dir))
    killed: List[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        if any(_names(arg, needle) or _names(arg.partition(b"=")[2], needle) for arg in args):
            try:
                os.kill(int(entry), signal.SIGKILL)
                killed.append(int(entry))
            except OSError:
                pass
    return killed


def _names(arg: bytes, path: bytes) -> bool:
    """The argument is the path or a path under it (`<dir>.workers`, another part's, is not)."""
    return arg == path or arg.startswith(path + b"/")


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
    "memory": "the run reached its memory limit of {memory_mb:,} MB",
    "disk": "the run's files reached their limit of {disk_mb:,} MB",
}


def limit_message(limit: str, limits: Limits) -> str:
    return LIMIT_MESSAGES[limit].format(**limits.__dict__) + " and was ended (runner.limits in the server's configuration)"
