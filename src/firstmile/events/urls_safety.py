"""Where a webhook may point: http(s) only, and in production never at private networks.

An endpoint URL is the one place a party makes Firstmile's servers open a
connection of its choosing; pointed at 127.0.0.1, a metadata service or an
internal host it would be a server-side request forgery. The host is checked when
the endpoint is saved and again, resolved, before every send (the name may have
been re-pointed since).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(ValueError):
    pass


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "FIRSTMILE_WEBHOOK_ALLOW_PRIVATE", False))


def check_url_shape(url: str) -> str:
    """The URL's host, or UnsafeURL naming what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("scheme")
    if not parts.hostname:
        raise UnsafeURL("host")
    if parts.username or parts.password:
        raise UnsafeURL("credentials")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise UnsafeURL("port")
    return parts.hostname


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str, *, resolve: bool = True) -> None:
    """Refuse private, loopback, link-local and reserved targets unless the setting allows them."""
    host = check_url_shape(url)
    if private_targets_allowed():
        return
    try:
        addresses = [host] if _looks_like_ip(host) else []
        if not addresses and resolve:
            port = urlsplit(url).port or (443 if url.startswith("https") else 80)
            addresses = [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]
    except (OSError, UnicodeError):  # socket.gaierror is an OSError; a malformed name a UnicodeError
        raise UnsafeURL("unresolvable")
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise UnsafeURL("private")
    for address in addresses:
        if not _is_public(address):
            raise UnsafeURL("private")


def _looks_like_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
