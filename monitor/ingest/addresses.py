"""Which addresses a fetch may connect to: only globally routable ones, unless allowed.

A feed URL is chosen by whoever writes settings, but a redirect is chosen by the feed's
server: without a guard a hostile feed can point the monitor at 127.0.0.1, the cloud
metadata address 169.254.169.254 or a service on the internal network, and have what it
answers alerted. So the session's connector checks the address it is about to connect to,
at connect time, on every redirect hop, after DNS resolution:

- `GuardedResolver` wraps aiohttp's resolver and keeps only allowed addresses of a name;
  the connector connects to what the resolver returned, so there is no window in which
  the name can be rebound to another address between the check and the connection;
- `Guard.socket_factory` is handed each address just before its socket is made, so it
  also sees IP-literal hosts (aiohttp does not resolve those) and every address however
  it was found. A refused address gets no socket, so no packet is sent to it.

Addresses that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`,
IPv4-compatible `::a.b.c.d`, 6to4 `2002::/16`) are judged by the IPv4 address they reach.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# fec0::/10: IPv6 site-local (deprecated by RFC 3879, yet routed inside some networks; Python
# counts it global).
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
                                                   "fec0::/10"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible IPv6 (and :: and ::1)
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
"""Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6)."""


def address_class(address: Address) -> str | None:
    """What kind of non-public address this is ("loopback", "private", ...), or None for a
    globally routable address that any feed may use."""
    reached = _embedded_ipv4(address) or address
    checks = (
        ("unspecified", reached.is_unspecified), ("loopback", reached.is_loopback),
        ("link-local", reached.is_link_local), ("multicast", reached.is_multicast),
        ("shared", reached in _SHARED), ("private", any(reached in n for n in _PRIVATE)),
        ("reserved", reached.is_reserved or not reached.is_global),
    )
    kind = next((name for name, hit in checks if hit), None)
    if kind and reached in METADATA:
        return f"{kind} (the cloud metadata address)"
    return kind


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class Refused(OSError):
    """An address the guard will not connect to; its text is the one-line reason."""

    def __init__(self, address: str, kind: str) -> None:
        super().__init__(f"{address} is {kind}")
        self.address, self.kind = address, kind


@dataclass(frozen=True, slots=True)
class Guard:
    """Refuses every address that is not globally routable, except the exact
    (address, port) pairs in `allowed` (so a test can allow its one local server)."""

    allowed: frozenset[tuple[str, int]] = frozenset()

    def check(self, host: str, port: int) -> None:
        """Raise Refused unless `host` (an IP address) at `port` may be connected to."""
        address = ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 scope id is no part of it
        if (str(address), port) in self.allowed:
            return
        kind = address_class(address)
        if kind is not None:
            reached = _embedded_ipv4(address)
            raise Refused(f"{address} ({reached})" if reached else str(address), kind)

    def socket_factory(self, addr_info: tuple[int, int, int, str, tuple]) -> socket.socket:
        """aiohttp's socket factory: the last check, on the very address about to be connected."""
        family, type_, proto, _, sockaddr = addr_info
        self.check(sockaddr[0], sockaddr[1])
        return socket.socket(family=family, type=type_, proto=proto)


class GuardedResolver(AbstractResolver):
    """A resolver that returns only the addresses the guard allows, and refuses a name
    that has none (naming the first address and its class)."""

    def __init__(self, guard: Guard, inner: AbstractResolver) -> None:
        self.guard, self.inner = guard, inner

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        allowed, refusal = _filter(self.guard, results)
        if not allowed and refusal is not None:
            raise refusal
        return allowed

    async def close(self) -> None:
        await self.inner.close()


def _filter(guard: Guard, results: Sequence[ResolveResult]) -> tuple[list[ResolveResult], Refused | None]:
    allowed, first = [], None
    for result in results:
        try:
            guard.check(result["host"], result["port"])
            allowed.append(result)
        except Refused as refused:
            first = first or refused
    return allowed, first
