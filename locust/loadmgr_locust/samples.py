"""Request samples for the live request log: every failure, and a bounded random sample of successes.

Pure logic (no Locust import). Workers sample what they see between reports; the master (or a single
process) samples again across workers, so a run sends at most `successes_per_sec` successes per
second of interval, however many workers it has.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any, Dict, Iterable, List, Optional

#: Failures kept per interval beyond which they are only counted (a run failing every request
#: must not turn the log into a per-request firehose).
MAX_FAILURES_PER_INTERVAL = 2000
#: What the server accepts per snapshot.
MAX_SAMPLES_PER_SNAPSHOT = 5000

Sample = Dict[str, Any]


def make_sample(
    method: str,
    name: str,
    response_ms: Optional[float],
    exception: Any,
    ended_at: float,
    url: Optional[str] = None,
) -> Sample:
    """One request as the ingest API takes it: started at `ended_at` less its response time."""
    ms = float(response_ms or 0)
    sample: Sample = {
        "timestamp": int(ended_at * 1000 - ms),
        "method": (method or "")[:32],
        "name": (name or "?")[:2000],
        "responseMs": round(min(max(ms, 0.0), 86_400_000.0), 3),
        "success": exception is None,
    }
    if url:
        sample["url"] = str(url)[:2000]
    if exception is not None:
        sample["error"] = repr(exception)[:2000]
    return sample


class RequestSampler:
    """Keeps every failure (up to a cap) and a uniform reservoir of `capacity` successes until `take`."""

    def __init__(self, capacity: int, max_failures: int = MAX_FAILURES_PER_INTERVAL, rng: Optional[random.Random] = None) -> None:
        self.capacity = max(0, capacity)
        self.max_failures = max_failures
        self.rng = rng or random.Random()
        self._successes: List[Sample] = []
        self._failures: List[Sample] = []
        self._skip = 0
        self._w = 1.0

    def _success_slot(self) -> int:
        """Where the next success goes in the reservoir, or -1 to leave it out.

        Li's Algorithm L: once the reservoir is full, how many successes to pass over is drawn once
        per replacement, so most requests cost a counter decrement rather than a random draw.
        """
        filled = len(self._successes)
        if filled < self.capacity:
            if filled + 1 == self.capacity:
                self._w = math.exp(math.log(1.0 - self.rng.random()) / self.capacity)
                self._skip = self._draw_skip()
            return filled
        if self._skip > 0 or self.capacity == 0:
            self._skip -= 1
            return -1
        self._w *= math.exp(math.log(1.0 - self.rng.random()) / self.capacity)
        self._skip = self._draw_skip()
        return self.rng.randrange(self.capacity)

    def _draw_skip(self) -> int:
        if self._w >= 1.0:
            return 0
        return int(math.floor(math.log(1.0 - self.rng.random()) / math.log(1.0 - self._w)))

    def _keep_success(self, slot: int, sample: Sample) -> None:
        if slot == len(self._successes):
            self._successes.append(sample)
        else:
            self._successes[slot] = sample

    def add(self, sample: Sample) -> None:
        if not sample.get("success", True):
            # The snapshot's error counts stay complete; only the log's copies are capped.
            if len(self._failures) < self.max_failures:
                self._failures.append(sample)
            return
        slot = self._success_slot()
        if slot >= 0:
            self._keep_success(slot, sample)

    def offer(self, method: str, name: str, response_ms: Optional[float], exception: Any, url: Optional[str] = None) -> None:
        """`add` for a request as it happens: decides first, so a success left out costs next to nothing."""
        if exception is None:
            slot = self._success_slot()
            if slot >= 0:
                self._keep_success(slot, make_sample(method, name, response_ms, None, time.time(), url))
        elif len(self._failures) < self.max_failures:
            self._failures.append(make_sample(method, name, response_ms, exception, time.time(), url))

    def add_all(self, samples: Iterable[Sample]) -> None:
        for sample in samples:
            self.add(sample)

    def take(self) -> List[Sample]:
        """Everything kept since the last take, oldest first, and starts over."""
        kept = sorted(self._failures + self._successes, key=lambda s: s["timestamp"])
        self._successes, self._failures, self._skip, self._w = [], [], 0, 1.0
        return kept[-MAX_SAMPLES_PER_SNAPSHOT:]
