"""The supervisor's side of a run's network: the only ways out of its sandbox.

A run's processes have a network namespace of their own with nothing but a loopback. The
supervisor (outside, trusted) serves them two Unix sockets, bound into the sandbox at /run/loadmgr:

- `net.sock`, the network broker: `resolve` a name, or `connect` to an address. The broker checks
  the run's allow-list (netpolicy.py), resolves names with the host's resolver, makes the TCP
  connection itself and hands the connected socket to the caller (SCM_RIGHTS), which then talks to
  its target directly, at full speed. One JSON line in, one JSON line (and a descriptor) out.
- `ingest.sock`, the ingest relay: HTTP, for the plugin's three calls only (test start, metrics, test
  stop), forwarded to the server with the run's ingest token, which never enters the sandbox. So no
  run can open a connection to the server's port, call anything else there, or learn its token.

Both serve a bounded number of callers at once, so a script that floods them only slows itself.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import os
import socket
import socketserver
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import relay
from .netpolicy import Policy

logger = logging.getLogger("loadmgr.supervisor")

NET_SOCKET = "net.sock"
INGEST_SOCKET = "ingest.sock"
#: Requests the broker works on at once; a caller beyond that waits for its turn.
MAX_BROKER_CALLS = 64
MAX_REQUEST_BYTES = 4096
CONNECT_TIMEOUT_S = 30.0
INGEST_PATHS = ("/v1/internal/locust/test-start", "/v1/internal/locust/metrics", "/v1/internal/locust/test-stop")
#: The server's own limit on an ingest body (server.maxBodyBytes' default).
MAX_INGEST_BODY = 16 * 1024 * 1024
MAX_INGEST_CALLS = 4


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    # Callers beyond the bound wait in the kernel's backlog, not in threads of ours.
    request_queue_size = 128

    def __init__(self, path: str, handler: Any, limit: int) -> None:
        self.slots = threading.BoundedSemaphore(limit)
        super().__init__(path, handler)
        os.chmod(path, 0o666)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("loadmgr: a sandbox call failed", exc_info=True)


def _reply(sock: socket.socket, body: Dict[str, Any], fd: Optional[int] = None) -> None:
    data = (json.dumps(body) + "\n").encode()
    if fd is None:
        sock.sendall(data)
    else:
        socket.send_fds(sock, [data], [fd])


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST_BYTES:
        chunk = sock.recv(MAX_REQUEST_BYTES - len(data))
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]


class NetBroker:
    """Resolves and connects for a run's processes, within its allow-list; and, for workers whose master
    is reached through the server's relay, connects to that master (`master_dial`, see relay.py)."""

    def __init__(self, policy: Policy, master_dial: Optional[Callable[[], socket.socket]] = None) -> None:
        self.policy = policy
        self.master_dial = master_dial

    def handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            request = json.loads(_read_line(sock) or b"{}")
        except ValueError:
            return _reply(sock, {"ok": False, "errno": errno.EINVAL, "message": "loadmgr: not a broker request"})
        op = request.get("op") if isinstance(request, dict) else None
        if op == "resolve":
            return self._resolve(sock, request)
        if op == "connect":
            return self._connect(sock, request)
        if op == "master":
            return self._master(sock)
        _reply(sock, {"ok": False, "errno": errno.EINVAL, "message": "loadmgr: unknown broker request"})

    def _resolve(self, sock: socket.socket, request: Dict[str, Any]) -> None:
        name = str(request.get("host") or "")[:253]
        if not self.policy.may_resolve(name):
            return _reply(sock, {"ok": False, "gaierror": socket.EAI_NONAME, "message": f"loadmgr: {name} is not among this run's targets (its target URL and the test's allowedHosts)"})
        try:
            infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
        except socket.gaierror as error:
            return _reply(sock, {"ok": False, "gaierror": error.errno, "message": str(error)})
        addresses: List[str] = []
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
                addresses.append(str(sockaddr[0]))
        kept = self.policy.learn(name, addresses)
        if not kept:
            return _reply(sock, {"ok": False, "gaierror": socket.EAI_NONAME, "message": f"loadmgr: {name} resolves only to addresses this run may not reach ({', '.join(addresses)})"})
        _reply(sock, {"ok": True, "addresses": kept})

    def _connect(self, sock: socket.socket, request: Dict[str, Any]) -> None:
        host = str(request.get("host") or "")
        port = request.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            return _reply(sock, {"ok": False, "errno": errno.EINVAL, "message": "loadmgr: a connect needs a port"})
        refusal = self.policy.refusal(host, port)
        if refusal is not None:
            return _reply(sock, {"ok": False, "errno": errno.EACCES, "message": f"loadmgr: {refusal}"})
        timeout = request.get("timeout")
        timeout = min(CONNECT_TIMEOUT_S, float(timeout)) if isinstance(timeout, (int, float)) and timeout > 0 else CONNECT_TIMEOUT_S
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        out = socket.socket(family, socket.SOCK_STREAM)
        try:
            out.settimeout(timeout)
            out.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            out.connect((host, port))
            out.setblocking(True)
            _reply(sock, {"ok": True}, out.fileno())
        except OSError as error:
            code = error.errno or (errno.ETIMEDOUT if isinstance(error, socket.timeout) else errno.ECONNREFUSED)
            _reply(sock, {"ok": False, "errno": code, "message": os.strerror(code)})
        finally:
            out.close()


    def _master(self, sock: socket.socket) -> None:
        if self.master_dial is None:
            return _reply(sock, {"ok": False, "errno": errno.EACCES, "message": "loadmgr: this run's master is not reached through the relay"})
        try:
            out = self.master_dial()
        except OSError as error:
            code = error.errno or errno.ECONNREFUSED
            return _reply(sock, {"ok": False, "errno": code, "message": f"loadmgr: {error}"})
        if relay.is_plain(out):
            # Plain TCP: the caller gets the connection itself and talks over it at full speed.
            try:
                return _reply(sock, {"ok": True}, out.fileno())
            finally:
                out.close()
        # TLS stays out here: the caller gets a socket pair's end, copied to and from the server.
        inside, outside = socket.socketpair()
        try:
            _reply(sock, {"ok": True}, inside.fileno())
        except OSError:
            outside.close()
            out.close()
            raise
        finally:
            inside.close()
        relay.pump(outside, out)


class _BrokerHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.broker.handle(self.request)  # type: ignore[attr-defined]


class _IngestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "loadmgr-supervisor"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def address_string(self) -> str:
        return "sandbox"

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        relay: IngestRelay = self.server.relay  # type: ignore[attr-defined]
        length = self.headers.get("Content-Length") or ""
        if self.path not in INGEST_PATHS:
            self.close_connection = True
            return self._answer(404, b'{"code":"NOT_FOUND","message":"the ingest relay forwards the plugin\'s calls only"}')
        if not length.isdigit() or int(length) > MAX_INGEST_BODY:
            self.close_connection = True
            return self._answer(413, b'{"code":"PAYLOAD_TOO_LARGE","message":"an ingest call needs a Content-Length within the limit"}')
        body = self.rfile.read(int(length))
        if self.path.endswith("/test-stop") and relay.on_stop_reported is not None:
            # Before the server hears it: the run's end reaches the agent through the server, and by
            # then the agent must know that Locust is winding down by itself (not hung: not to be killed).
            relay.on_stop_reported()
        status, answer = relay.forward(self.path, body)
        self._answer(status, answer)

    def do_GET(self) -> None:  # noqa: N802
        self.close_connection = True
        self._answer(405, b'{"code":"METHOD_NOT_ALLOWED","message":"the ingest relay takes POST only"}')


class IngestRelay:
    """Forwards the plugin's ingest calls to the server, adding the run's token."""

    def __init__(self, ingest_url: str, token: str) -> None:
        parsed = urllib.parse.urlparse(ingest_url)
        self.https = parsed.scheme == "https"
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or (443 if self.https else 80)
        self.base = parsed.path.rstrip("/")
        self.token = token
        self._local = threading.local()
        #: Called as the run's end goes to the server (its agent then lets it wind down).
        self.on_stop_reported: Optional[Any] = None

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = cls(self.host, self.port, timeout=15)
            self._local.connection = connection
        return connection

    def forward(self, path: str, body: bytes) -> Tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request("POST", self.base + path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read(65536)
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    message = json.dumps({"code": "SERVER_UNREACHABLE", "message": f"loadmgr: the server could not be reached: {error}"})
                    return 503, message.encode()
        return 503, b"{}"


class SandboxServices:
    """The broker and the relay of one run, served from `directory` until `close`."""

    def __init__(self, directory: str, policy: Policy, ingest_url: str, token: str, on_stop_reported: Optional[Any] = None, master_dial: Optional[Callable[[], socket.socket]] = None) -> None:
        os.makedirs(directory, mode=0o755, exist_ok=True)
        os.chmod(directory, 0o755)
        for name in (NET_SOCKET, INGEST_SOCKET):
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass
        self.directory = directory
        self.net = _UnixServer(os.path.join(directory, NET_SOCKET), _BrokerHandler, MAX_BROKER_CALLS)
        self.net.broker = NetBroker(policy, master_dial)  # type: ignore[attr-defined]
        self.ingest = _UnixServer(os.path.join(directory, INGEST_SOCKET), _IngestHandler, MAX_INGEST_CALLS)
        self.ingest.relay = IngestRelay(ingest_url, token)  # type: ignore[attr-defined]
        self.ingest.relay.on_stop_reported = on_stop_reported  # type: ignore[attr-defined]
        for server in (self.net, self.ingest):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()

    def close(self) -> None:
        for server in (self.net, self.ingest):
            server.shutdown()
            server.server_close()
        for name in (NET_SOCKET, INGEST_SOCKET):
            try:
                os.unlink(os.path.join(self.directory, name))
            except FileNotFoundError:
                pass
