"""Where a webhook may go: http(s) URLs whose every address is public, unless the
administrator allowed a network (QMS_WEBHOOK_ALLOWED_NETWORKS).

Checked when the URL is subscribed and again, on the addresses actually connected to, at
each delivery (a name may resolve elsewhere by then): no webhook is a way into the
company network (SSRF) by default.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    addresses: tuple[str, ...]  # vetted: the only ones ever connected to


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    text = current_app.config.get("QMS_WEBHOOK_ALLOWED_NETWORKS") or ""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address it carries (mapped, 6to4, Teredo)."""
    found = [address]
    if isinstance(address, ipaddress.IPv6Address):
        for inner in (address.ipv4_mapped, address.sixtofour, address.teredo and address.teredo[1]):
            if inner:
                found.append(inner)
    return found


def is_public(address: IPAddress) -> bool:
    """Routable on the internet: not loopback, link-local, private, shared, reserved,
    multicast or unspecified, nor an IPv6 form of one."""
    return all(a.is_global and not a.is_multicast for a in _embedded(address))


def check_address(text: str, networks=None) -> None:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    networks = allowed_networks() if networks is None else networks
    if is_public(address) or any(address in n for n in networks if n.version == address.version):
        return
    raise AddressRefused(
        _l(
            "the URL leads to %(address)s, a loopback, link-local or private address; "
            "webhooks go only to public addresses unless the administrator allows the "
            "network (QMS_WEBHOOK_ALLOWED_NETWORKS)",
            address=str(address),
        )
    )


def resolve(url: str) -> Target:
    """Parse and resolve `url`, refusing it unless every address it resolves to may be
    reached. Raises AddressRefused saying why."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(_l("this is not a URL")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(_l("a webhook URL starts with https:// or http:// and names a host"))
    if parts.username or parts.password:
        raise AddressRefused(_l("a webhook URL carries no user name or password"))
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(_l("the host %(host)s cannot be found", host=parts.hostname)) from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    networks = allowed_networks()
    for address in addresses:
        check_address(address, networks)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses)
