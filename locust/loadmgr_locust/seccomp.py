"""The seccomp filter every run's processes live under: the system calls a load script never needs.

A classic BPF program (what bubblewrap's `--seccomp FD` loads) that answers EPERM to calls that
change mounts or namespaces, trace or read other processes, load kernel code or keys, or set the
clock, and to clone() asking for new namespaces; clone3() answers ENOSYS so that libc falls back to
clone(), whose flags the filter can see. Calls of another ABI (32-bit calls from a 64-bit process,
x32) are refused outright. Pure logic: no system call is made here.
"""

from __future__ import annotations

import errno
import platform
import struct
from typing import Dict, List, Optional, Tuple

#: Refused on every architecture (the names of the kernel's syscall tables).
DENIED = (
    # mounts and the root
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # namespaces
    "unshare", "setns",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    # the kernel's keys, programs, modules and counters
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # the host
    "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd", "iopl", "ioperm",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "fanotify_init", "nfsservctl", "uselib",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "vhangup",
)  # fmt: skip

#: Syscall numbers, from the kernel's headers (asm/unistd_64.h; asm-generic/unistd.h for arm64).
SYSCALLS: Dict[str, Dict[str, int]] = {
    "x86_64": {
        "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "move_mount": 429, "open_tree": 428,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "unshare": 272,
        "setns": 308, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
        "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "reboot": 169, "swapon": 167,
        "swapoff": 168, "acct": 163, "syslog": 103, "quotactl": 179, "quotactl_fd": 443, "iopl": 172, "ioperm": 173,
        "open_by_handle_at": 304, "name_to_handle_at": 303, "lookup_dcookie": 212, "fanotify_init": 300,
        "nfsservctl": 180, "uselib": 134, "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305,
        "adjtimex": 159, "sethostname": 170, "setdomainname": 171, "vhangup": 153, "clone": 56, "clone3": 435,
    },
    "aarch64": {
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "move_mount": 429, "open_tree": 428,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "unshare": 97,
        "setns": 268, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
        "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "reboot": 142, "swapon": 224,
        "swapoff": 225, "acct": 89, "syslog": 116, "quotactl": 60, "quotactl_fd": 443, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "lookup_dcookie": 18, "fanotify_init": 262, "nfsservctl": 42,
        "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171, "sethostname": 161,
        "setdomainname": 162, "vhangup": 58, "clone": 220, "clone3": 435,
    },
}  # fmt: skip

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
#: clone() flags that make namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET).
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
X32_SYSCALL_BIT = 0x40000000

_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0 = 16  # the low 32 bits of args[0] (little-endian)

Instruction = Tuple[int, int, int, int]


def machine() -> Optional[str]:
    name = platform.machine()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name) if name else None


def program(arch: str) -> List[Instruction]:
    """The filter as (code, jt, jf, k) instructions."""
    numbers = SYSCALLS[arch]
    deny_errno = _RET_ERRNO | errno.EPERM
    out: List[Instruction] = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ, 1, 0, AUDIT_ARCH[arch]),
        (_RET, 0, 0, deny_errno),
        (_LD_W_ABS, 0, 0, _OFFSET_NR),
    ]
    if arch == "x86_64":
        out += [(_JGE, 0, 1, X32_SYSCALL_BIT), (_RET, 0, 0, deny_errno)]
    for name in DENIED:
        number = numbers.get(name)
        if number is not None:
            out += [(_JEQ, 0, 1, number), (_RET, 0, 0, deny_errno)]
    out += [
        (_JEQ, 0, 1, numbers["clone3"]),
        (_RET, 0, 0, _RET_ERRNO | errno.ENOSYS),
        (_JEQ, 0, 3, numbers["clone"]),
        (_LD_W_ABS, 0, 0, _OFFSET_ARG0),
        (_JSET, 0, 1, CLONE_NAMESPACES),
        (_RET, 0, 0, deny_errno),
        (_RET, 0, 0, RET_ALLOW),
    ]
    return out


def compiled(arch: Optional[str] = None) -> Optional[bytes]:
    """The filter as the bytes of a `struct sock_filter` array, or None on an architecture without a table."""
    arch = arch or machine()
    if arch not in SYSCALLS:
        return None
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program(arch))


def evaluate(instructions: List[Instruction], nr: int, arch: int, arg0: int = 0) -> int:
    """What the filter answers for one call (an interpreter for its own tests)."""
    data = struct.pack("<iIQ", nr, arch, 0) + struct.pack("<Q", arg0) + b"\0" * 40
    accumulator = 0
    pc = 0
    while True:
        code, jt, jf, k = instructions[pc]
        if code == _LD_W_ABS:
            accumulator = struct.unpack_from("<I", data, k)[0]
        elif code == _RET:
            return k
        elif code in (_JEQ, _JGE, _JSET):
            taken = accumulator == k if code == _JEQ else accumulator >= k if code == _JGE else bool(accumulator & k)
            pc += jt if taken else jf
        else:
            raise ValueError(f"unknown instruction {code:#x}")
        pc += 1
