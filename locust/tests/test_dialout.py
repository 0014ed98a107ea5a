"""The dial-out agent's bookkeeping: what it reports and how it follows the server's assignments."""

import subprocess
import sys
import time

import pytest

from loadmgr_locust import dialout
from loadmgr_locust.dialout import DialOutAgent, HeldRun, parse_labels


def test_labels_are_key_value_pairs():
    assert parse_labels("zone=a, size=large,") == {"zone": "a", "size": "large"}
    assert parse_labels("") == {}
    with pytest.raises(SystemExit):
        parse_labels("zone")


@pytest.fixture
def agent(tmp_path, monkeypatch):
    started = []
    agent = DialOutAgent("http://server", "token", "a1", 2, {}, str(tmp_path), "10.0.0.2")

    def fake_start(assignment):
        started.append(assignment)
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
        key = f"{assignment['runId']}/{assignment['role']}"
        agent.runs[key] = HeldRun(assignment["runId"], assignment["role"], assignment["processes"], str(tmp_path), process)

    monkeypatch.setattr(agent, "start", fake_start)
    agent.started = started
    yield agent
    agent.kill_all()


def test_starts_each_part_once_and_holds_a_master_and_workers_of_one_run_apart(agent):
    spec = {"runId": "r1"}
    assignments = [
        {"runId": "r1", "role": "master", "processes": 1, "stop": False, "spec": spec},
        {"runId": "r1", "role": "worker", "processes": 2, "stop": False, "spec": spec},
    ]
    agent.reconcile(assignments)
    agent.reconcile(assignments)  # the same answer again starts nothing
    assert [(a["runId"], a["role"]) for a in agent.started] == [("r1", "master"), ("r1", "worker")]
    reports = sorted((r["role"], r["state"], r["processes"]) for r in agent.reports())
    assert reports == [("master", "running", 1), ("worker", "running", 2)]


def test_an_assignment_without_a_spec_starts_nothing(agent):
    agent.reconcile([{"runId": "r2", "role": "worker", "processes": 1, "stop": False}])
    assert agent.started == []


def test_a_stop_is_passed_on_once_and_reported(agent):
    agent.reconcile([{"runId": "r3", "role": "master", "processes": 1, "stop": False, "spec": {"runId": "r3"}}])
    agent.reconcile([{"runId": "r3", "role": "master", "processes": 1, "stop": True}])
    (report,) = agent.reports()
    assert report["stopRequested"] is True
    held = agent.runs["r3/master"]
    held.process.wait(timeout=5)  # SIGTERM ended the stand-in process
    (report,) = agent.reports()
    assert report["state"] == "exited"
    assert report["signal"] == "SIGTERM"


def test_a_run_no_longer_assigned_is_asked_to_stop_then_killed_after_the_grace(agent, monkeypatch):
    ignores_term = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"],
        start_new_session=True,
    )
    time.sleep(0.3)  # its handler is in place
    agent.runs["r4/worker"] = HeldRun("r4", "worker", 1, agent.runs_dir, ignores_term)
    agent.reconcile([])
    assert ignores_term.poll() is None
    assert agent.reports()[0]["stopRequested"] is True
    monkeypatch.setattr(dialout, "RELEASE_GRACE_S", 0)
    agent.reconcile([])
    assert ignores_term.wait(timeout=5) == -9
    assert agent.reports() == []  # let go of: no longer reported, never started again
    agent.reconcile([{"runId": "r4", "role": "worker", "processes": 1, "stop": False, "spec": {"runId": "r4"}}])
    assert agent.started == []


class NoWaiting:
    """A process the heartbeat loop must not wait for: its kill is sent, and a later poll reaps it."""

    def __init__(self, process):
        self.process = process
        self.pid = process.pid

    def poll(self):
        return self.process.poll()

    def wait(self, timeout=None):
        raise AssertionError("the agent's loop waited for a killed process")


def test_killing_a_part_that_outstayed_its_grace_does_not_hold_up_the_heartbeat(agent, monkeypatch):
    ignores_term = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"],
        start_new_session=True,
    )
    time.sleep(0.3)
    agent.runs["r5/worker"] = HeldRun("r5", "worker", 1, agent.runs_dir, NoWaiting(ignores_term))
    agent.reconcile([])
    monkeypatch.setattr(dialout, "RELEASE_GRACE_S", 0)
    agent.reconcile([])  # kills, and does not wait
    assert ignores_term.wait(timeout=5) == -9
    assert agent.reports() == []


def test_a_name_in_use_is_retried_and_a_refused_token_ends_the_agent(agent, monkeypatch):
    calls = []

    def sync(_reports):
        calls.append(len(calls))
        if len(calls) == 1:
            raise dialout.NameTaken("an agent named a1 is already connected")
        raise dialout.AgentExit("the server refused this agent's token")

    monkeypatch.setattr(agent, "_sync", sync)
    monkeypatch.setattr(dialout, "NAME_RETRY_S", 0)
    assert agent.serve() == 3
    assert calls == [0, 1]


def test_old_run_directories_are_removed_and_held_recent_or_uncollected_ones_kept(agent, tmp_path):
    import os

    agent.keep_runs_s = 3600
    old, older = time.time() - 7200, time.time() - 25 * 3600
    collected = "01a24f70-2edd-70e9-ad27-6ae64083358d"
    uncollected, long_uncollected = "01d0-uncollected", "01e0-uncollected"
    for name in [collected, f"{collected}.workers", "01b0-held", "01c0-recent", uncollected, long_uncollected]:
        (tmp_path / name / "work").mkdir(parents=True)
        (tmp_path / name / "spec.json").write_text("{}")
    (tmp_path / collected / dialout.FILES_COLLECTED).write_text("1")
    for name in [collected, f"{collected}.workers", "01b0-held", uncollected]:
        os.utime(tmp_path / name, (old, old))
    os.utime(tmp_path / long_uncollected, (older, older))
    (tmp_path / "agent.log").write_text("kept")
    (tmp_path / "not a run").mkdir()
    os.utime(tmp_path / "not a run", (old, old))
    agent.reconcile([{"runId": "01b0-held", "role": "master", "processes": 1, "spec": {"runId": "01b0-held"}}])
    agent.runs["01b0-held/master"].run_dir = str(tmp_path / "01b0-held")

    removed = agent.prune()

    # A master's directory whose files the server did not get is kept a day, whatever --keep-runs-hours says.
    assert sorted(removed) == [collected, f"{collected}.workers", long_uncollected]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01b0-held", "01c0-recent", uncollected, "agent.log", "not a run"]


def test_a_finished_part_s_directory_goes_once_the_server_has_its_files(agent, tmp_path):
    import subprocess

    agent.keep_runs_s = 0
    done = subprocess.Popen(["true"])
    done.wait()
    parts = {}
    for role, name in [("master", "01f0-run"), ("worker", "01f0-run.workers"), ("master", "01f1-run")]:
        (tmp_path / name / "work").mkdir(parents=True)
        parts[name] = dialout.HeldRun(name.split(".")[0], role, 1, str(tmp_path / name), done)
        parts[name].release(time.monotonic())
        agent.runs[f"{name}/{role}"] = parts[name]
    (tmp_path / "01f0-run" / dialout.FILES_COLLECTED).write_text("1")

    agent.reports()

    # The worker part's at once, the master's whose files arrived; not the one whose files did not.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01f1-run"]
    assert [parts[n].removed for n in ["01f0-run", "01f0-run.workers", "01f1-run"]] == [True, True, False]


def test_health_says_alive_then_ready_from_what_the_loop_wrote(agent, tmp_path):
    assert dialout.health(str(tmp_path), ready=False)[0] is False
    agent._note_health(connected=False)
    assert dialout.health(str(tmp_path), ready=False) == (True, "alive")
    ok, why = dialout.health(str(tmp_path), ready=True)
    assert not ok and "never" in why
    agent._note_health(connected=True)
    assert dialout.health(str(tmp_path), ready=True) == (True, "alive and connected")
    later = time.time() + dialout.READY_WITHIN_S + 1
    assert dialout.health(str(tmp_path), ready=True, now=later)[0] is False
    assert dialout.health(str(tmp_path), ready=False, now=later)[0] is True
    assert dialout.health(str(tmp_path), ready=False, now=time.time() + dialout.ALIVE_WITHIN_S + 1)[0] is False


def test_a_held_call_gives_way_to_a_new_one_when_there_is_something_to_say(agent, monkeypatch):
    """The server holds a call up to the wait; a process that ended meanwhile is said in a new call at
    once (the server then answers the older one), and only the newest call's answer counts."""
    import threading

    calls = []
    newer_arrived = threading.Event()

    def sync(reports):
        calls.append(reports)
        if len(calls) == 1:
            newer_arrived.wait(60)  # held, as the server holds it, until a newer call comes
            return {"assignments": ["stale"]}
        newer_arrived.set()
        return {"assignments": ["fresh"]}

    said = [[{"runId": "r", "state": "running"}]]
    monkeypatch.setattr(agent, "_sync", sync)
    monkeypatch.setattr(agent, "reports", lambda: said[0])
    ended = threading.Timer(0.3, lambda: said.__setitem__(0, [{"runId": "r", "state": "exited"}]))
    ended.start()
    assert agent._exchange() == {"assignments": ["fresh"]}
    assert [c[0]["state"] for c in calls] == ["running", "exited"]


def test_a_call_that_times_out_is_an_error_to_retry_not_a_call_still_held(agent, monkeypatch):
    """The call's own socket time-out is a TimeoutError, as is a poll's: it must reach the loop (which
    retries with backoff), not be taken for a call still held (a cut-off agent would never call again)."""
    import socket

    def sync(_reports):
        raise socket.timeout("timed out")

    monkeypatch.setattr(agent, "_sync", sync)
    with pytest.raises(OSError, match="timed out"):
        agent._exchange()
