"""Ordered, bounded, retried delivery of ingest calls to the Load Manager server."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import threading
import time
import urllib.parse
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Tuple

logger = logging.getLogger("loadmgr")

RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class Delivery:
    """Keeps calls that could not be delivered (at most `max_pending`) and resends them in order.

    A call the server refuses for good (a 4xx other than 408/425/429) is dropped and logged; when the
    server answers that the run has already ended, everything pending is dropped and `run_over` is set.

    Only the process that made it delivers: a copy of it in a child forked by the script (whose gevent
    runs the parent's greenlets, the reporter's among them) sends nothing, on a connection it shares
    with its parent, and cannot speak for the run (say, that its workers went missing: the child hears
    none of them).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        max_pending: int = 1000,
        timeout: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_pending = max_pending
        self.timeout = timeout
        self.dropped = 0
        self.run_over = False
        self._sleep = sleep
        self._pending: Deque[Tuple[str, Dict[str, Any]]] = deque()
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._connection: Optional[http.client.HTTPConnection] = None
        #: Called with each acknowledged answer's JSON body (the load asked of the run rides on them).
        self.on_answer: Optional[Callable[[Dict[str, Any]], None]] = None
        # One caller at a time on the connection (the push loop, and the test start sent at once).
        self._sending = threading.Lock()
        self._pid = os.getpid()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def enqueue(self, path: str, payload: Dict[str, Any]) -> None:
        if self.run_over or os.getpid() != self._pid:
            return
        if len(self._pending) >= self.max_pending:
            # Drop the oldest interval snapshot, never a start or stop call.
            for i, (queued_path, _) in enumerate(self._pending):
                if queued_path.endswith("/metrics"):
                    del self._pending[i]
                    self.dropped += 1
                    logger.warning("loadmgr: %d undelivered snapshot(s) dropped (buffer full)", self.dropped)
                    break
        self._pending.append((path, payload))

    def flush(self) -> bool:
        """Sends what is pending, oldest first; stops at the first failure. True when nothing is left."""
        with self._sending:
            return self._flush()

    def _flush(self) -> bool:
        if os.getpid() != self._pid:
            self._pending.clear()
            return True
        while self._pending and not self.run_over:
            path, payload = self._pending[0]
            outcome = self._send(path, payload)
            if outcome == "retry":
                return False
            self._pending.popleft()
        if self.run_over:
            self._pending.clear()
        return True

    def deliver_all(self, timeout_s: float, first_backoff: float = 0.2) -> bool:
        """Blocks until everything pending is acknowledged or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        backoff = first_backoff
        while True:
            if self.flush():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                logger.error("loadmgr: gave up delivering %d call(s) after %.0fs", len(self._pending), timeout_s)
                return False
            self._sleep(min(backoff, left))
            backoff = min(backoff * 2, 2.0)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> Tuple[http.client.HTTPConnection, str]:
        """A kept-alive connection to the server, or to the run's ingest relay (`unix:/path`), and the path prefix."""
        if self.base_url.startswith("unix:"):
            prefix = ""
            if self._connection is None:
                self._connection = _UnixConnection(self.base_url[len("unix:") :], self.timeout)
            return self._connection, prefix
        parsed = urllib.parse.urlparse(self.base_url)
        if self._connection is None:
            cls = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
            self._connection = cls(parsed.hostname or "127.0.0.1", parsed.port, timeout=self.timeout)
        return self._connection, parsed.path.rstrip("/")

    def _send(self, path: str, payload: Dict[str, Any]) -> str:
        try:
            connection, prefix = self._connect()
            connection.request("POST", prefix + path, body=json.dumps(payload).encode(), headers=self._headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            logger.debug("loadmgr: %s failed: %s", path, error)
            self.close()
            return "retry"
        if status < 300:
            if self.on_answer is not None:
                try:
                    answer = json.loads(text)
                except ValueError:
                    answer = None
                if isinstance(answer, dict):
                    self.on_answer(answer)
            return "ok"
        if status in RETRYABLE_STATUSES:
            return "retry"
        body: Dict[str, Any] = {}
        try:
            parsed = json.loads(text)
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
        if body.get("code") == "RUN_FINISHED":
            logger.info("loadmgr: the server says the run has already ended")
            self.run_over = True
        else:
            logger.error("loadmgr: %s refused (%s): %s", path, status, body.get("message", text[:300]))
        return "drop"


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket: the run's ingest relay, served by its supervisor."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock
