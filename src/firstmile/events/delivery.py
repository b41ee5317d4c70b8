"""Sending webhook deliveries from the outbox: lease, sign, send, record, schedule the next try.

At least once, never twice at the same time: a worker takes a batch of due
deliveries under a lease (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
write lock on SQLite), commits, and only then sends. A worker killed mid-send
leaves a lease that runs out, and the delivery is sent again with the same
``webhook-id``, which is how the receiver tells a repeat. An object's events go to
an endpoint in order: a delivery waits while an earlier one of the same object to
the same endpoint is still pending.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from standardwebhooks.webhooks import Webhook

from firstmile.core.clock import now, to_beijing

from . import subjects, urls_safety
from .models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = 10.0  # seconds; each further wait is three times the last, up to MAX_WAIT
MAX_WAIT = 6 * 3600.0
# An endpoint failing without a break for this long, over at least this many
# attempts, is switched off until its owner switches it on again.
DISABLE_AFTER = timedelta(days=3)
DISABLE_AFTER_ATTEMPTS = 20
EXCERPT = 500
USER_AGENT = "Firstmile-Webhooks/1"

_session = requests.Session()
_session.headers["User-Agent"] = USER_AGENT
# Enough pooled connections for every sender thread to keep its own alive.
for _scheme in ("http://", "https://"):
    _session.mount(_scheme, requests.adapters.HTTPAdapter(pool_connections=32, pool_maxsize=32))


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry: bool
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int
    gone: bool = False


def backoff(attempt_count: int, *, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt_count + 1``: exponential, capped, with ±25 % jitter."""
    base = min(FIRST_RETRY * 3 ** max(attempt_count - 1, 0), MAX_WAIT)
    return base * (rng or random).uniform(0.75, 1.25)


def lease() -> timedelta:
    """How long a claimed delivery is this worker's (FIRSTMILE_WEBHOOK_LEASE_SECONDS)."""
    return timedelta(seconds=settings.FIRSTMILE_WEBHOOK_LEASE_SECONDS)


def retryable(status_code: int) -> bool:
    """Network errors and 5xx are retried; so are 408 and 429, which ask for it. Other 4xx are final."""
    return status_code >= 500 or status_code in (408, 429)


# -- claiming ------------------------------------------------------------------------------


def _due(moment: datetime):
    earlier_open = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        subject_key=OuterRef("subject_key"),
        status=DeliveryStatus.PENDING,
        id__lt=OuterRef("id"),
    )
    return (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=moment)
        .exclude(leased_until__gt=moment)
        .filter(endpoint__is_active=True, endpoint__deleted_at__isnull=True)
        .exclude(Exists(earlier_open))
        .order_by("next_attempt_at", "id")
    )


def deliveries_claim(*, worker_id: str, limit: int = 20, moment: datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due deliveries to this worker; their ids."""
    moment = moment or now()
    with transaction.atomic():
        due = _due(moment)
        if connection.vendor == "postgresql":
            # Rows another worker is leasing right now are skipped, not waited for.
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            WebhookDelivery.objects.filter(id__in=ids).update(leased_until=moment + lease(), lease_owner=worker_id)
    return ids


# -- rendering -----------------------------------------------------------------------------


def render_bodies(deliveries: list[WebhookDelivery]) -> None:
    """Fill in the body of deliveries about to be sent for the first time (stored: retries send the same)."""
    fresh = [d for d in deliveries if not d.body]
    if not fresh:
        return
    by_type: dict[str, set[str]] = {}
    for delivery in fresh:
        by_type.setdefault(delivery.event.subject_type, set()).add(delivery.event.subject_id)
    moment = now()
    described = {kind: subjects.describe_many(kind, ids) for kind, ids in by_type.items()}
    for delivery in fresh:
        delivery.body = json.dumps(
            event_body(delivery.event, described[delivery.event.subject_type].get(delivery.event.subject_id), moment),
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
    # One statement for the batch (a few dozen rows, so Django's CASE-based bulk_update is cheap).
    WebhookDelivery.objects.bulk_update(fresh, ["body"])


_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def _beijing_times(value):
    """Instants recorded in an event's payload (stored as UTC text) as Beijing time, like every other time sent."""
    if isinstance(value, dict):
        return {key: _beijing_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_beijing_times(item) for item in value]
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        try:
            return to_beijing(datetime.fromisoformat(value.replace("Z", "+00:00"))).isoformat()
        except ValueError:
            return value
    return value


def event_body(event: Event, described: dict | None, as_of: datetime) -> dict:
    """The documented webhook payload (docs/webhooks.md)."""
    return {
        "type": event.kind,
        "timestamp": to_beijing(event.occurred_at).isoformat(),
        "data": {
            "event_id": event.pk,
            "subject": {"type": event.subject_type.split(".", 1)[-1], "id": event.subject_id},
            "from_state": event.from_state or None,
            "to_state": event.to_state or None,
            "changes": _beijing_times(event.payload),
            "actor": event.actor_label,
            "object": described,
            "object_as_of": to_beijing(as_of).isoformat(),
        },
    }


# -- sending -------------------------------------------------------------------------------


def signature_headers(endpoint: WebhookEndpoint, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation both secrets sign."""
    # The library reads the instant as UTC wall-clock time: give it exactly that.
    utc = at.astimezone(UTC).replace(microsecond=0)
    signatures = [Webhook(endpoint.secret).sign(message_id, utc, body)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > at:
        signatures.append(Webhook(endpoint.previous_secret).sign(message_id, utc, body))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(utc.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }


def post(url: str, body: str, headers: dict[str, str]) -> Outcome:
    """One HTTP attempt; never raises."""
    started = time.monotonic()
    try:
        urls_safety.check_target(url)
        response = _session.post(
            url,
            data=body.encode(),
            headers=headers,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
        try:
            excerpt = response.raw.read(EXCERPT, decode_content=True).decode("utf-8", "replace")
        finally:
            response.close()
    except urls_safety.UnsafeURL as exc:
        # A name that does not resolve may resolve later; a private target never becomes allowed.
        retry = str(exc) == "unresolvable"
        return Outcome(False, retry, None, f"refused target ({exc})", "", _ms(started))
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
    ) as exc:
        return Outcome(False, False, None, f"{type(exc).__name__}: {exc}"[:300], "", _ms(started))
    except Exception as exc:  # connection refused, reset, timeouts, TLS, a body that breaks decoding: try again later
        return Outcome(False, True, None, f"{type(exc).__name__}: {exc}"[:300], "", _ms(started))
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, False, code, "", excerpt, _ms(started))
    return Outcome(False, retryable(code), code, f"HTTP {code}", excerpt, _ms(started), gone=code == 410)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def delivery_attempt(delivery_id: int, *, worker_id: str) -> str | None:
    """Send one leased delivery and record what came of it; the outcome, or None if the lease was lost."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None or delivery.lease_owner != worker_id or delivery.status != DeliveryStatus.PENDING:
        return None
    render_bodies([delivery])
    return _send(delivery, worker_id=worker_id)


def _send(delivery: WebhookDelivery, *, worker_id: str) -> str | None:
    started_at, outcome = _attempt(delivery)
    with transaction.atomic():
        return _record(delivery, outcome, started_at=started_at, worker_id=worker_id)


def _attempt(delivery: WebhookDelivery) -> tuple[datetime, Outcome]:
    """The HTTP part of a send: no database, so a batch's requests can run side by side."""
    started_at = now()
    headers = signature_headers(delivery.endpoint, delivery.message_id, delivery.body, started_at)
    return started_at, post(delivery.endpoint.url, delivery.body, headers)


def _record(delivery: WebhookDelivery, outcome: Outcome, *, started_at: datetime, worker_id: str) -> str | None:
    moment = now()
    attempts = delivery.attempt_count + 1
    if outcome.delivered:
        result, status, next_at = "delivered", DeliveryStatus.SUCCEEDED, delivery.next_attempt_at
    elif outcome.retry and moment - delivery.created_at < RETRY_WINDOW:
        result, status = "retry", DeliveryStatus.PENDING
        next_at = moment + timedelta(seconds=backoff(attempts))
    else:
        result, status, next_at = "failed", DeliveryStatus.FAILED, delivery.next_attempt_at
    # Only the lease holder writes the result; a worker whose lease ran out (it was
    # too slow) leaves the row to the one that took it over.
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, lease_owner=worker_id, status=DeliveryStatus.PENDING
    ).update(
        status=status,
        attempt_count=F("attempt_count") + 1,
        next_attempt_at=next_at,
        leased_until=None,
        lease_owner="",
        last_status_code=outcome.status_code,
        last_error=outcome.error,
        finished_at=moment if status != DeliveryStatus.PENDING else None,
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=started_at,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        error=outcome.error,
        response_excerpt=outcome.excerpt,
        outcome=result,
        worker_id=worker_id,
    )
    _endpoint_health(delivery.endpoint, outcome, moment)
    return result if updated else None


def _endpoint_health(endpoint: WebhookEndpoint, outcome: Outcome, moment: datetime) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if outcome.delivered:
        if endpoint.consecutive_failures:
            endpoints.update(consecutive_failures=0, failing_since=None)
        return
    endpoints.filter(failing_since__isnull=True).update(failing_since=moment)
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["failing_since", "consecutive_failures", "is_active"])
    reason = ""
    if outcome.gone:
        reason = "410 Gone"
    elif (
        endpoint.consecutive_failures >= DISABLE_AFTER_ATTEMPTS
        and endpoint.failing_since
        and moment - endpoint.failing_since >= DISABLE_AFTER
    ):
        reason = f"failing since {to_beijing(endpoint.failing_since):%Y-%m-%d %H:%M}"
    if reason and endpoint.is_active:
        from .services import endpoint_disable_by_system

        endpoint_disable_by_system(endpoint=endpoint, reason=reason)


# Requests of one batch in flight at once: a receiver 100 ms away still takes
# about 150 deliveries a second from one worker. A batch never holds two
# deliveries of one object to one endpoint (the claim's order rule), so
# sending them side by side keeps every object's order.
SEND_CONCURRENCY = 16
_pool: ThreadPoolExecutor | None = None


def _senders() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=SEND_CONCURRENCY, thread_name_prefix="webhook-send")
    return _pool


def dispatch_due(*, worker_id: str, limit: int = 50) -> int:
    """Claim one batch of due deliveries, send them side by side, record the outcomes; how many."""
    ids = deliveries_claim(worker_id=worker_id, limit=limit)
    if not ids:
        return 0
    deliveries = list(WebhookDelivery.objects.select_related("endpoint", "event").filter(pk__in=ids).order_by("id"))
    render_bodies(deliveries)
    attempts = list(_senders().map(_attempt, deliveries))
    # One transaction for the batch's results: a commit per delivery would cost more than its request.
    with transaction.atomic():
        for delivery, (started_at, outcome) in zip(deliveries, attempts, strict=True):
            _record(delivery, outcome, started_at=started_at, worker_id=worker_id)
    return len(deliveries)
