"""The client's address, also behind load balancers and proxies.

Behind N trusted proxies, each appends the address it received the request from
to X-Forwarded-For, so the client is the N-th entry from the right; anything
further left was written by the client itself and proves nothing. With no
proxies configured (FIRSTMILE_TRUSTED_PROXY_COUNT=0, the default) the address is
the socket's. django-axes locks out by this address, and the request log
records it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "FIRSTMILE_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    return _valid(hops[-proxies]) or remote
