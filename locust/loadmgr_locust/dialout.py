"""The agent that dials out: `loadmgr-locust agent --server URL --token TOKEN`.

It holds one outbound connection to the server (an HTTP long poll: POST /v1/internal/agents/sync),
reporting its capacity, labels and what it runs, and receiving what it should run: a run's master or
some of its workers. The server never connects to it. The answer is declarative (every run this
agent should hold), so a lost answer or a reconnect changes nothing: the next one sets it right.
Runs are started with the same supervisor as on the server's host (`loadmgr-locust run-dir`), each
in its own process group, so they outlive a short loss of the server: the agent retries with backoff
and keeps them running meanwhile. They do not outlive the agent: each supervisor holds the read end of
a pipe only the agent writes (its lifeline), and ends its run when that closes, however the agent went.
The next agent process on the same directory says which process it follows (`previousInstanceId`),
so the server knows at once that what that one held has ended and hands none of it out again.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import __version__
from .sandbox import PARENT_ENV, claim_v2_parent, kill_recorded_cgroup, kill_run_processes

logger = logging.getLogger("loadmgr.agent")

#: How long the server may hold a call: the agent's heartbeat, whether it runs something or not. What
#: the server has for it (a run placed on it, a stop) answers the held call at once, and what the agent
#: has to say (a process that ended, a master's port) goes in a new call at once (CHANGE_POLL_S), so a
#: long wait costs nothing in reaction time, and an agent costs the server a call every 25 s however
#: many runs it holds. The server counts an agent heard until its call's wait is over
#: (shared/src/agents.ts: AGENT_WAIT_MS).
WAIT_MS = 25000
#: The shortest wait an operator may set (behind a proxy that cuts idle requests sooner).
MIN_WAIT_MS = 1500
#: How often the agent looks at its runs while a call is held, for something to report.
CHANGE_POLL_S = 0.25
#: The most of a run's log an exit report carries.
LOG_TAIL_BYTES = 4000
#: Exit status when another agent serves the same directory (the server's own agent, started twice).
EXIT_DIRECTORY_TAKEN = 75
BACKOFF_MAX_S = 10.0
#: How long to wait before trying again under a name another connected agent holds.
NAME_RETRY_S = 5
#: Runs this agent held and has let go of are never started again (the server may still list one briefly).
FORGET_AFTER_S = 600
#: A run that ended is asked to stop (its master writes Locust's CSVs, its workers quit); killed after this.
RELEASE_GRACE_S = 15
#: Written in a run's directory by its supervisor once the master's end reached the server.
REPORTED_STOP = "reported-stop"
#: The environment variable naming the supervisor's end of its lifeline to the agent (supervisor.py).
AGENT_LIFELINE_ENV = "LOADMGR_AGENT_LIFELINE"
#: The instance id of the agent process serving a runs directory, for the next one to name.
INSTANCE_FILE = "agent-instance"
#: How long a run's directory (its spec with the script, its log, Locust's CSVs) is kept once the server
#: has collected its files (the master's supervisor marks it FILES_COLLECTED); a worker part's has none.
KEEP_RUNS_HOURS = 0.0
#: How long one whose files did not reach the server is kept, at least (for its operator to look into).
KEEP_UNCOLLECTED_HOURS = 24.0
#: Written in a master's run directory by its supervisor once the server has its files (supervisor.py).
FILES_COLLECTED = "files-collected"
#: How often the agent looks for run directories past that.
PRUNE_EVERY_S = 600
#: Where the agent says how it is, in its directory, for `loadmgr-locust agent-health` (a pod's probes).
HEALTH_FILE = ".agent-health.json"
#: Alive: its loop turned this recently (a call waits at most WAIT_MS + 15 s, a backoff 10 s).
ALIVE_WITHIN_S = 60
#: Ready: the server answered this recently (it answers at least every WAIT_MS).
READY_WITHIN_S = 45


def log_tail(path: str, max_bytes: int = LOG_TAIL_BYTES) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class AgentExit(Exception):
    """The agent must stop: its token was revoked."""


class NameTaken(Exception):
    """Another connected agent of the pool has this agent's name."""


@dataclass
class HeldRun:
    run_id: str
    role: str
    processes: int
    run_dir: str
    process: subprocess.Popen
    stop_requested: bool = False
    killed: bool = False
    released_at: Optional[float] = None
    terminated_at: Optional[float] = None
    report_cache: Dict[str, Any] = field(default_factory=dict)
    #: The write end of the run's lifeline (see DialOutAgent.start), closed when the agent lets the run go.
    lifeline: Optional[int] = None
    removed: bool = False

    def release(self, now: float) -> None:
        self.released_at = now
        if self.lifeline is not None:
            os.close(self.lifeline)
            self.lifeline = None


def local_address(server_url: str) -> str:
    """The address of the interface this host reaches the server through (where its pool peers reach it too)."""
    parsed = urllib.parse.urlparse(server_url)
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((host, port))
            return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def parse_labels(text: str) -> Dict[str, str]:
    labels: Dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--labels: {pair!r} is not key=value")
        labels[key.strip()] = value.strip()
    return labels


class DialOutAgent:
    def __init__(self, server: str, token: str, name: str, capacity: int, labels: Dict[str, str], runs_dir: str, address: str, idle_exit_s: float = 0, previous_instance_id: Optional[str] = None, keep_runs_hours: float = KEEP_RUNS_HOURS, inbound: bool = True, wait_ms: int = WAIT_MS) -> None:
        self.server = server.rstrip("/")
        #: How long the server may hold a call (MIN_WAIT_MS to WAIT_MS).
        self.wait_ms = max(MIN_WAIT_MS, min(WAIT_MS, wait_ms))
        #: Whether other hosts can connect to this one (without: its runs' remote workers come through the server's relay).
        self.inbound = inbound
        self.token = token
        self.name = name
        self.capacity = capacity
        self.labels = labels
        self.runs_dir = os.path.abspath(runs_dir)
        self.address = address
        self.instance_id = uuid.uuid4().hex
        #: The agent process this one follows on the same directory (it held the lock, so it has ended).
        self.previous_instance_id = previous_instance_id
        self.keep_runs_s = keep_runs_hours * 3600
        self.pruned_at = 0.0
        self.synced_at: Optional[float] = None
        self.runs: Dict[str, HeldRun] = {}
        self.stopping = False
        self.idle_exit_s = idle_exit_s
        self.cgroup_parent: Optional[str] = None
        os.makedirs(self.runs_dir, exist_ok=True)

    # -- the connection ---------------------------------------------------------------------------

    def busy(self) -> bool:
        return any(held.process.poll() is None for held in self.runs.values())

    def serve(self) -> int:
        backoff = 0.5
        connected = False
        last_error = ""
        reached_at = time.monotonic()
        while not self.stopping:
            self._note_health(connected)
            if self.idle_exit_s > 0 and not connected and time.monotonic() - reached_at > self.idle_exit_s and not self.busy():
                logger.info("no server for %.0f s and nothing to run: exiting", self.idle_exit_s)
                return 0
            try:
                answer = self._exchange()
                if self.stopping:
                    break
            except AgentExit as exit_:
                logger.error("%s", exit_)
                self.kill_all()
                return 3
            except NameTaken as taken:
                logger.warning("the server refused this agent for now: %s; retrying in %d s", taken, NAME_RETRY_S)
                time.sleep(NAME_RETRY_S)
                continue
            except (OSError, urllib.error.URLError, ValueError) as error:
                if connected:
                    logger.warning("lost the server (%s); its runs go on here; retrying", error)
                elif str(error) != last_error:
                    logger.warning("cannot reach the server (%s); retrying", error)
                last_error = str(error)
                connected = False
                time.sleep(backoff * (0.5 + random.random()))
                backoff = min(BACKOFF_MAX_S, backoff * 2)
                continue
            if not connected:
                logger.info("connected to %s as %s (agent %s, capacity %d)", self.server, self.name, answer.get("agentId"), self.capacity)
                connected = True
            reached_at = time.monotonic()
            backoff = 0.5
            self.reconcile(answer.get("assignments") or [])
            if time.monotonic() - self.pruned_at >= PRUNE_EVERY_S:
                self.pruned_at = time.monotonic()
                self.prune()
        self.kill_all()
        return 0

    def _note_health(self, connected: bool) -> None:
        """Writes when the loop last turned and when the server last answered (atomically: a probe may read it)."""
        now = time.time()
        if connected:
            self.synced_at = now
        path = os.path.join(self.runs_dir, HEALTH_FILE)
        try:
            with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
                json.dump({"loopAt": now, "syncedAt": self.synced_at, "name": self.name, "pid": os.getpid()}, handle)
            os.replace(f"{path}.tmp", path)
        except OSError as error:
            logger.debug("could not write %s: %s", path, error)

    def _exchange(self) -> Dict[str, Any]:
        """One call, held by the server up to the wait. Should what this agent reports change meanwhile
        (a process ended, a master's port is known, a stop was passed on), a new call goes at once: the
        server answers the older one then, and only the newest call's answer counts."""
        reports = self.reports()
        call = self._call(reports)
        while True:
            # (Not result(timeout): the call's own socket time-out is a TimeoutError too.)
            if concurrent.futures.wait([call], timeout=CHANGE_POLL_S).done:
                return call.result()
            if self.stopping:
                return {}
            now = self.reports()
            if now != reports:
                reports = now
                call = self._call(reports)

    def _call(self, reports: List[Dict[str, Any]]) -> "concurrent.futures.Future[Dict[str, Any]]":
        """A call in a thread of its own (a daemon: one still held never keeps a stopping agent up)."""
        future: "concurrent.futures.Future[Dict[str, Any]]" = concurrent.futures.Future()

        def call() -> None:
            try:
                future.set_result(self._sync(reports))
            except BaseException as error:  # noqa: BLE001 (handed to the loop, which knows what each means)
                future.set_exception(error)

        threading.Thread(target=call, name="sync", daemon=True).start()
        return future

    def _sync(self, reports: List[Dict[str, Any]]) -> Dict[str, Any]:
        wait_ms = self.wait_ms
        body = json.dumps(
            {
                "name": self.name,
                "instanceId": self.instance_id,
                "capacity": self.capacity,
                "labels": self.labels,
                "version": __version__,
                "address": self.address,
                "inbound": self.inbound,
                **({"previousInstanceId": self.previous_instance_id} if self.previous_instance_id else {}),
                "runs": reports,
                "waitMs": wait_ms,
                # The server refuses a host whose clock is off (409, saying by how much): this call retries.
                "sentAt": int(time.time() * 1000),
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.server}/v1/internal/agents/sync",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=wait_ms / 1000 + 15) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:500].decode("utf-8", "replace")
            if error.code == 401:
                raise AgentExit(f"the server refused this agent's token: {detail}") from error
            if error.code == 409:
                # Another process holds this name (or this agent's previous process, until its silence
                # window passes, after a restart): wait and try again rather than give up.
                raise NameTaken(detail) from error
            raise OSError(f"the server answered {error.code}: {detail}") from error

    # -- the runs ---------------------------------------------------------------------------------

    def reports(self) -> List[Dict[str, Any]]:
        reports = []
        now = time.monotonic()
        for key, held in list(self.runs.items()):
            if held.released_at is not None and now - held.released_at > FORGET_AFTER_S:
                del self.runs[key]
                continue
            if held.released_at is not None:
                if not held.removed and held.process.poll() is not None and self.keep_runs_s == 0:
                    self.remove(held)
                continue
            reports.append(self.describe(held))
        return reports

    def describe(self, held: HeldRun) -> Dict[str, Any]:
        report: Dict[str, Any] = {"runId": held.run_id, "role": held.role, "processes": held.processes}
        code = held.process.poll()
        if held.stop_requested:
            report["stopRequested"] = True
        if held.role == "master":
            try:
                with open(os.path.join(held.run_dir, "master.json"), encoding="utf-8") as handle:
                    report["masterPort"] = int(json.load(handle)["port"])
            except (OSError, ValueError, KeyError):
                pass
        if code is None:
            report["state"] = "running"
            return report
        if not held.report_cache:
            exit_info: Dict[str, Any] = {}
            try:
                with open(os.path.join(held.run_dir, "exit.json"), encoding="utf-8") as handle:
                    exit_info = json.load(handle)
            except (OSError, ValueError):
                exit_info = {"exitCode": code if code >= 0 else None, "signal": signal.Signals(-code).name if code < 0 else None}
            held.report_cache = {
                "exitCode": exit_info.get("exitCode"),
                "signal": exit_info.get("signal"),
                "logTail": log_tail(os.path.join(held.run_dir, "locust.log")),
                **({"limit": str(exit_info["message"])[:500]} if isinstance(exit_info.get("message"), str) else {}),
            }
        report.update(state="exited", **held.report_cache)
        return report

    def reconcile(self, assignments: List[Dict[str, Any]]) -> None:
        # A run's master and some of its workers may share an agent: each part is held apart.
        wanted = {_key(a["runId"], a["role"]): a for a in assignments}
        for key, assignment in wanted.items():
            held = self.runs.get(key)
            if held is None:
                if assignment.get("spec") is not None:
                    self.start(assignment)
                continue
            if assignment.get("stop") and not held.stop_requested and held.process.poll() is None:
                held.stop_requested = True
                logger.info("run %s: stopping its %s", held.run_id, held.role)
                _signal_group(held.process.pid, signal.SIGTERM, only_leader=True)
        now = time.monotonic()
        for key, held in self.runs.items():
            if key in wanted or held.released_at is not None:
                continue
            # The run ended (or was taken from this agent): whatever is left of it goes.
            if held.process.poll() is None:
                reported = os.path.exists(os.path.join(held.run_dir, REPORTED_STOP))
                if held.role == "master" and not reported and not held.stop_requested:
                    # The server ended it without Locust reporting its end (silent, hung, past its guard,
                    # not stopping when asked): nothing of it is worth waiting for.
                    logger.warning("run %s has ended without its master's report: killing its %s", held.run_id, held.role)
                    self.kill(held, wait=False)
                    held.release(now)
                    continue
                if held.terminated_at is None:
                    # Its master reported the end and is winding down (its CSVs, its final table), or
                    # these are workers whose master tells them to quit: let them, then ask, then kill.
                    held.terminated_at = now
                    held.stop_requested = True
                    if not reported:
                        logger.info("run %s has ended: stopping what is left of its %s", held.run_id, held.role)
                        _signal_group(held.process.pid, signal.SIGTERM, only_leader=True)
                    continue
                if reported and held.terminated_at + RELEASE_GRACE_S <= now < held.terminated_at + 2 * RELEASE_GRACE_S:
                    _signal_group(held.process.pid, signal.SIGTERM, only_leader=True)
                    continue
                if now - held.terminated_at < (2 if reported else 1) * RELEASE_GRACE_S:
                    continue
                logger.warning("run %s: its %s did not stop within %d s; killing it", held.run_id, held.role, RELEASE_GRACE_S)
                # Not waited for: this loop is the agent's heartbeat, and a run whose master is here must not
                # be judged lost because another run's processes took their time to die (a later poll reaps it).
                self.kill(held, wait=False)
            held.release(now)

    def start(self, assignment: Dict[str, Any]) -> None:
        spec = dict(assignment["spec"])
        run_id = str(spec["runId"])
        if not run_id.replace("-", "").isalnum() or len(run_id) > 64:
            logger.error("refusing a run id with unexpected characters: %r", run_id)
            return
        role = str(assignment["role"])
        run_dir = os.path.join(self.runs_dir, run_id if role == "master" else f"{run_id}.workers")
        os.makedirs(run_dir, mode=0o700, exist_ok=True)
        token = str(spec.pop("ingestToken", ""))
        # A worker part's way to its master through the server's relay (when the master's host takes no inbound connection).
        relay_token = str(spec.pop("relayToken", ""))
        # Secrets go to the supervisor's environment, never into a file that outlives the run.
        secret_env = json.dumps(spec.pop("secretEnv", None) or {})
        # The plugin reports to the server as this agent reaches it.
        spec["ingestUrl"] = self.server
        with open(os.path.join(run_dir, "spec.json"), "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        log = open(os.path.join(run_dir, "locust.log"), "ab")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LOADMGR_INGEST_TOKEN": token,
            "LOADMGR_RELAY_TOKEN": relay_token,
            "LOADMGR_SECRET_ENV": secret_env,
        }
        if self.cgroup_parent is not None:
            env[PARENT_ENV] = self.cgroup_parent
        # The run's lifeline: this process alone holds the write end (not inheritable), so it closes
        # when the agent ends, however it ends, and the supervisor then ends the run.
        lifeline_read, lifeline_write = os.pipe()
        env[AGENT_LIFELINE_ENV] = str(lifeline_read)
        try:
            # -I: the supervisor is trusted; nothing from the environment or a working directory reaches its imports.
            process = subprocess.Popen(
                [sys.executable, "-I", "-m", "loadmgr_locust", "run-dir", run_dir],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                pass_fds=(lifeline_read,),
                start_new_session=True,
            )
        except BaseException:
            os.close(lifeline_write)
            raise
        finally:
            log.close()
            os.close(lifeline_read)
        self.runs[_key(run_id, role)] = HeldRun(run_id, role, int(assignment["processes"]), run_dir, process, lifeline=lifeline_write)
        logger.info("run %s: started its %s (%d process%s, pid %d)", run_id, assignment["role"], assignment["processes"], "" if assignment["processes"] == 1 else "es", process.pid)

    def remove(self, held: HeldRun) -> None:
        """Removes the directory of a run part that has ended, once nothing of it is left to keep: a
        worker part's at once, a master's once the server has its files (else prune keeps it a day)."""
        if held.role == "master" and not os.path.exists(os.path.join(held.run_dir, FILES_COLLECTED)):
            return
        held.removed = True
        try:
            kill_recorded_cgroup(held.run_dir)
            kill_run_processes(held.run_dir)
            shutil.rmtree(held.run_dir)
            logger.info("run %s: removed its %s directory (the server has what it keeps)", held.run_id, held.role)
        except OSError as error:
            logger.warning("could not remove the run directory %s: %s", held.run_dir, error)

    def prune(self) -> List[str]:
        """Removes the directories of runs this agent no longer holds whose last change is older than
        keep_runs_s, or KEEP_UNCOLLECTED_HOURS for a master's whose files the server did not get (each
        keeps the run's script and files, its log and Locust's CSVs); the names removed."""
        held = {os.path.basename(h.run_dir) for h in self.runs.values() if h.released_at is None}
        collected_cutoff = time.time() - self.keep_runs_s
        uncollected_cutoff = time.time() - max(self.keep_runs_s, KEEP_UNCOLLECTED_HOURS * 3600)
        removed = []
        for entry in os.scandir(self.runs_dir):
            if not entry.is_dir(follow_symlinks=False) or entry.name in held or entry.name.startswith("."):
                continue
            if not entry.name.replace("-", "").replace(".workers", "").isalnum():
                continue  # not a run's directory
            try:
                kept = entry.name.endswith(".workers") or os.path.exists(os.path.join(entry.path, FILES_COLLECTED))
                if entry.stat(follow_symlinks=False).st_mtime >= (collected_cutoff if kept else uncollected_cutoff):
                    continue
                kill_recorded_cgroup(entry.path)
                kill_run_processes(entry.path)
                shutil.rmtree(entry.path)
                removed.append(entry.name)
            except OSError as error:
                logger.warning("could not remove the old run directory %s: %s", entry.path, error)
        if removed:
            logger.info("removed %d run director%s older than %.0f h", len(removed), "y" if len(removed) == 1 else "ies", self.keep_runs_s / 3600)
        return removed

    def kill(self, held: HeldRun, wait: bool = True) -> None:
        held.killed = True
        _signal_group(held.process.pid, signal.SIGKILL)
        # A sandbox killed while it was being set up can leave a process outside the group: its cgroup has
        # it, and its command line names the run's directory (where there is no cgroup, as on gVisor). Its
        # bubblewrap may be cloning the sandbox's first process as the group dies: looked for again after.
        kill_recorded_cgroup(held.run_dir)
        kill_run_processes(held.run_dir)
        threading.Thread(target=_sweep_after_kill, args=(held.run_dir,), daemon=True).start()
        if not wait:
            return
        try:
            held.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self) -> None:
        for held in self.runs.values():
            if held.process.poll() is None:
                self.kill(held)


def _sweep_after_kill(run_dir: str) -> None:
    """Kills what of a killed run part shows up in the two seconds after (see DialOutAgent.kill)."""
    for delay in (0.1, 0.2, 0.7, 1.0):
        time.sleep(delay)
        kill_run_processes(run_dir)


def _key(run_id: str, role: str) -> str:
    return f"{run_id}/{role}"


def _signal_group(pid: int, signum: int, only_leader: bool = False) -> None:
    try:
        if only_leader:
            os.kill(pid, signum)
        else:
            os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def _lock_directory(runs_dir: str) -> Any:
    """One agent per runs directory: a second (the server's own agent, started again while the first
    still holds runs across a server restart) leaves at once."""
    import fcntl

    os.makedirs(runs_dir, exist_ok=True)
    handle = open(os.path.join(runs_dir, ".agent.lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        logger.info("another agent serves %s; leaving it to that one", runs_dir)
        sys.exit(EXIT_DIRECTORY_TAKEN)
    return handle


def health(runs_dir: str, ready: bool, now: Optional[float] = None) -> Tuple[bool, str]:
    """Whether the agent serving `runs_dir` is alive (its loop turned within ALIVE_WITHIN_S) and, asked
    for `ready`, connected (the server answered within READY_WITHIN_S); and why, in a line."""
    now = time.time() if now is None else now
    try:
        with open(os.path.join(runs_dir, HEALTH_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
        loop_at, synced_at = float(state["loopAt"]), state.get("syncedAt")
    except (OSError, ValueError, KeyError, TypeError):
        return False, f"no agent has said how it is in {runs_dir}"
    if now - loop_at > ALIVE_WITHIN_S:
        return False, f"the agent's loop last turned {now - loop_at:.0f} s ago"
    if ready and (synced_at is None or now - float(synced_at) > READY_WITHIN_S):
        since = "never" if synced_at is None else f"{now - float(synced_at):.0f} s ago"
        return False, f"the server last answered this agent {since}"
    return True, "alive" + (" and connected" if ready else "")


def _follow_previous(runs_dir: str, instance_id: str) -> Optional[str]:
    """The id of the agent process that served this directory before (ended: this one holds its lock), and
    this one's recorded for the next."""
    path = os.path.join(runs_dir, INSTANCE_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            previous: Optional[str] = handle.read().strip() or None
    except OSError:
        previous = None
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(instance_id)
    return previous


def serve(server: str, token: str, name: Optional[str], capacity: Optional[int], labels: str, runs_dir: str, address: Optional[str], idle_exit_s: float = 0, keep_runs_hours: float = KEEP_RUNS_HOURS, inbound: bool = True, wait_ms: int = WAIT_MS) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # run files are for this user alone
    lock = _lock_directory(runs_dir)
    agent = DialOutAgent(
        server,
        token,
        name or socket.gethostname(),
        capacity or os.cpu_count() or 1,
        parse_labels(labels),
        runs_dir,
        address or local_address(server),
        idle_exit_s,
        keep_runs_hours=keep_runs_hours,
        inbound=inbound,
        wait_ms=wait_ms,
    )
    agent.previous_instance_id = _follow_previous(agent.runs_dir, agent.instance_id)
    # On cgroup v2 the agent moves into a leaf of its cgroup, which then holds its runs' cgroups.
    agent.cgroup_parent = claim_v2_parent()

    def on_term(_signum: int, _frame: Any) -> None:
        agent.stopping = True
        agent.kill_all()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    reach = f"address {agent.address}" if agent.inbound else "no inbound connections (remote workers through the server's relay)"
    logger.info("loadmgr agent %s: %s, capacity %d, %s, dialing %s", __version__, agent.name, agent.capacity, reach, agent.server)
    code = agent.serve()
    lock.close()
    sys.exit(code)
