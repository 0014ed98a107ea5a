"""Real Locust runs started by the supervisor, reporting to a recording ingest server."""

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

LOCUSTFILE = b"""
from locust import FastHttpUser, constant, task

class Shopper(FastHttpUser):
    wait_time = constant(0.05)

    @task(4)
    def home(self):
        self.client.get("/")

    @task(1)
    def broken(self):
        self.client.get("/fail")
"""

TOKEN = "run-token-0123456789"


def start(tmp_path, ingest, target, prefix=(), **overrides):
    """The supervisor on a spec of `overrides` over a small run; `prefix` wraps its command (prlimit, unshare)."""
    spec = {
        "runId": "0196d1c2-0000-7000-8000-000000000001",
        "scriptContent": base64.b64encode(LOCUSTFILE).decode(),
        "targetUrl": target,
        "users": 4,
        "spawnRate": 4,
        "durationSeconds": 4,
        "ingestUrl": ingest.url,
        "intervalSec": 1,
        "workers": 0,
        **overrides,
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    log = open(tmp_path / "locust.log", "wb")
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "loadmgr_locust", "run-dir", str(tmp_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, LOADMGR_INGEST_TOKEN=TOKEN),
        start_new_session=True,
    )
    return process


def wait(process, tmp_path, timeout=40):
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError((tmp_path / "locust.log").read_text()[-3000:])


def locust_printed_totals(tmp_path):
    """The request and failure counts of the last stats table Locust printed as it shut down."""
    rows = re.findall(r"Aggregated\s+(\d+)\s+(\d+)\(", (tmp_path / "locust.log").read_text())
    return int(rows[-1][0]), int(rows[-1][1])


def _locust_closes_csv():
    import inspect

    import locust.main

    return "close_files()" in inspect.getsource(locust.main)


LOCUST_CLOSES_CSV = _locust_closes_csv()


def locust_csv_totals(tmp_path):
    """The request and failure counts of the Aggregated row of the locust_stats.csv Locust left in the run's work directory."""
    import csv

    with open(tmp_path / "work" / "locust_stats.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return int(row["Request Count"]), int(row["Failure Count"])


def check_report(ingest, tmp_path, reason):
    snapshots = ingest.bodies("/metrics")
    seqs = [s["seq"] for s in snapshots]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert snapshots[-1]["final"] is True and not any(s["final"] for s in snapshots[:-1])
    final = snapshots[-1]
    assert sum(e["requests"] for s in snapshots for e in s["endpoints"]) == final["totalRequests"] > 0
    assert sum(e["failures"] for s in snapshots for e in s["endpoints"]) == final["totalFailures"] > 0
    for s in snapshots:
        for e in s["endpoints"]:
            assert sum(count for _, count in e["histogram"]) == e["requests"]
    assert (final["totalRequests"], final["totalFailures"]) == locust_printed_totals(tmp_path)
    # Locust's CSV too, its last requests included (Locust writes it every second, not at exit; the
    # plugin lets it write once more). Only where Locust closes its CSV files as it exits: 2.20 leaves
    # them to the interpreter's exit, with up to 10 s of rows unflushed (CSV_STATS_FLUSH_INTERVAL_SEC).
    if LOCUST_CLOSES_CSV:
        assert (final["totalRequests"], final["totalFailures"]) == locust_csv_totals(tmp_path)
    # Each snapshot covers the seconds after the one before it: its interval ends where the next begins.
    for before, after in zip(snapshots, snapshots[1:]):
        assert after["timestamp"] - after["intervalMs"] == before["timestamp"], (before, after)
    errors = [e for s in snapshots for e in s["errors"]]
    assert sum(e["occurrences"] for e in errors) == final["totalFailures"]
    assert {e["name"] for e in errors} == {"/fail"}
    # The live request log: every failure, and at most 20 successes per second of interval.
    samples = [sample for s in snapshots for sample in s["requestSamples"]]
    failed = [sample for sample in samples if not sample["success"]]
    assert len(failed) == final["totalFailures"]
    assert all(sample["name"] == "/fail" and "500" in sample["error"] for sample in failed)
    for s in snapshots:
        successes = [sample for sample in s["requestSamples"] if sample["success"]]
        assert len(successes) <= 20, len(successes)
        assert all(sample["name"] == "/" and sample["responseMs"] >= 0 for sample in successes)
    assert any(sample["success"] for sample in samples)
    paths = ingest.paths()
    assert paths[0].endswith("/test-start") and paths[-1].endswith("/test-stop")
    stop = ingest.bodies("/test-stop")[0]
    assert stop["reason"] == reason and stop["lastSeq"] == final["seq"]
    assert {auth for _, _, auth in ingest.calls} == {"Bearer " + TOKEN}


def test_single_process_run_reports_every_interval_and_its_totals(tmp_path, ingest, target):
    started = time.monotonic()
    assert wait(start(tmp_path, ingest, target), tmp_path) in (0, 1)
    assert time.monotonic() - started < 15
    check_report(ingest, tmp_path, "duration")
    assert len(ingest.bodies("/metrics")) >= 3


def test_distributed_run_builds_intervals_from_worker_reports(tmp_path, ingest, target):
    assert wait(start(tmp_path, ingest, target, workers=2), tmp_path) in (0, 1)
    check_report(ingest, tmp_path, "duration")
    assert ingest.bodies("/test-start")[0]["workers"] == 2


@pytest.mark.parametrize("workers", [0, 2])
def test_every_snapshot_counts_the_requests_of_its_own_seconds(tmp_path, ingest, target, workers):
    # Workers report every 3 s by Locust's default, the plugin snapshots every second here: counted as
    # reports arrived, two snapshots in three showed no requests while load flowed.
    assert wait(start(tmp_path, ingest, target, durationSeconds=10, workers=workers), tmp_path) in (0, 1)
    check_report(ingest, tmp_path, "duration")
    snapshots = ingest.bodies("/metrics")
    rates = [sum(e["requests"] for e in s["endpoints"]) * 1000 / s["intervalMs"] for s in snapshots]
    # The seconds that began with every user running (the one before ended with all 4; on a busy
    # machine the spawn can take more than its first second), less the final one's last fraction.
    steady = [rates[i] for i in range(1, len(snapshots) - 1) if snapshots[i - 1]["users"] == 4]
    mean = sum(steady) / max(1, len(steady))
    assert len(steady) >= 4 and all(0.5 * mean <= rate <= 1.5 * mean for rate in steady), rates


@pytest.mark.parametrize("workers", [0, 2])
def test_sigterm_ends_with_reason_stopped_and_a_final_snapshot(tmp_path, ingest, target, workers):
    process = start(tmp_path, ingest, target, durationSeconds=60, workers=workers)
    deadline = time.monotonic() + 30
    while len(ingest.bodies("/metrics")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    wait(process, tmp_path)
    check_report(ingest, tmp_path, "stopped")


STOPS_ITSELF = LOCUSTFILE + b"""
import gevent
from locust import events

@events.test_start.add_listener
def _stop_soon(environment, **_kwargs):
    gevent.spawn_later(2.5, environment.runner.stop)
"""


@pytest.mark.parametrize("workers", [0, 2])
def test_a_stop_from_inside_locust_ends_the_process_as_stopped(tmp_path, ingest, target, workers):
    started = time.monotonic()
    process = start(tmp_path, ingest, target, durationSeconds=60, workers=workers, scriptContent=base64.b64encode(STOPS_ITSELF).decode())
    wait(process, tmp_path)
    assert time.monotonic() - started < 30
    check_report(ingest, tmp_path, "stopped")


def test_locust_serves_no_web_ui(tmp_path, ingest, target):
    process = start(tmp_path, ingest, target, durationSeconds=3)
    wait(process, tmp_path)
    log = (tmp_path / "locust.log").read_text()
    assert "Starting web interface" not in log and "Starting Locust" in log


def test_pushes_refused_for_a_while_are_resent_in_order(tmp_path, ingest, target):
    ingest.fail_next = 4
    wait(start(tmp_path, ingest, target), tmp_path)
    check_report(ingest, tmp_path, "duration")


WHO_AM_I = LOCUSTFILE + b"""
import json, os, urllib.request
from locust import events

@events.test_start.add_listener
def _report_identity(environment, **_kwargs):
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    identity = {k: status[k].strip() for k in ("Uid", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp")}
    identity["ingest"] = os.environ.get("LOADMGR_INGEST_TOKEN")
    urllib.request.urlopen(urllib.request.Request(environment.host + "/identity", data=json.dumps(identity).encode(), method="POST"), timeout=5)
"""


def test_as_another_user_the_sandbox_is_as_sealed(tmp_path, ingest):
    """The supervisor as a user other than root (here: uid 1000 of a user namespace of its own, which
    takes bubblewrap's unprivileged path): the run is uid 65534 of its own user namespace, with no
    capability, no_new_privs and the seccomp filter; its ingest token stays outside."""
    import shutil
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here")
    seen = []

    class Target(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_POST(self):
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.1:{server.server_address[1]}"
        process = start(tmp_path, ingest, target, prefix=("unshare", "--user", "--map-user=1000", "--map-group=1000"), scriptContent=base64.b64encode(WHO_AM_I).decode(), users=1, spawnRate=1, durationSeconds=3)
        wait(process, tmp_path)
    finally:
        server.shutdown()
    assert len(seen) == 1, (tmp_path / "locust.log").read_text()[-2000:]
    identity = seen[0]
    assert identity["Uid"].split() == ["65534"] * 4
    for key in ("CapEff", "CapPrm", "CapBnd"):
        assert int(identity[key], 16) == 0, identity
    assert identity["NoNewPrivs"] == "1" and identity["Seccomp"] == "2"
    assert identity["ingest"] is None
    assert ingest.bodies("/test-stop"), "it reported through its supervisor all the same"


def test_a_host_limit_on_open_files_below_the_runs_is_kept_and_the_run_goes_on(tmp_path, ingest, target):
    """runner.limits.openFiles asks 10,000; a host (or container) whose hard limit is 512 keeps 512, and
    the run starts anyway (raising it failed every run with "Exception occurred in preexec_fn")."""
    import shutil

    if shutil.which("prlimit") is None:
        pytest.skip("no prlimit(1) here")
    process = start(tmp_path, ingest, target, prefix=("prlimit", "--nofile=512:512"), durationSeconds=2, limits={"openFiles": 10_000})
    assert wait(process, tmp_path) in (0, 1)
    assert "preexec_fn" not in (tmp_path / "locust.log").read_text()
    assert ingest.bodies("/test-stop")[0]["reason"] == "duration"


def test_a_run_file_is_read_only_as_a_regular_file_never_through_a_link_and_bounded(tmp_path):
    import os

    from loadmgr_locust.supervisor import collect_files, read_run_file

    secret = tmp_path / "host-secret"
    secret.write_text("the server's secrets\n")
    work = tmp_path / "work"
    work.mkdir()
    # What a hostile run may leave in its work directory in place of Locust's CSVs.
    os.symlink(secret, work / "locust_stats.csv")
    os.mkfifo(work / "locust_failures.csv")
    (work / "locust_stats_history.csv").write_text("Timestamp,Count\n" + "1,2\n" * 100)
    assert read_run_file(str(work / "locust_stats.csv")) is None
    assert read_run_file(str(work / "locust_failures.csv")) is None  # a FIFO: not read, not waited on
    assert read_run_file(str(work / "absent.csv")) is None
    # Over the limit: a CSV's first whole lines, a log's last.
    assert read_run_file(str(work / "locust_stats_history.csv"), limit=40) == (b"Timestamp,Count\n" + b"1,2\n" * 6, True)
    (tmp_path / "locust.log").write_text("first\nmiddle\nlast line\n")
    assert read_run_file(str(tmp_path / "locust.log"), keep_tail=True, limit=16) == (b"last line\n", True)

    sent = []
    assert collect_files(str(tmp_path), str(work), "r1", lambda path, body: (sent.append((path, body)), (200, b"{}"))[1])
    import base64
    import json

    names = {json.loads(body)["name"]: base64.b64decode(json.loads(body)["contentBase64"]) for _, body in sent}
    assert sorted(names) == ["locust.log", "locust_stats_history.csv"]
    assert b"secrets" not in b"".join(names.values())
    assert (tmp_path / "files-collected").exists()
    # One the server refused: not marked collected (the agent keeps the directory for a day).
    (tmp_path / "files-collected").unlink()
    assert not collect_files(str(tmp_path), str(work), "r1", lambda path, body: (503, b"{}"))
    assert not (tmp_path / "files-collected").exists()
