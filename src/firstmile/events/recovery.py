"""Finding work a dead worker left behind.

A worker killed with SIGKILL (or a machine that lost power) cannot say so. Live
workers refresh a heartbeat every few seconds; a job or task whose worker has not
been seen for a while is marked interrupted, so its owner sees it and can resume
it. Webhook deliveries need nothing here: their lease simply runs out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from firstmile.core.clock import now

from .models import DeliveryStatus, Job, JobStatus, WebhookAttempt, WebhookDelivery, WorkerHeartbeat

_CLEANUPS: list = []


def register_cleanup(cleanup) -> None:
    """A function the worker calls now and then to forget what has expired (idempotency keys, …)."""
    _CLEANUPS.append(cleanup)


def live_worker_ids(*, dead_after: timedelta) -> set[str]:
    return set(WorkerHeartbeat.objects.filter(seen_at__gte=now() - dead_after).values_list("worker_id", flat=True))


@transaction.atomic
def recover_abandoned(*, dead_after: timedelta) -> int:
    """Mark jobs and tasks of dead workers as interrupted; how many jobs."""
    moment = now()
    live = live_worker_ids(dead_after=dead_after)
    orphans = Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=moment - dead_after).exclude(
        worker_id__in=live
    )
    interrupted = orphans.update(
        status=JobStatus.INTERRUPTED,
        error="The worker running this job stopped; resume it to continue from the last completed step.",
    )
    stale_tasks = [
        task.pk
        for task in DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=moment - dead_after
        ).only("pk", "worker_ids")
        if not task.worker_ids or task.worker_ids[-1] not in live
    ]
    if stale_tasks:
        DBTaskResult.objects.filter(pk__in=stale_tasks, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=moment,
            exception_class_path="firstmile.events.recovery.WorkerDied",
            traceback="The worker running this task stopped without finishing it.",
        )
    # Heartbeats of workers long gone are only clutter.
    WorkerHeartbeat.objects.filter(seen_at__lt=moment - timedelta(days=1)).delete()
    for cleanup in _CLEANUPS:
        cleanup()
    purge_delivery_log()
    return interrupted


PURGE_BATCH = 10_000


def purge_delivery_log() -> int:
    """Forget finished deliveries (and their attempts) older than FIRSTMILE_WEBHOOK_LOG_DAYS, a batch at a time."""
    cutoff = now() - timedelta(days=settings.FIRSTMILE_WEBHOOK_LOG_DAYS)
    old = list(
        WebhookDelivery.objects.filter(finished_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .values_list("id", flat=True)[:PURGE_BATCH]
    )
    if not old:
        return 0
    WebhookAttempt.objects.filter(delivery_id__in=old).delete()
    deleted, _rows = WebhookDelivery.objects.filter(id__in=old).delete()
    return deleted
