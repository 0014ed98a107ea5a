"""Inside a run's sandbox: Python's connections and name lookups go through the run's network broker.

The sandbox's network namespace has a loopback and nothing else. In its Locust processes, a TCP
connect to any address is first asked of the broker (broker.py, outside the sandbox), which connects
if the run's allow-list has the destination and hands over the connected socket: the socket the
caller made takes its place (dup2), so every Python client (requests, geventhttpclient, websockets,
raw sockets) works unchanged. What the broker refuses fails with a message naming the rule; a
loopback destination the broker refuses is the sandbox's own loopback (a Locust master, a mock the
script serves itself) and is connected as usual. Names resolve through the broker too (gevent's
resolver is replaced), so only names the allow-list holds resolve at all.

None of this is a security boundary: the network namespace is. A script that undoes it only loses
its way out.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
from typing import Any, List, Optional, Tuple

#: Set in the sandbox's environment: the broker's socket.
BROKER_ENV = "LOADMGR_NET_BROKER"


def _ask(request: dict, timeout: Optional[float], path: Optional[str] = None) -> Tuple[dict, Optional[int]]:
    """One call to the broker (at `path`, or where the environment says): its answer and the descriptor it passed."""
    path = path or os.environ[BROKER_ENV]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # The broker's own connect timeout is at most 30 s; its answer comes before ours runs out.
        sock.settimeout(None if timeout is None else timeout + 5)
        sock.connect(path)
        sock.sendall((json.dumps(request) + "\n").encode())
        data, fds, _, _ = socket.recv_fds(sock, 65536, 1)
        while not data.endswith(b"\n"):
            more = sock.recv(65536)
            if not more:
                break
            data += more
        return json.loads(data or b"{}"), (fds[0] if fds else None)
    finally:
        sock.close()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def broker_connect(sock: Any, address: Any, connect: Any, blocking: bool = False) -> Any:
    """Connects `sock` (a TCP socket of this namespace) to `address` through the broker; where the
    broker refuses a loopback address, with `connect` (this namespace's own loopback)."""
    host, port = str(address[0]), int(address[1])
    answer, fd = _ask({"op": "connect", "host": host, "port": port, "timeout": sock.gettimeout()}, sock.gettimeout())
    if fd is not None:
        keepalive = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        try:
            os.dup2(fd, sock.fileno())
        finally:
            os.close(fd)
        # A gevent socket's descriptor is non-blocking: gevent waits on it itself.
        os.set_blocking(sock.fileno(), blocking)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, keepalive)
        return None
    code = int(answer.get("errno") or errno.ECONNREFUSED)
    message = str(answer.get("message") or os.strerror(code))
    if code == errno.EACCES and _is_loopback(host) and connect is not None:
        # Not the host's: maybe the run's own (its master, a mock it serves itself).
        try:
            return connect(sock, address)
        except ConnectionRefusedError:
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"{message}; nothing listens there in the run's own network either") from None
    raise OSError(code, message)


def master_connection(path: str) -> socket.socket:
    """A worker's connection to its master through the server's relay, which the broker at `path` opens."""
    answer, fd = _ask({"op": "master"}, 30.0, path)
    if fd is None:
        code = int(answer.get("errno") or errno.ECONNREFUSED)
        raise OSError(code, str(answer.get("message") or os.strerror(code)))
    return socket.socket(fileno=fd)


def resolve(host: str) -> List[str]:
    answer, _ = _ask({"op": "resolve", "host": host}, 30.0)
    if not answer.get("ok"):
        raise socket.gaierror(int(answer.get("gaierror") or socket.EAI_NONAME), str(answer.get("message") or "not found"))
    return [str(a) for a in answer.get("addresses") or []]


def _literal(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        return host in ("", "localhost", "ip6-localhost") or host.endswith(".localhost")


def getaddrinfo(native: Any, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:  # noqa: A002
    if isinstance(host, bytes):
        host = host.decode("idna")
    if host is None or _literal(host):
        return native(host, port, family, type, proto, flags)
    results = []
    for address in resolve(host):
        entry_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        if family not in (0, socket.AF_UNSPEC, entry_family):
            continue
        for info in native(address, port, entry_family, type, proto, flags | socket.AI_NUMERICHOST):
            results.append(info[:3] + ("",) + info[4:])
    if not results:
        raise socket.gaierror(socket.EAI_NONAME, f"loadmgr: {host} has no address of the family asked for")
    return results


def install() -> None:
    """Routes this process's TCP connects and name lookups through the broker (after gevent's patches)."""
    if not os.environ.get(BROKER_ENV):
        return
    import gevent.socket
    from gevent import _socketcommon

    mixin = _socketcommon.SocketMixin
    name = "_internal_connect" if hasattr(mixin, "_internal_connect") else "connect"
    original = getattr(mixin, name)

    def connect(self: Any, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM and isinstance(address, tuple):
            if not _literal(address[0]):
                address = (getaddrinfo(_native_getaddrinfo, address[0], address[1], self.family, socket.SOCK_STREAM)[0][4][0],) + tuple(address[1:])
            return broker_connect(self, address, original)
        return original(self, address)

    setattr(mixin, name, connect)
    _native_getaddrinfo = _socketcommon.getaddrinfo

    def patched_getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> list:  # noqa: A002
        return getaddrinfo(_native_getaddrinfo, host, port, family, type, proto, flags)

    def patched_gethostbyname(host: str) -> str:
        return host if _literal(host) and host not in ("localhost",) else str(patched_getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])

    for module in (socket, gevent.socket, _socketcommon):
        module.getaddrinfo = patched_getaddrinfo  # type: ignore[attr-defined]
        module.gethostbyname = patched_gethostbyname  # type: ignore[attr-defined]
