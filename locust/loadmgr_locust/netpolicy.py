"""Where a run's processes may connect: the hosts its test names, and nothing else (pure logic).

A run's allow-list is its target URL's host and port and the test's `allowedHosts`: `host`,
`host:port`, `[v6]:port`, an IP literal, a CIDR block (`10.1.0.0/16`, any port) or `*.example.com`
(any of its subdomains). A name resolves (through the supervisor) only when a rule names it, and its
addresses are then reachable at the rule's port. What is never reachable, named or not: link-local
addresses (cloud metadata among them), multicast, unspecified addresses, and the endpoints the
supervisor is told to keep out (the server's own services on its host). Loopback, private, CGNAT and
other special ranges are reachable only where a rule names them exactly (an IP literal, a CIDR, or an
exact name that resolves there, with a port for loopback): a wildcard never reaches them, so a name
that resolves into the host's network by surprise (DNS rebinding) does not open it.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

#: Never reachable: cloud metadata services that are not link-local.
METADATA = (ipaddress.ip_network("fd00:ec2::254/128"), ipaddress.ip_network("100.100.100.200/32"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")


_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    """One allowed destination: an address, a network, a name or a `*.` wildcard; a port or any (None)."""

    text: str
    address: Optional[Address] = None
    network: Optional[Network] = None
    name: Optional[str] = None
    wildcard: Optional[str] = None
    port: Optional[int] = None

    def matches_name(self, name: str) -> bool:
        name = name.lower().rstrip(".")
        if self.name is not None:
            return name == self.name
        return self.wildcard is not None and name.endswith("." + self.wildcard)

    def port_ok(self, port: int) -> bool:
        return self.port is None or self.port == port


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise RuleError(f"{entry!r}: the port must be 1 to 65535")
    return int(text)


def parse_rule(entry: str) -> Rule:
    """`host`, `host:port`, `[v6]`, `[v6]:port`, an IP literal, a CIDR, `*.domain[:port]`."""
    text = entry.strip()
    if not text or any(c.isspace() for c in text) or "/" in text and ":" in text.split("/")[-1]:
        raise RuleError(f"{entry!r} is not a host, host:port, IP, CIDR or *.domain")
    port: Optional[int] = None
    host = text
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise RuleError(f"{entry!r}: an IPv6 address in brackets needs its ']'")
        host, rest = text[1:close], text[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise RuleError(f"{entry!r}: only ':port' may follow ']'")
            port = _port(rest[1:], entry)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, entry)
    if "/" in host:
        try:
            return Rule(text, network=ipaddress.ip_network(host, strict=False), port=port)
        except ValueError as error:
            raise RuleError(f"{entry!r}: {error}") from error
    try:
        return Rule(text, address=_plain(ipaddress.ip_address(host)), port=port)
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    label = name[2:] if name.startswith("*.") else name
    if not label or len(name) > 253 or not all(_LABEL.match(part) for part in label.split(".")):
        raise RuleError(f"{entry!r} is not a valid host name")
    if name.startswith("*."):
        return Rule(text, wildcard=label, port=port)
    return Rule(text, name=name, port=port)


def _plain(address: Address) -> Address:
    """An IPv4-mapped IPv6 address as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def never_reachable(address: Address) -> Optional[str]:
    address = _plain(address)
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if any(address in network for network in METADATA):
        return "a cloud metadata address"
    if address.is_multicast or address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address == ipaddress.IPv4Address("255.255.255.255")):
        return "not a host's address"
    return None


def special(address: Address) -> bool:
    """Loopback, private, CGNAT and other ranges that are not the public internet: reachable only when named."""
    address = _plain(address)
    return address.is_loopback or address.is_private or address.is_reserved or address in CGNAT


class Policy:
    """A run's allow-list, and the addresses its names resolved to (thread-safe)."""

    def __init__(self, rules: Iterable[Rule], deny: Iterable[Tuple[str, int]] = ()) -> None:
        self.rules: List[Rule] = list(rules)
        self.deny: Set[Tuple[Address, int]] = {(_plain(ipaddress.ip_address(host)), port) for host, port in deny}
        self._learned: Dict[Address, Set[Optional[int]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def of(entries: Iterable[str], deny: Iterable[Tuple[str, int]] = ()) -> "Policy":
        return Policy([parse_rule(e) for e in entries], deny)

    def may_resolve(self, name: str) -> bool:
        return any(rule.matches_name(name) for rule in self.rules)

    def learn(self, name: str, addresses: Iterable[str]) -> List[str]:
        """Of the addresses `name` resolved to, those its rules let the run reach (and remembers them)."""
        kept: List[str] = []
        for text in addresses:
            address = _plain(ipaddress.ip_address(text.split("%")[0]))
            if never_reachable(address) is not None:
                continue
            ports: Set[Optional[int]] = set()
            for rule in self.rules:
                if not rule.matches_name(name):
                    continue
                # A wildcard never opens the host's own or a private network; loopback needs a port.
                if rule.wildcard is not None and special(address):
                    continue
                if address.is_loopback and rule.port is None:
                    continue
                ports.add(rule.port)
            if ports:
                with self._lock:
                    self._learned.setdefault(address, set()).update(ports)
                kept.append(text)
        return kept

    def refusal(self, host: str, port: int) -> Optional[str]:
        """Why the run may not connect to host:port (an IP address), or None when it may."""
        try:
            address = _plain(ipaddress.ip_address(host.split("%")[0]))
        except ValueError:
            return f"{host} is not an IP address"
        never = never_reachable(address)
        if never is not None:
            return f"{host}:{port} is {never}"
        if (address, port) in self.deny:
            return f"{host}:{port} is one of the server's own services"
        for rule in self.rules:
            if not rule.port_ok(port):
                continue
            if rule.address is not None and rule.address == address and (rule.port is not None or not address.is_loopback):
                return None
            if rule.network is not None and address in rule.network and not address.is_loopback:
                return None
        with self._lock:
            ports = self._learned.get(address, set())
        if None in ports or port in ports:
            return None
        return f"{host}:{port} is not among this run's targets (its target URL and the test's allowedHosts)"
