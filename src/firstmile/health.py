"""Liveness and readiness for a load balancer or an orchestrator.

/healthz: the process answers (no database): restart it if this fails.
/readyz: the database answers, every migration of this code is applied, and a
worker has been seen recently: send traffic only while this is 200.

Load balancers probe a machine by its address over plain HTTP (``Host:
10.0.1.5:8000``), so the probes are answered by ``HealthProbeMiddleware``, the
outermost middleware: before Django's host check (the address is not an allowed
host), before the HTTPS redirect of production mode, and without a request log
line for every probe every few seconds.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from firstmile.core.clock import now
from firstmile.events.models import WorkerHeartbeat

_migrations_checked: dict[str, float] = {}
MIGRATIONS_RECHECK = 30.0  # seconds: the plan is computed from files and one query, not per probe


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def _migrations_applied() -> bool:
    checked = _migrations_checked.get("at")
    if checked is not None and time.monotonic() - checked < MIGRATIONS_RECHECK:
        return True
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrations_checked["at"] = time.monotonic()
    return True


@never_cache
@require_safe
def readyz(request):
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    if checks["database"] == "ok":
        checks["migrations"] = "ok" if _migrations_applied() else "pending: run `firstmile migrate`"
        if settings.FIRSTMILE_READY_REQUIRES_WORKER:
            recent = now() - timedelta(seconds=settings.FIRSTMILE_WORKER_DEAD_AFTER_SECONDS)
            seen = WorkerHeartbeat.objects.filter(seen_at__gte=recent).count()
            checks["worker"] = f"ok ({seen} alive)" if seen else "none seen: start `firstmile worker`"
    ready = all(value.startswith("ok") for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


_PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = _PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
