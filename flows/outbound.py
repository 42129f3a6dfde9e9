"""The guard in front of every outbound HTTP call a flow makes.

A flow's URL is a template its author (or the data it reads) controls, so without a guard a
flow could reach the studio's own network: the cloud metadata service (169.254.169.254), a
database on 10.x, the admin on 127.0.0.1. Only http(s) is allowed, the host is resolved here
and every resolved address must be public, unless the host (or every address it resolves
to) is listed in OUTBOUND_ALLOWED_HOSTS. The request is then sent to the address that was
checked (the Host header and TLS SNI keep the name), so a DNS answer that changes between
the check and the connection (rebinding) cannot redirect it. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache

import httpx
from django.conf import settings


class OutboundRefused(Exception):
    """The target may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # with the checked address in place of the host name
    host_header: str
    extensions: dict  # sni_hostname for https, so certificates are checked against the name


def allowed_hosts() -> set[str]:
    return {
        h.strip().lower().strip("[]") for h in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []) if h.strip()
    }


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are IPv4
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated `::a.b.c.d`
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, still routed inside some networks


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo), if any: the
    packet ends up there, so that is the address to check."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]  # (server, client): the client is where the packet goes
    return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _IPV4_COMPATIBLE or ip in _SITE_LOCAL:
            return False  # `::127.0.0.1` and site-local: refused outright
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"cannot resolve {host!r}: {exc}") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def check(url: str) -> Target:
    """Return where to send a request for `url`, or raise OutboundRefused."""
    parsed, host, port = _parse(url)
    addresses = _resolve(host, port)  # every time: DNS answers change
    allowed = allowed_hosts()
    if host not in allowed and not (addresses and set(addresses) <= allowed):
        private = [a for a in addresses if not _is_public(a)]
        if private:
            raise OutboundRefused(
                f"{host} resolves to a loopback, private, link-local or reserved address"
                f" ({', '.join(private)}); list the host in OUTBOUND_ALLOWED_HOSTS to allow it"
            )
    if not addresses:
        raise OutboundRefused(f"cannot resolve {host!r}")
    netloc = parsed.netloc.decode("ascii")
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return Target(url=_at(url, addresses[0]), host_header=netloc, extensions=extensions)


# A flow calls the same few URLs over and over: parsing one (httpx.URL, pure Python) cost more
# than resolving its host. Both caches hold what a URL string alone decides; the resolution,
# which can change, is never cached.
@lru_cache(maxsize=1024)
def _parse(url: str) -> tuple[httpx.URL, str, int]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundRefused(f"{url!r} is not a valid URL") from exc
    if parsed.scheme not in ("http", "https"):
        raise OutboundRefused(f"only http and https URLs may be called, not {parsed.scheme or 'no scheme'!r}")
    host = parsed.host.lower()
    if not host:
        raise OutboundRefused(f"{url!r} has no host")
    if parsed.userinfo:
        raise OutboundRefused("credentials in the URL are not allowed; use a header")
    return parsed, host, parsed.port or (443 if parsed.scheme == "https" else 80)


@lru_cache(maxsize=1024)
def _at(url: str, address: str) -> httpx.URL:
    """The (valid) URL with the checked address in place of its host."""
    return _parse(url)[0].copy_with(host=address)
