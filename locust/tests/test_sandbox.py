"""The sandbox's pure parts: its seccomp filter, its network policy, its redaction, and cgroup v2's controllers."""

import errno
import io
import os

import pytest

from loadmgr_locust import sandbox, seccomp
from loadmgr_locust.netpolicy import Policy, RuleError, parse_rule
from loadmgr_locust.redact import Redactor, copy_redacted

ALLOW = seccomp.RET_ALLOW
EPERM = 0x00050000 | errno.EPERM


@pytest.mark.parametrize("arch", sorted(seccomp.SYSCALLS))
def test_the_filter_refuses_what_a_script_never_needs_and_allows_the_rest(arch):
    program = seccomp.program(arch)
    numbers = seccomp.SYSCALLS[arch]
    native = seccomp.AUDIT_ARCH[arch]
    for name in ("mount", "unshare", "setns", "ptrace", "keyctl", "bpf", "pivot_root", "open_tree", "io_uring_setup", "init_module"):
        assert seccomp.evaluate(program, numbers[name], native) == EPERM, name
    # read, write, openat, socket, connect, execve: a load script's calls pass (numbers of this arch).
    everyday = {"x86_64": (0, 1, 257, 41, 42, 59), "aarch64": (63, 64, 56, 198, 203, 221)}[arch]
    for number in everyday:
        assert seccomp.evaluate(program, number, native) == ALLOW, number
    # clone: a thread or a process yes, a namespace no; clone3 is ENOSYS so that libc uses clone.
    assert seccomp.evaluate(program, numbers["clone"], native, arg0=0x3D0F00) == ALLOW
    assert seccomp.evaluate(program, numbers["clone"], native, arg0=0x10000000 | 0x11) == EPERM
    assert seccomp.evaluate(program, numbers["clone3"], native) == 0x00050000 | errno.ENOSYS
    # Another ABI (32-bit calls from a 64-bit process) gets nothing.
    assert seccomp.evaluate(program, 0, 0x40000003) == EPERM
    if arch == "x86_64":
        assert seccomp.evaluate(program, 0x40000000 | 1, native) == EPERM
    assert len(seccomp.compiled(arch)) == 8 * len(program)


def test_the_network_policy_allows_named_targets_only():
    policy = Policy.of(["127.0.0.1:8089", "api.example.com", "*.cdn.example.com:443", "10.1.0.0/16", "[2001:db8::5]:80"], deny=[("127.0.0.1", 8080)])
    assert policy.refusal("127.0.0.1", 8089) is None
    assert "not among" in policy.refusal("127.0.0.1", 6379)
    assert "not among" in policy.refusal("127.0.0.2", 8089)
    assert "link-local" in policy.refusal("169.254.169.254", 80)
    assert "link-local" in policy.refusal("::ffff:169.254.169.254", 80)
    assert policy.refusal("10.1.200.3", 5432) is None
    assert "not among" in policy.refusal("10.2.0.1", 80)
    assert policy.refusal("2001:db8::5", 80) is None
    assert policy.refusal("::ffff:127.0.0.1", 8089) is None, "an IPv4-mapped address is the IPv4 address"
    # Names resolve only when a rule names them; their addresses are then reachable at the rule's port.
    assert policy.may_resolve("api.example.com") and policy.may_resolve("img.cdn.example.com")
    assert not policy.may_resolve("example.com") and not policy.may_resolve("evil.com")
    assert policy.learn("api.example.com", ["93.184.216.34", "169.254.169.254"]) == ["93.184.216.34"]
    assert policy.refusal("93.184.216.34", 8443) is None
    # A wildcard never opens a private or loopback address (DNS rebinding), and only at its port.
    assert policy.learn("x.cdn.example.com", ["127.0.0.1", "192.168.1.9", "151.101.1.1"]) == ["151.101.1.1"]
    assert policy.refusal("151.101.1.1", 443) is None and "not among" in policy.refusal("151.101.1.1", 80)
    assert "not among" in policy.refusal("192.168.1.9", 443)


def test_the_servers_own_services_stay_out_whatever_the_test_names():
    policy = Policy.of(["127.0.0.1:8080", "localhost:6379"], deny=[("127.0.0.1", 8080), ("127.0.0.1", 6379)])
    assert "server's own services" in policy.refusal("127.0.0.1", 8080)
    policy.learn("localhost", ["127.0.0.1"])
    assert "server's own services" in policy.refusal("127.0.0.1", 6379)


@pytest.mark.parametrize("entry", ["", "a b", "host:0", "host:70000", "[::1", "[::1]x", "10.0.0.0/8:80", "-bad.example.com", "x..y"])
def test_bad_rules_are_refused(entry):
    with pytest.raises(RuleError):
        parse_rule(entry)


def test_redaction_finds_a_secret_split_over_reads_of_a_long_line():
    secret = "Pa ss!(w0rd)*'x/+~"
    redactor = Redactor([secret])
    text = ("a" * 70_000) + secret + ("b" * 10) + "\n" + "q=Pa+ss%21%28w0rd%29%2A%27x%2F%2B~\n"
    sink = io.BytesIO()
    copy_redacted(io.BytesIO(text.encode()), sink, redactor, chunk=65_536 + 5)
    out = sink.getvalue().decode()
    assert secret not in out and "Pa+ss%21" not in out
    assert out.count("***") == 2 and len(out) == len(text) - 2 * len(secret) + 6 - (len("Pa+ss%21%28w0rd%29%2A%27x%2F%2B~") - len(secret))


def write(path, name, value=""):
    with open(os.path.join(path, name), "w") as handle:
        handle.write(value)


def test_cgroup_v2_enables_cpu_memory_and_pids_for_the_runs_and_sets_their_limits(tmp_path, monkeypatch):
    root = tmp_path / "cgroup"
    agent = root / "system.slice" / "agent.service"
    agent.mkdir(parents=True)
    write(root, "cgroup.controllers", "cpu io memory pids")
    write(agent, "cgroup.controllers", "cpu io memory pids")
    write(agent, "cgroup.subtree_control", "")
    monkeypatch.setattr(sandbox, "_own_cgroups", lambda: {"": "/system.slice/agent.service"})
    monkeypatch.delenv(sandbox.PARENT_ENV, raising=False)
    group = sandbox.Cgroup.create("loadmgr-run", sandbox.Limits(processes=64, memory_mb=400, cpu=0.5), root=str(root))
    assert group is not None and group.v2
    # A file written once holds what was written last: the kernel keeps the union; here the request is what counts.
    assert (agent / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    run = agent / "loadmgr-run"
    assert (run / "pids.max").read_text() == "64"
    assert (run / "memory.max").read_text() == str(400 * 1024 * 1024)
    assert (run / "cpu.max").read_text() == "50000 100000"


def fake_cgroup_v2(tmp_path, monkeypatch, controllers):
    """A cgroup v2 tree laid out in files, this process in /user (that offers `controllers`)."""
    root = tmp_path / "cgroup"
    own = root / "user"
    own.mkdir(parents=True)
    write(root, "cgroup.controllers", controllers)
    write(own, "cgroup.controllers", controllers)
    write(own, "cgroup.subtree_control", "")
    monkeypatch.setattr(sandbox, "_own_cgroups", lambda: {"": "/user"})
    return root, own


def test_cgroup_v2_without_a_quota_leaves_cpu_alone(tmp_path, monkeypatch):
    root, own = fake_cgroup_v2(tmp_path, monkeypatch, "memory pids")
    group = sandbox.Cgroup.create("loadmgr-run", sandbox.Limits(), root=str(root))
    assert group is not None and (own / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert not (own / "loadmgr-run" / "cpu.max").exists()


def test_cgroup_v2_without_the_controllers_falls_back_and_says_so(tmp_path, monkeypatch):
    root, _ = fake_cgroup_v2(tmp_path, monkeypatch, "memory pids")
    log = io.StringIO()
    # A quota needs the cpu controller, which this cgroup cannot hand out.
    assert sandbox.Cgroup.create("loadmgr-run", sandbox.Limits(cpu=1), root=str(root), log=log) is None
    assert "cgroup v2 controllers cpu are not enabled in" in log.getvalue() and "rlimits" in log.getvalue()


def test_a_runs_processes_are_found_by_its_directory_and_killed_a_pid_namespaces_first_one_included(tmp_path):
    import shutil
    import subprocess
    import time

    run_dir = tmp_path / "01a2-run"
    other_dir = tmp_path / "01a2-run-other"
    run_dir.mkdir()
    other_dir.mkdir()
    # Named by the directory as bubblewrap's arguments name it (a path under it), and as a path of its own.
    ours = [
        subprocess.Popen(["sh", "-c", "sleep 60", f"{run_dir}/work"]),
        subprocess.Popen(["sh", "-c", "sleep 60", str(run_dir)]),
        subprocess.Popen(["sh", "-c", "sleep 60", f"--log={run_dir}/locust.log"]),
    ]
    if shutil.which("bwrap") is not None:
        # A pid namespace's first process, as the sandbox's is (killed by its pid from outside).
        ours.append(subprocess.Popen(["bwrap", "--dev-bind", "/", "/", "--unshare-pid", "--as-pid-1", "--chdir", str(run_dir), "sleep", "60"]))
    # Another run's directory, whose name starts with this one's: left alone.
    theirs = [
        subprocess.Popen(["sh", "-c", "sleep 60", f"{other_dir}/work"]),
        # The same run's other part on this host (<dir>.workers), named as an option's value: left alone.
        subprocess.Popen(["sh", "-c", "sleep 60", f"--log={run_dir}.workers/locust.log"]),
    ]
    try:
        time.sleep(0.3)
        killed = sandbox.kill_run_processes(str(run_dir))
        assert sorted(killed) == sorted(p.pid for p in ours)
        for process in ours:
            assert process.wait(timeout=10) == -9
        assert all(process.poll() is None for process in theirs)
    finally:
        for process in [*ours, *theirs]:
            if process.poll() is None:
                process.kill()
                process.wait()
