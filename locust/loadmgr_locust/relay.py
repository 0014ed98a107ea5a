"""A pool run's worker traffic through the server, for masters on hosts that take no inbound connection.

Both sides dial out (server/src/agents/workerRelay.ts): the master's supervisor holds a control
connection on which the server names each worker connection that arrives, and joins each one to its
master; a worker's connection to its master is one call to the server, which the supervisor's broker
makes for the sandbox (the relay token never enters it). Each connection is an HTTP upgrade to
`loadmgr-relay`, then Locust's own bytes, end to end.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.parse
from typing import Optional

logger = logging.getLogger("loadmgr.supervisor")

PATH = "/v1/internal/relay"
MAX_HEADER_BYTES = 8192
#: A worker's call is answered once the master's side has joined it, which the server waits 10 s for.
CONNECT_TIMEOUT_S = 15.0
#: Backoff bounds between attempts to (re)open the master's control connection.
RETRY_MIN_S, RETRY_MAX_S = 0.2, 5.0


class RelayRefused(OSError):
    """The server answered the upgrade with an error (its JSON body says why)."""


def dial(base_url: str, path: str, token: str, timeout: float = CONNECT_TIMEOUT_S) -> socket.socket:
    """Opens `path` under the server's relay as an upgraded connection; the socket then carries raw bytes.
    Over https it is an SSL socket (see `is_plain`)."""
    import ssl  # only here: the sandbox's launcher imports this module for `pump`

    parsed = urllib.parse.urlparse(base_url)
    tls = parsed.scheme == "https"
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (443 if tls else 80)
    sock: socket.socket = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        prefix = parsed.path.rstrip("/")
        request = (
            f"GET {prefix}{PATH}/{path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nConnection: Upgrade\r\n"
            f"Upgrade: loadmgr-relay\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        sock.sendall(request.encode())
        # Byte by byte up to the blank line: what follows is the other side's, not ours to buffer.
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = sock.recv(1)
            if not byte or len(head) > MAX_HEADER_BYTES:
                raise RelayRefused("the server closed the relay connection before answering")
            head += byte
        status = head.split(b" ", 2)
        if len(status) < 2 or status[1] != b"101":
            sock.settimeout(1)
            try:
                body = sock.recv(2000).decode("utf-8", "replace")
            except OSError:
                body = ""
            first = head.split(b"\r\n", 1)[0].decode("latin-1")
            raise RelayRefused(f"the server's relay answered {first}: {body}")
        sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock
    except BaseException:
        sock.close()
        raise


def is_plain(sock: socket.socket) -> bool:
    """A plain TCP socket (its descriptor can be handed on), not one whose TLS state lives in this process."""
    return type(sock) is socket.socket


def pump(a: socket.socket, b: socket.socket) -> None:
    """Copies both ways between `a` and `b` until either side ends, then closes both (threads of their own)."""

    def one_way(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def both() -> None:
        other = threading.Thread(target=one_way, args=(b, a), daemon=True)
        other.start()
        one_way(a, b)
        other.join()
        a.close()
        b.close()

    threading.Thread(target=both, daemon=True).start()


class MasterRelay:
    """The master's side: holds the control connection (again after a loss, until `close`) and joins
    each worker connection the server names to the master, at 127.0.0.1:`port` on this host."""

    def __init__(self, base_url: str, run_id: str, token: str, port: int) -> None:
        self.base_url, self.run_id, self.token, self.port = base_url, run_id, token, port
        self._closed = threading.Event()
        self._control: Optional[socket.socket] = None
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        control = self._control
        if control is not None:
            try:
                control.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self) -> None:
        delay = RETRY_MIN_S
        while not self._closed.is_set():
            try:
                self._control = dial(self.base_url, f"{self.run_id}/master", self.token)
                logger.info("loadmgr: run %s: its remote workers come through the server's relay", self.run_id)
                delay = RETRY_MIN_S
                buffered = b""
                while not self._closed.is_set():
                    data = self._control.recv(4096)
                    if not data:
                        break
                    buffered += data
                    *lines, buffered = buffered.split(b"\n")
                    for line in lines:
                        stream = line.decode("ascii", "replace").strip()
                        if stream.isalnum():
                            threading.Thread(target=self._join, args=(stream,), daemon=True).start()
            except OSError as error:
                if not self._closed.is_set():
                    logger.warning("loadmgr: run %s: the worker relay: %s; trying again", self.run_id, error)
            finally:
                if self._control is not None:
                    self._control.close()
            self._closed.wait(delay)
            delay = min(RETRY_MAX_S, delay * 2)

    def _join(self, stream: str) -> None:
        try:
            outer = dial(self.base_url, f"{self.run_id}/join/{stream}", self.token)
        except OSError as error:
            logger.warning("loadmgr: run %s: could not take a worker's connection: %s", self.run_id, error)
            return
        try:
            inner = socket.create_connection(("127.0.0.1", self.port), timeout=CONNECT_TIMEOUT_S)
            inner.settimeout(None)
            inner.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as error:
            logger.warning("loadmgr: run %s: the master does not answer a relayed worker: %s", self.run_id, error)
            outer.close()
            return
        pump(outer, inner)
