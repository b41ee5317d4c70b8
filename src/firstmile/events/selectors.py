from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.core.errors import NotFound
from firstmile.core.replica import lagging

from . import error_codes
from .models import Event, Job, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WorkerHeartbeat


def event_list(*, actor: Any, subject_type: str | None = None, subject_id: str | None = None) -> QuerySet[Event]:
    """Events the actor's organisation may see, newest first."""
    # events sits below accounts, so it asks the actor itself rather than importing the table.
    actor.require("records.view")
    events = Event.objects.all()
    if not actor.is_platform:
        org = actor.organisation
        events = events.filter(Q(owner=org) | Q(counterparty=org) | Q(actor_organisation=org))
    if subject_type:
        events = events.filter(subject_type=subject_type)
    if subject_id:
        events = events.filter(subject_id=subject_id)
    return events.order_by("-occurred_at", "-id")


def endpoint_list(*, actor: Any) -> QuerySet[WebhookEndpoint]:
    """The organisation's webhook endpoints (platform operations: everyone's)."""
    actor.require("records.view")
    endpoints = WebhookEndpoint.objects.filter(deleted_at__isnull=True).select_related("organisation")
    if not actor.is_platform:
        endpoints = endpoints.filter(organisation=actor.organisation)
    return endpoints.order_by("-id")


def endpoint_get(*, actor: Any, endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoint_list(actor=actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(error_codes.ENDPOINT_NOT_FOUND, _("No such webhook endpoint."), field="endpoint_id")
    return endpoint


def delivery_list(
    *,
    actor: Any,
    endpoint_id: int | None = None,
    status: str | None = None,
    event_type: str | None = None,
) -> QuerySet[WebhookDelivery]:
    """Deliveries to the organisation's endpoints, newest first (platform operations: all)."""
    actor.require("records.view")
    deliveries = WebhookDelivery.objects.select_related("event", "endpoint__organisation")
    if not actor.is_platform:
        deliveries = deliveries.filter(endpoint__organisation=actor.organisation)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__kind=event_type)
    # The log of what was sent: a few seconds behind is fine.
    return lagging(deliveries.order_by("-id"))


def delivery_get(*, actor: Any, delivery_id: int) -> WebhookDelivery:
    # One delivery is read from the primary: a replay acts on what it finds.
    delivery = delivery_list(actor=actor).using(DEFAULT_DB_ALIAS).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(error_codes.DELIVERY_NOT_FOUND, _("No such webhook delivery."), field="delivery_id")
    return delivery


def attempt_list(*, delivery: WebhookDelivery) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(delivery=delivery).order_by("started_at", "id")


def workers_alive(*, within_seconds: int = 30) -> QuerySet[WorkerHeartbeat]:
    """Worker processes seen in the last ``within_seconds``."""
    from firstmile.core.clock import now

    return WorkerHeartbeat.objects.filter(seen_at__gte=now() - timedelta(seconds=within_seconds)).order_by("worker_id")


def job_list(*, actor: Any, kind: str | None = None) -> QuerySet[Job]:
    """The organisation's background jobs, newest first."""
    actor.require("records.view")
    jobs = Job.objects.filter(organisation=actor.organisation)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-id")


def job_get(*, actor: Any, job_id: int) -> Job:
    job = job_list(actor=actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(error_codes.JOB_NOT_FOUND, _("No such job."), field="job_id")
    return job
