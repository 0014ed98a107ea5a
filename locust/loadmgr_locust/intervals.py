"""Interval statistics: what happened between two snapshots, counted by the second requests ended in.

Pure logic (no Locust import) so it is unit-tested on its own. Histograms use Locust's own
response-time buckets (bucket_ms, the keys of StatsEntry.response_times), so merged percentiles match Locust's.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

EndpointKey = Tuple[str, str]


class _Endpoint:
    __slots__ = ("requests", "failures", "total_ms", "min_ms", "max_ms", "histogram")

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.total_ms = 0.0
        self.min_ms: float | None = None
        self.max_ms = 0.0
        self.histogram: Dict[int, int] = {}


class Interval:
    """Accumulates per-endpoint deltas and errors until `take` empties it."""

    def __init__(self) -> None:
        self._endpoints: Dict[EndpointKey, _Endpoint] = {}
        self._errors: Dict[Tuple[str, str, str], int] = {}

    def add_entry(
        self,
        method: str,
        name: str,
        requests: int,
        failures: int,
        total_ms: float,
        histogram: Mapping[Any, int],
        min_ms: float | None = None,
        max_ms: float | None = None,
    ) -> None:
        if requests <= 0 and failures <= 0:
            return
        entry = self._endpoints.setdefault((method or "", name), _Endpoint())
        entry.requests += requests
        entry.failures += failures
        entry.total_ms += total_ms
        buckets = {int(key): int(count) for key, count in histogram.items() if count > 0}
        for key, count in buckets.items():
            entry.histogram[key] = entry.histogram.get(key, 0) + count
        low = min_ms if min_ms is not None else min(buckets, default=None)
        high = max_ms if max_ms is not None else max(buckets, default=0)
        if low is not None:
            entry.min_ms = low if entry.min_ms is None else min(entry.min_ms, low)
        entry.max_ms = max(entry.max_ms, high or 0)

    def add_request(self, method: str, name: str, response_time: Optional[float], failed: bool) -> None:
        """One request, as Locust logs it (a request without a response time counts, but not in the figures)."""
        key = (method or "", name)
        entry = self._endpoints.get(key)
        if entry is None:
            entry = self._endpoints[key] = _Endpoint()
        entry.requests += 1
        if failed:
            entry.failures += 1
        if response_time is None:
            return
        entry.total_ms += response_time
        if entry.min_ms is None or response_time < entry.min_ms:
            entry.min_ms = response_time
        if response_time > entry.max_ms:
            entry.max_ms = response_time
        # bucket_ms, inline (this runs for every request Locust logs).
        bucket = int(round(response_time)) if response_time < 100 else bucket_ms(response_time)
        histogram = entry.histogram
        histogram[bucket] = histogram.get(bucket, 0) + 1

    def merge(self, other: "Interval") -> None:
        for (method, name), e in other._endpoints.items():
            self.add_entry(method, name, e.requests, e.failures, e.total_ms, e.histogram, e.min_ms, e.max_ms)
        for key, count in other._errors.items():
            self._errors[key] = self._errors.get(key, 0) + count

    def pack(self) -> List[List[Any]]:
        """The endpoints as plain lists (a worker's report to its master carries them)."""
        return [[m, n, e.requests, e.failures, e.total_ms, e.min_ms, e.max_ms, e.histogram] for (m, n), e in self._endpoints.items()]

    def add_packed(self, packed: Iterable[Any]) -> None:
        for item in packed:
            method, name, requests, failures, total_ms, min_ms, max_ms, histogram = item
            self.add_entry(str(method or ""), str(name), int(requests), int(failures), float(total_ms), histogram or {}, min_ms, max_ms)

    def add_error(self, method: str, name: str, error: str, occurrences: int) -> None:
        if occurrences > 0:
            key = (method or "", name, error)
            self._errors[key] = self._errors.get(key, 0) + occurrences

    def add_worker_errors(self, errors: Mapping[str, Mapping[str, Any]]) -> None:
        for data in errors.values():
            self.add_error(data.get("method") or "", data["name"], str(data["error"]), int(data["occurrences"]))

    def take(self) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        """Returns (endpoints, errors) in the ingest payload's shape and starts a new interval."""
        endpoints = [
            {
                "method": method,
                "name": name,
                "requests": e.requests,
                "failures": e.failures,
                "sumResponseMs": round(e.total_ms, 3),
                "minResponseMs": round(e.min_ms or 0, 3),
                "maxResponseMs": round(e.max_ms, 3),
                "histogram": sorted([k, c] for k, c in e.histogram.items()),
            }
            for (method, name), e in sorted(self._endpoints.items())
        ]
        errors = [
            {"method": method, "name": name, "error": error[:2000], "occurrences": count}
            for (method, name, error), count in sorted(self._errors.items())
        ]
        self._endpoints = {}
        self._errors = {}
        return endpoints, errors


def bucket_ms(response_time: float) -> int:
    """Locust's own histogram key for a response time (StatsEntry._log_response_time): 147 → 150, 3432 → 3400."""
    if response_time < 100:
        return int(round(response_time))
    if response_time < 1000:
        return int(round(response_time, -1))
    if response_time < 10000:
        return int(round(response_time, -2))
    return int(round(response_time, -3))


class Seconds:
    """Requests by the second they ended in (Locust's own clock for its requests/s: when it logged them).

    A snapshot takes the seconds that are over, so it counts what happened in its interval, not which
    worker reports happened to arrive in it; a second whose requests arrive after it was taken (a late
    report) goes into the next snapshot, never lost.
    """

    def __init__(self) -> None:
        self._seconds: Dict[int, Interval] = {}
        # The second requests are being logged in now, and its interval: most requests need no lookup.
        self._second = -1
        self._interval: Optional[Interval] = None

    def __len__(self) -> int:
        return len(self._seconds)

    def record(self, at: float, method: str, name: str, response_time: Optional[float], failed: bool) -> None:
        second = int(at)
        interval = self._interval
        if second != self._second or interval is None:
            interval = self._seconds.get(second)
            if interval is None:
                interval = self._seconds[second] = Interval()
            self._second, self._interval = second, interval
        interval.add_request(method, name, response_time, failed)

    def pack(self) -> List[List[Any]]:
        """Every second held, emptied (a worker's report: its master puts them together)."""
        packed = [[second, interval.pack()] for second, interval in sorted(self._seconds.items())]
        self._seconds, self._interval = {}, None
        return packed

    def add_packed(self, packed: Iterable[Any]) -> None:
        for second, endpoints in packed:
            interval = self._seconds.get(int(second))
            if interval is None:
                interval = self._seconds[int(second)] = Interval()
            interval.add_packed(endpoints)

    def take(self, into: Interval, before: Optional[int] = None) -> None:
        """Moves every second before `before` (all of them when None) into `into`."""
        for second in sorted(self._seconds):
            if before is not None and second >= before:
                break
            into.merge(self._seconds.pop(second))
            if second == self._second:
                self._interval = None


class CumulativeDiffer:
    """Turns a single-process Locust's cumulative error counts into each interval's."""

    def __init__(self) -> None:
        self._errors: Dict[Tuple[str, str, str], int] = {}

    def reset(self) -> None:
        self._errors = {}

    def feed_error(self, interval: Interval, method: str, name: str, error: str, occurrences: int) -> None:
        key = (method or "", name, error)
        before = self._errors.get(key, 0)
        interval.add_error(method, name, error, occurrences - before if occurrences >= before else occurrences)
        self._errors[key] = occurrences


def span_ms(start_time: Optional[float], last_request_timestamp: Optional[float]) -> int:
    """Locust's own basis of its requests/s (StatsEntry.total_rps): its last request's time minus its test start, in ms."""
    if not last_request_timestamp or not start_time:
        return 0
    return max(0, int(round((last_request_timestamp - start_time) * 1000)))
