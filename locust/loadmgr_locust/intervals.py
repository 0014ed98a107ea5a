"""Interval statistics: what happened between two snapshots, built from Locust's own numbers.

Pure logic (no Locust import) so it is unit-tested on its own. Histograms use Locust's own
response-time buckets (the keys of StatsEntry.response_times), so merged percentiles match Locust's.
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

    def add_worker_stats(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Adds a worker report's `stats` list: Locust already sends those as deltas."""
        for data in entries:
            self.add_entry(
                data.get("method") or "",
                data["name"],
                int(data.get("num_requests") or 0),
                int(data.get("num_failures") or 0),
                float(data.get("total_response_time") or 0),
                data.get("response_times") or {},
                data.get("min_response_time"),
                data.get("max_response_time"),
            )

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


class CumulativeDiffer:
    """Turns cumulative per-endpoint stats (a single-process Locust) into interval deltas."""

    def __init__(self) -> None:
        self._entries: Dict[EndpointKey, Tuple[int, int, float, Dict[int, int]]] = {}
        self._errors: Dict[Tuple[str, str, str], int] = {}

    def reset(self) -> None:
        self._entries = {}
        self._errors = {}

    def feed_entry(
        self, interval: Interval, method: str, name: str, requests: int, failures: int, total_ms: float, histogram: Mapping[int, int]
    ) -> None:
        key = (method or "", name)
        before = self._entries.get(key, (0, 0, 0.0, {}))
        if requests < before[0]:  # Locust's stats were reset: start over from zero
            before = (0, 0, 0.0, {})
        delta = {k: c - before[3].get(k, 0) for k, c in histogram.items() if c - before[3].get(k, 0) > 0}
        interval.add_entry(method, name, requests - before[0], failures - before[1], total_ms - before[2], delta)
        self._entries[key] = (requests, failures, total_ms, dict(histogram))

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
