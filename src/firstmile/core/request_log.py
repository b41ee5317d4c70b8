"""One JSON line per request, and an X-Request-ID that follows it.

The id comes from the caller (a load balancer, an ERP) when it sends a sane one,
else it is made here; it is echoed in the answer and written on the log line, so
a merchant's "this call failed" can be found among millions.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from .client_ip import client_ip

logger = logging.getLogger("firstmile.request")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def _organisation(request) -> str | None:
    actor = getattr(request, "auth", None)  # the API's caller, token or session
    if actor is not None and getattr(actor, "organisation", None) is not None:
        return actor.organisation.code
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.organisation_id:
        return user.organisation.code
    return None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if _SANE_ID.match(offered) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s",
                request.method,
                request.path[:300],
                response.status_code,
                extra={
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": request.path[:300],
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "organisation": _organisation(request),
                    "user": user.username if user is not None and user.is_authenticated else None,
                    "client_ip": client_ip(request),
                    "token": getattr(getattr(getattr(request, "auth", None), "token", None), "prefix", None),
                },
            )
        return response
