"""The Locust plugin: importing this module registers it with Locust's events.

On the master (or a single process) it pushes a snapshot every `--loadmgr-interval` seconds of the
seconds that are over (the requests that ended in them, wherever they were made), announces test
start and stop, and delivers its final snapshot synchronously before Locust exits. On workers it
counts requests by the second they ended in and sends those with each report (every second, not
Locust's three). It reports nothing when `--loadmgr-url` is unset.
The ingest token comes from the LOADMGR_INGEST_TOKEN environment variable only, so it never shows
in Locust's web UI or in a process list.
"""

from __future__ import annotations

import logging
import math
import re
import os
import socket
import time
from typing import Any, Dict, List, Optional

import gevent
import gevent.event
import locust
from locust import events
from locust.runners import STATE_MISSING, STATE_STOPPED, STATE_STOPPING, MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from . import stages
from .delivery import Delivery
from .redact import Redactor
from .intervals import CumulativeDiffer, Interval, Seconds, span_ms
from .samples import RequestSampler

logger = logging.getLogger("loadmgr")

INGEST = "/v1/internal/locust"
#: How often a worker reports to its master (Locust's locust.runners.WORKER_REPORT_INTERVAL is 3 s): a
#: snapshot waits for every worker's report of its seconds, so this bounds how far the charts lag.
WORKER_REPORT_SECONDS = 1.0
#: Until every worker has reported once, how long after a second ends a master takes it (a report a
#: second apart, and its way to the master); a report later than that counts in the next snapshot.
DISTRIBUTED_LAG_SECONDS = WORKER_REPORT_SECONDS + 1.0
#: The most a master's snapshots trail the load, whatever its workers report: a worker whose clock is
#: behind (another host without NTP) or whose reports lag must not hold every snapshot back until the
#: server judges the run silent; what it reports later counts in a later snapshot, never lost.
MAX_TRAIL_SECONDS = 5.0
#: How long a master waits for a worker's heartbeat before it counts the worker missing (Locust's own is
#: 3 s; once every worker is missing, it ends the run). A pool run's workers reach their master over a
#: network, or through the server's relay: a server or a host that pauses for a few seconds (busy, in a
#: collection) delays every heartbeat at once, and the workers are still there when it goes on. A worker
#: that quits says so at once; one that died without a word is counted missing 10 s after its last
#: heartbeat instead of 3.
WORKER_HEARTBEAT_LIVENESS_S = 10


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any, **_kwargs: Any) -> None:
    group = parser.add_argument_group("Load Manager")
    group.add_argument("--loadmgr-url", type=str, env_var="LOADMGR_URL", default="", help="Load Manager server URL")
    group.add_argument("--loadmgr-run-id", type=str, env_var="LOADMGR_RUN_ID", default="", help="run id to report as")
    group.add_argument(
        "--loadmgr-interval", type=float, env_var="LOADMGR_INTERVAL", default=2.0, help="seconds between snapshots"
    )
    group.add_argument(
        "--loadmgr-run-time",
        type=float,
        env_var="LOADMGR_RUN_TIME",
        default=0.0,
        help="seconds after the test starts to end it as finished (instead of Locust's --run-time, so the end is known to be the duration's)",
    )
    group.add_argument(
        "--loadmgr-sample-rate",
        type=float,
        env_var="LOADMGR_SAMPLE_RATE",
        default=20.0,
        help="successful requests per second sampled for the live request log (every failure is sent)",
    )
    group.add_argument(
        "--loadmgr-stages",
        type=str,
        env_var="LOADMGR_STAGES",
        default="",
        help='the run\'s load shape as JSON: [{"durationSec": 30, "users": 10, "spawnRate": 2}, ...]',
    )
    group.add_argument(
        "--loadmgr-final-timeout",
        type=float,
        env_var="LOADMGR_FINAL_TIMEOUT",
        default=30.0,
        help="seconds to keep retrying the final snapshot and stop call",
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _watch_requests(environment: Any, sampler: RequestSampler, seconds: Seconds) -> None:
    """Feeds every request this process makes to `sampler` and counts it in the second it ended in."""

    def on_request(request_type: str, name: str, response_time: Any, response_length: Any = 0, exception: Any = None, url: Any = None, **_kwargs: Any) -> None:
        if REDACTOR:
            name = REDACTOR.text(str(name))
            url = REDACTOR.text(str(url)) if url else url
            exception = _Redacted(REDACTOR.text(repr(exception))) if exception is not None else None
        seconds.record(time.time(), request_type or "", name, response_time, exception is not None)
        sampler.offer(request_type, name, response_time, exception, url)

    environment.events.request.add_listener(on_request)


def _report_from_worker(environment: Any, rate: float) -> None:
    """A worker sends its seconds and samples with each report, every WORKER_REPORT_SECONDS; the master
    puts the seconds together and samples again across workers."""
    import locust.runners

    locust.runners.WORKER_REPORT_INTERVAL = WORKER_REPORT_SECONDS  # read by the worker's reporter loop at each turn
    sampler = RequestSampler(math.ceil(rate * WORKER_REPORT_SECONDS))
    seconds = Seconds()
    _watch_requests(environment, sampler, seconds)

    region = os.environ.get("LOADMGR_REGION", "")

    def on_report(client_id: str, data: Dict[str, Any], **_kwargs: Any) -> None:
        # Every request this worker logged before now is in this report: its master may take the seconds before.
        data["loadmgr_until"] = time.time()
        if region:
            data["loadmgr_region"] = region
        data["loadmgr_seconds"] = seconds.pack()
        data["loadmgr_samples"] = sampler.take()

    environment.events.report_to_master.add_listener(on_report)


class Reporter:
    def __init__(
        self,
        environment: Any,
        url: str,
        run_id: str,
        interval: float,
        final_timeout: float,
        token: str,
        sample_rate: float,
        run_time: float,
    ) -> None:
        self.environment = environment
        self.run_id = run_id
        self.interval = interval
        self.final_timeout = final_timeout
        self.run_time = run_time
        self.delivery = Delivery(url, token)
        self.delivery.on_answer = self._on_answer
        self.distributed = isinstance(environment.runner, MasterRunner)
        self.current = Interval()
        self.seconds = Seconds()
        #: Seconds taken so far end here (the next snapshot starts here).
        self.taken_until: Optional[float] = None
        #: On a master: each worker's report holds every request it logged before this time.
        self.reported_until: Dict[str, float] = {}
        #: How many load changes of the run this process has applied (POST /v1/runs/{id}/load).
        self.load_version = 0
        #: Users at the end of each recent second (the gauge a snapshot of seconds that are over shows).
        self.users_at: Dict[int, int] = {}
        self.differ = CumulativeDiffer()
        #: A run split over regions (on a master): each region's seconds and interval, from its workers'
        #: reports, taken over the same seconds as the whole run's; and each worker's region.
        self.region_seconds: Dict[str, Seconds] = {}
        self.region_current: Dict[str, Interval] = {}
        self.worker_region: Dict[str, str] = {}
        self.sampler = RequestSampler(math.ceil(sample_rate * interval))
        self.seq = 0
        self.started_at: Optional[float] = None
        self.stop_reason: Optional[str] = None
        self.stop_message: Optional[str] = None
        self.quitting = False
        self.finished = False
        self._delivered = gevent.event.Event()
        self._pusher: Optional[gevent.Greenlet] = None
        self._deliverer: Optional[gevent.Greenlet] = None
        self._stop_pushing = gevent.event.Event()
        #: Set when a snapshot is pending delivery (the deliverer sends it apart from the push loop).
        self._to_deliver = gevent.event.Event()
        events_ = environment.events
        events_.test_start.add_listener(self.on_test_start)
        events_.test_stop.add_listener(self.on_test_stop)
        events_.quitting.add_listener(self.on_quitting)
        if self.distributed:
            events_.worker_report.add_listener(self.on_worker_report)
        else:
            _watch_requests(environment, self.sampler, self.seconds)

    def on_test_start(self, **_kwargs: Any) -> None:
        if self.started_at is not None:
            return
        self._announce_start()
        # Sent now, not with the first snapshot: the run shows Running as soon as its load flows.
        self._deliverer = gevent.spawn(self._deliver_loop)
        self._to_deliver.set()
        self._pusher = gevent.spawn(self._push_loop)
        gevent.spawn(self._watch_users)
        if self.run_time > 0:
            gevent.spawn_later(self.run_time, self._end_by_duration)

    def _end_by_duration(self) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.stop_message = "duration", None
        logger.info("loadmgr: run time of %ss reached, stopping", self.run_time)
        self._quit_locust()

    def _announce_start(self) -> None:
        self.started_at = time.time()
        self.differ.reset()
        runner = self.environment.runner
        self.delivery.enqueue(
            f"{INGEST}/test-start",
            {
                "runId": self.run_id,
                "timestamp": _now_ms(),
                "locustVersion": locust.__version__,
                "workers": runner.worker_count if self.distributed else 0,
                "host": os.environ.get("LOADMGR_HOST_NAME", socket.gethostname())[:200],
            },
        )

    def on_worker_report(self, client_id: str, data: Dict[str, Any], **_kwargs: Any) -> None:
        # (Only the run's own workers report here, each with this plugin: see _accept_own_workers_only.)
        self.seconds.add_packed(data.get("loadmgr_seconds") or [])
        until = data.get("loadmgr_until")
        if isinstance(until, (int, float)):
            self.reported_until[client_id] = float(until)
        self.current.add_worker_errors(data.get("errors") or {})
        self.sampler.add_all(data.get("loadmgr_samples") or [])
        region = data.get("loadmgr_region")
        if isinstance(region, str) and REGION_NAME.fullmatch(region) and (region in self.region_seconds or len(self.region_seconds) < MAX_REGIONS):
            self.worker_region[client_id] = region
            self.region_seconds.setdefault(region, Seconds()).add_packed(data.get("loadmgr_seconds") or [])
            self.region_current.setdefault(region, Interval()).add_worker_errors(data.get("errors") or {})

    def _complete_until(self, now: float) -> float:
        """Up to when every request is in: now on a single process; on a master, up to the oldest of
        its workers' latest reports (a worker gone missing aside), and never further back than MAX_TRAIL_SECONDS."""
        if not self.distributed:
            return now
        present = [worker.id for worker in list(self.environment.runner.clients.values()) if worker.state != STATE_MISSING]
        marks = [self.reported_until.get(worker) for worker in present]
        if not marks or None in marks:
            return now - DISTRIBUTED_LAG_SECONDS
        return max(now - MAX_TRAIL_SECONDS, min(now, min(m for m in marks if m is not None)))

    def on_test_stop(self, **_kwargs: Any) -> None:
        if self.stop_reason is None:
            self.stop_reason, self.stop_message = self._classify_stop()
        if not self.quitting and self.stop_reason != "duration":
            # Stopped from inside Locust (the script called runner.stop()): the process would otherwise
            # stay up; end it so the final snapshot is delivered and the run ends as Stopped.
            gevent.spawn_later(0.2, self._quit_locust)

    def on_quitting(self, **_kwargs: Any) -> None:
        if self.finished:
            # Headless Locust can shut down twice (a SIGTERM, then its main greenlet seeing the runner
            # end): the second must not exit the process before the first has delivered.
            self._delivered.wait(self.final_timeout + 5)
            return
        self.quitting = True
        runner = self.environment.runner
        if runner is not None and runner.state not in (STATE_STOPPED, STATE_STOPPING):
            # SIGTERM or Ctrl-C: Locust fires `quitting` before stopping the runner. Stop it now so
            # the workers' last reports arrive before the final snapshot.
            if self.stop_reason is None:
                self.stop_reason, self.stop_message = "stopped", "Locust was asked to shut down"
            runner.quit()
        self.finish()

    def finish(self) -> None:
        """Delivers the final snapshot and the stop call, blocking until acknowledged or timed out."""
        if self.finished:
            self._delivered.wait(self.final_timeout + 5)
            return
        self.finished = True
        try:
            self._finish()
        finally:
            self._delivered.set()

    def _finish(self) -> None:
        self._stop_pushing.set()
        self._to_deliver.set()
        for greenlet in (self._pusher, self._deliverer):
            if greenlet is not None and greenlet is not gevent.getcurrent():
                # Let a snapshot in flight be acknowledged (killed mid-call, it would be sent again), then stop.
                greenlet.join(timeout=self.delivery.timeout + 1)
                greenlet.kill(block=True)
        if self.started_at is None:
            self._announce_start()
        # Every request is in now (Locust stopped; a master has its workers' last reports). Locust
        # writes its CSVs from a greenlet every CSV_STATS_INTERVAL_SEC and not again at exit: let it
        # turn once more, so that locust_stats.csv holds the run's last requests too. Before the final
        # report, not after: once the server knows the run is over, its agent may end Locust.
        if getattr(self.environment.parsed_options, "csv_prefix", None):
            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.1)
        self._snapshot(final=True)
        reason = self.stop_reason or "stopped"
        body: Dict[str, Any] = {"runId": self.run_id, "timestamp": _now_ms(), "reason": reason, "lastSeq": self.seq}
        if self.stop_message:
            body["message"] = self.stop_message[:2000]
        self.delivery.enqueue(f"{INGEST}/test-stop", body)
        delivered = self.delivery.deliver_all(self.final_timeout)
        logger.info("loadmgr: final snapshot %s (seq %d, reason %s)", "delivered" if delivered else "NOT delivered", self.seq, reason)
        self.delivery.close()

    def _classify_stop(self) -> tuple:
        """Why Locust stopped when neither the run time nor a signal ended it: from the facts, never from elapsed time."""
        from locust import log

        if getattr(log, "unhandled_greenlet_exception", False):
            return "error", "Locust hit an unhandled exception (see its log)"
        runner = self.environment.runner
        if self.distributed and runner.worker_count == 0 and len(runner.clients.missing) > 0:
            return "error", "every Locust worker went missing"
        # Nobody asked the server: the script (or Locust itself) stopped the test.
        return "stopped", "Locust stopped the test itself (the script or Locust, not a stop request)"

    def _quit_locust(self) -> None:
        runner = self.environment.runner
        if runner is not None:
            runner.quit()

    def _deliver_loop(self) -> None:
        """Sends what is pending, apart from taking the snapshots: a server that is slow to answer or
        refuses for a while (its store down) delays their delivery, never the seconds they cover."""
        backoff = 0.2
        while not self._stop_pushing.is_set():
            if self.delivery.flush():
                backoff = 0.2
                self._to_deliver.wait()  # until the next snapshot, or the end
            else:
                self._to_deliver.wait(backoff)
                backoff = min(backoff * 2, float(self.interval))
            self._to_deliver.clear()

    def _push_loop(self) -> None:
        while not self._stop_pushing.wait(self.interval):
            self._snapshot(final=False)
            if self.delivery.run_over and not self.quitting:
                logger.warning("loadmgr: run %s has ended on the server; stopping Locust", self.run_id)
                self.stop_reason = self.stop_reason or "stopped"
                self._quit_locust()
                return

    def _snapshot(self, final: bool) -> None:
        runner = self.environment.runner
        stats = runner.stats
        now = time.time()
        start = self.taken_until if self.taken_until is not None else (self.started_at or now)
        # The seconds that are over (on a master: that every worker has reported too); the final
        # snapshot takes everything left, up to now.
        end = now if final else float(math.floor(self._complete_until(now)))
        if end <= start:
            return  # not one whole second since the last snapshot yet
        self.seconds.take(self.current, None if final else int(end))
        if not self.distributed:
            for error in list(stats.errors.values()):
                data = error.serialize()
                self.differ.feed_error(self.current, data["method"] or "", data["name"], str(data["error"]), data["occurrences"])
        endpoints, errors = self.current.take()
        regions = self._take_regions(None if final else int(end))
        self.seq += 1
        self.delivery.enqueue(
            f"{INGEST}/metrics",
            {
                "runId": self.run_id,
                "seq": self.seq,
                "timestamp": int(end * 1000),
                "intervalMs": max(1, int(end * 1000) - int(start * 1000)),
                "final": final,
                "users": self._users_at(end, final),
                "totalRequests": int(stats.total.num_requests),
                "totalFailures": int(stats.total.num_failures),
                "locustSpanMs": span_ms(stats.total.start_time, stats.total.last_request_timestamp),
                "endpoints": endpoints,
                "errors": errors,
                "requestSamples": self.sampler.take(),
                **({"regions": regions} if regions else {}),
            },
        )
        self.taken_until = end
        if not final:
            self._to_deliver.set()

    def _take_regions(self, before: Optional[int]) -> List[Dict[str, Any]]:
        """Each region's part of the snapshot: the same seconds, from its own workers' reports."""
        users: Dict[str, int] = {}
        for worker in list(self.environment.runner.clients.values()) if self.distributed else []:
            region = self.worker_region.get(worker.id)
            if region is not None:
                users[region] = users.get(region, 0) + int(getattr(worker, "user_count", 0) or 0)
        parts = []
        for region in sorted(self.region_seconds):
            interval = self.region_current[region]
            self.region_seconds[region].take(interval, before)
            endpoints, errors = interval.take()
            parts.append({"region": region, "users": users.get(region, 0), "endpoints": endpoints, "errors": errors})
        return parts

    def _on_answer(self, answer: Dict[str, Any]) -> None:
        """Applies a change of load the server asked for since the last one (as Locust's own UI does)."""
        load = answer.get("load")
        if not isinstance(load, dict) or self.quitting or self.started_at is None:
            return
        version, users, rate = load.get("version"), load.get("targetUsers"), load.get("spawnRate")
        if not isinstance(version, int) or version <= self.load_version or not isinstance(users, int) or not isinstance(rate, (int, float)):
            return
        self.load_version = version
        logger.info("loadmgr: run %s: changing to %d users at %s/s, as asked", self.run_id, users, rate)
        # Not from the delivery's own greenlet: start() may wait on workers.
        gevent.spawn(self.environment.runner.start, users, float(rate))

    def _users_at(self, end: float, final: bool) -> int:
        """The users running at the end of a snapshot's last second (now, for the final one)."""
        current = int(self.environment.runner.user_count or 0)
        if final:
            return current
        last = int(end) - 1
        earlier = [second for second in self.users_at if second <= last]
        for second in [s for s in self.users_at if s < last - 10]:
            del self.users_at[second]
        return self.users_at[max(earlier)] if earlier else current

    def _watch_users(self) -> None:
        # Read just after each second ends: the users at the end of the second before.
        while not self.finished:
            self.users_at[int(time.time()) - 1] = int(self.environment.runner.user_count or 0)
            gevent.sleep(1.0 - time.time() % 1.0 + 0.01)


#: The most regions a run may have (the server's MAX_RUN_REGIONS), and what a region's name may hold.
MAX_REGIONS = 10
REGION_NAME = re.compile(r"[A-Za-z0-9._-]{1,63}")

#: The largest message a master takes from a worker (a report of many endpoints is a few MB); libzmq
#: drops a connection that announces more, before it allocates anything.
MAX_WORKER_MESSAGE_BYTES = 256 * 1024 * 1024


def _bound_message_size() -> None:
    """Every Locust RPC socket refuses messages over MAX_WORKER_MESSAGE_BYTES (set before it binds or connects)."""
    import zmq
    from locust.rpc import zmqrpc

    init = zmqrpc.BaseSocket.__init__

    def bounded_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_WORKER_MESSAGE_BYTES)

    zmqrpc.BaseSocket.__init__ = bounded_init


_bound_message_size()


class _Redacted:
    """An error as Locust records it (its repr), with the run's secrets hidden."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def _hide_secrets(redactor: Redactor) -> None:
    """The run's secrets never enter Locust's statistics: request names and errors are redacted as
    they are recorded, on workers and masters alike, so its CSV files, its printed tables and its
    reports hold none."""
    if not redactor:
        return
    from locust.stats import RequestStats

    log_request = RequestStats.log_request
    log_error = RequestStats.log_error

    def redacted_request(self: Any, method: str, name: str, response_time: Any, content_length: Any) -> None:
        log_request(self, method, redactor.text(str(name)), response_time, content_length)

    def redacted_error(self: Any, method: str, name: str, error: Any) -> None:
        log_error(self, method, redactor.text(str(name)), _Redacted(redactor.text(repr(error) if not isinstance(error, str) else error)))

    RequestStats.log_request = redacted_request
    RequestStats.log_error = redacted_error


REDACTOR = Redactor.from_environment()
_hide_secrets(REDACTOR)


class _DropLog:
    """Says what was dropped, at most a few lines of each kind every 10 s (a flood of garbage must not flood the log)."""

    def __init__(self) -> None:
        self.window_start = 0.0
        self.told: Dict[str, int] = {}
        self.untold = 0

    def __call__(self, kind: str, detail: str = "") -> None:
        now = time.monotonic()
        if now - self.window_start > 10:
            if self.untold:
                logger.warning("loadmgr: %d more such messages dropped", self.untold)
            self.window_start, self.told, self.untold = now, {}, 0
        self.told[kind] = self.told.get(kind, 0) + 1
        if self.told[kind] <= 3:
            logger.warning("loadmgr: dropped %s%s", kind, detail)
        else:
            self.untold += 1


def _accept_own_workers_only(runner: Any) -> None:
    """A master takes messages only from workers with its own host name, the secret of its sandbox,
    and only messages that decode: whatever else arrives on its port is dropped, never read as a
    message, and never ends the master's listener (a single bad byte used to).

    A worker's id is `<host name>_<random>`, and each run's sandbox has a random host name, so a
    process that is not one of the run's workers cannot join it, report to it or tell it anything:
    its frames are dropped before anything in them is decoded.
    """
    import zmq.error
    from locust.exception import RPCError
    from locust.rpc.protocol import Message

    prefix = (socket.gethostname() + "_").encode()
    server = runner.server
    dropped = _DropLog()

    def recv_from_own_workers() -> Any:
        while True:
            try:
                frames = server.socket.recv_multipart()
            except zmq.error.ZMQError as error:
                raise RPCError("ZMQ network broken") from error
            if len(frames) != 2 or not frames[0].startswith(prefix):
                dropped("a message from a process that is not one of this run's workers")
                continue
            try:
                client_id = frames[0].decode()
                message = Message.unserialize(frames[1])
                if not isinstance(message.type, str) or message.node_id != client_id:
                    raise ValueError("not a message of this worker's")
            except Exception as error:  # noqa: BLE001 (whatever a malformed frame raises, it is dropped)
                dropped("a malformed message from worker", f" {frames[0][:80]!r} ({type(error).__name__})")
                continue
            return client_id, message

    server.recv_from_client = recv_from_own_workers


def _start_once_workers_are_ready(environment: Any) -> None:
    """A headless master looks for its expected workers once a second (locust.main's `time.sleep(1)`),
    so a run started up to a second after its last worker was ready: look every 20 ms instead, and go
    on as soon as they all are. Only that wait changes; every other sleep of locust.main is as it was."""
    import locust.main

    real = locust.main.time

    class Clock:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def sleep(self, seconds: float) -> None:
            runner = environment.runner
            expected = getattr(environment.parsed_options, "expect_workers", 1)
            if seconds != 1 or not isinstance(runner, MasterRunner) or len(runner.clients.ready) >= expected:
                real.sleep(seconds)
                return
            until = real.monotonic() + seconds
            while real.monotonic() < until and len(runner.clients.ready) < expected:
                real.sleep(0.02)

    locust.main.time = Clock()  # type: ignore[assignment]


@events.init.add_listener
def _on_init(environment: Any, runner: Any = None, **_kwargs: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    if isinstance(environment.runner, MasterRunner):
        # Read by Locust's master at each heartbeat (locust.runners' global, in 2.20 as in 2.47).
        locust.runners.HEARTBEAT_LIVENESS = max(locust.runners.HEARTBEAT_LIVENESS, WORKER_HEARTBEAT_LIVENESS_S)
        _accept_own_workers_only(environment.runner)
        _start_once_workers_are_ready(environment)
    if isinstance(environment.runner, WorkerRunner):
        # Workers are not told the server's URL; they sample anyway, and their master decides.
        _report_from_worker(environment, float(getattr(options, "loadmgr_sample_rate", 20.0)))
        return
    if getattr(options, "loadmgr_stages", ""):
        stages.install(environment, options.loadmgr_stages)
    if not getattr(options, "loadmgr_url", ""):
        return
    if not options.loadmgr_run_id:
        logger.error("loadmgr: --loadmgr-url is set but --loadmgr-run-id is not; not reporting")
        return
    token = os.environ.get("LOADMGR_INGEST_TOKEN", "")
    environment.loadmgr_reporter = Reporter(
        environment,
        options.loadmgr_url,
        options.loadmgr_run_id,
        options.loadmgr_interval,
        options.loadmgr_final_timeout,
        token,
        options.loadmgr_sample_rate,
        options.loadmgr_run_time,
    )
    logger.info("loadmgr: reporting run %s to %s every %ss", options.loadmgr_run_id, options.loadmgr_url, options.loadmgr_interval)
