from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, NotFound
from firstmile.core.prepared import server_binding_cursor

from . import catalogue, error_codes, urls_safety
from .models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"actor_label": "system"}
    return {
        "actor_user": getattr(actor, "user", None),
        "actor_organisation": getattr(actor, "organisation", None),
        "actor_label": str(actor),
    }


def event_record(
    *,
    actor: Any,
    kind: str,
    subject: models.Model,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
    owner: Any = None,
    counterparty: Any = None,
) -> Event:
    """Write the event of a state change inside the change's own transaction."""
    if not transaction.get_connection().in_atomic_block:
        # An event outside the change's transaction could outlive a rolled-back
        # change or be lost after a committed one: refuse instead.
        raise RuntimeError("event_record must run inside the state change's transaction")
    _check_kind(kind)
    event = Event.objects.create(
        kind=kind,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        from_state=from_state,
        to_state=to_state,
        payload=payload or {},
        owner=owner,
        counterparty=counterparty,
        **_actor_fields(actor),
    )
    parties = {event.owner_id, event.counterparty_id} - {None}
    if parties:
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint_id=pk, event=event, subject_key=_subject_key(event), next_attempt_at=event.occurred_at
            )
            for pk, _organisation_id in _endpoints_wanting(kind, parties)
        )
    return event


def event_record_bulk(
    *,
    actor: Any,
    kind: str,
    subjects: models.QuerySet | None = None,
    model: type[models.Model] | None = None,
    subject_ids: list[int] | None = None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
    owner_field: str | None = None,
    counterparty_field: str | None = None,
    occurred_at: Any = None,
) -> int:
    """One event per subject of a set-based change, as a single INSERT … SELECT.

    For changes over thousands of rows (bulk review, switchover push), where an
    INSERT per row would cost more than the change itself. The subjects are a
    queryset, or a ``model`` and the primary keys in ``subject_ids``: that form's
    SELECT is compiled once per process (arrange-shipment writes two sets of
    events for every batch, and compiling them cost more than running them).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record_bulk must run inside the state change's transaction")
    _check_kind(kind)
    if (subjects is None) == (subject_ids is None) or (subject_ids is not None and model is None):
        raise TypeError("event_record_bulk takes subjects, or model and subject_ids")
    connection = transaction.get_connection()
    if subjects is not None:
        model = subjects.model
        sql, params = _subjects_select(subjects, owner_field, counterparty_field).query.sql_with_params()
    else:
        sql, params = _subjects_by_id_sql(model, subject_ids, owner_field, counterparty_field, connection)
    actor_fields = _actor_fields(actor)
    user = actor_fields.get("actor_user")
    organisation = actor_fields.get("actor_organisation")
    moment = occurred_at or timezone.now()
    subject_type = model._meta.label_lower
    field = Event._meta.get_field
    constants = [
        field("occurred_at").get_db_prep_save(moment, connection),
        kind,
        subject_type,
        from_state,
        to_state,
        field("payload").get_db_prep_save(payload or {}, connection),
        user.pk if user else None,
        organisation.pk if organisation else None,
        actor_fields["actor_label"],
    ]
    table = Event._meta.db_table
    quoted = ", ".join(
        connection.ops.quote_name(name)
        for name in (
            "occurred_at",
            "kind",
            "subject_type",
            "from_state",
            "to_state",
            "payload",
            "actor_user_id",
            "actor_organisation_id",
            "actor_label",
            "subject_id",
            "owner_id",
            "counterparty_id",
        )
    )
    insert = (
        # Ids are cast: a NULL that passed through the subquery would otherwise reach the column as text.
        f"INSERT INTO {table} ({quoted}) SELECT %s, %s, %s, %s, %s, %s, CAST(%s AS bigint), CAST(%s AS bigint), %s,"
        f" CAST(s.ev_subject AS varchar(64)), CAST(s.ev_owner AS bigint), CAST(s.ev_counterparty AS bigint)"
        f" FROM ({sql}) AS s"
    )
    params = [*constants, *params]
    # Bound on the server: with the subjects given by id the text is the same
    # from call to call, so PostgreSQL keeps the statement prepared.
    with server_binding_cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            # One statement writes the events and, joined to the live endpoints of
            # each event's parties that want this kind, their deliveries (the
            # outbox): a 100k-warehouse push pays no read of the endpoints and no
            # round trip per row, and a change nobody listens to inserts nothing more.
            cursor.execute(
                f"""WITH ev AS ({insert}
                                RETURNING id, subject_id, owner_id, counterparty_id),
                         sent AS (INSERT INTO {WebhookDelivery._meta.db_table}
                                    (endpoint_id, event_id, subject_key, status, attempt_count, next_attempt_at,
                                     lease_owner, body, last_error, created_at, replayed_count)
                                  SELECT listener.id, ev.id, %s || ev.subject_id, 'pending', 0, %s, '', '', '', %s, 0
                                  FROM ev JOIN {WebhookEndpoint._meta.db_table} AS listener
                                    ON listener.organisation_id IN (ev.owner_id, ev.counterparty_id)
                                   AND listener.is_active AND listener.deleted_at IS NULL
                                   AND listener.event_types ?| %s)
                    SELECT COUNT(*) FROM ev""",
                [*params, f"{subject_type}:", moment, moment, [kind, catalogue.ALL_KINDS]],
            )
            return cursor.fetchone()[0]
        # SQLite has no INSERT in a WITH: the new rows come back and their deliveries follow.
        cursor.execute(f"{insert} RETURNING id, subject_id, owner_id, counterparty_id", params)
        rows = cursor.fetchall()
    parties = {party for _id, _subject, *pair in rows for party in pair if party is not None}
    endpoints = _endpoints_wanting(kind, organisations=parties) if parties else []
    WebhookDelivery.objects.bulk_create(
        (
            WebhookDelivery(
                endpoint_id=pk,
                event_id=event_id,
                subject_key=f"{subject_type}:{subject_id}",
                next_attempt_at=moment,
            )
            for event_id, subject_id, owner_id, counterparty_id in rows
            for pk, organisation_id in endpoints
            if organisation_id in (owner_id, counterparty_id)
        ),
        batch_size=5000,
    )
    return len(rows)


def _subjects_select(subjects: models.QuerySet, owner_field: str | None, counterparty_field: str | None):
    """The subjects' (id, owner, counterparty), under names that cannot clash with their own fields."""
    null_id = Value(None, output_field=models.BigIntegerField())
    return (
        subjects.order_by()
        .annotate(
            ev_subject=F("pk"),
            ev_owner=F(owner_field) if owner_field else null_id,
            ev_counterparty=F(counterparty_field) if counterparty_field else null_id,
        )
        .values("ev_subject", "ev_owner", "ev_counterparty")
    )


_ID_MARKER = [-7_301_000_000_000_001, -7_301_000_000_000_002]
_by_id_sql: dict[tuple, tuple[str, int] | None] = {}


def _subjects_by_id_sql(model, ids: list[int], owner_field, counterparty_field, connection) -> tuple[str, list]:
    key = (model, owner_field, counterparty_field, connection.alias, connection.vendor)
    if key not in _by_id_sql:
        # Compiled once with a marker list; where the backend takes the list as one
        # array parameter (PostgreSQL), later calls only put their ids in its place.
        marked = model._default_manager.filter(pk__in_array=_ID_MARKER)
        marked = _subjects_select(marked, owner_field, counterparty_field)
        sql, params = marked.query.sql_with_params()
        slots = [i for i, p in enumerate(params) if p == _ID_MARKER]
        _by_id_sql[key] = (sql, list(params), slots[0]) if len(slots) == 1 else None
    found = _by_id_sql[key]
    if found is None:
        select = _subjects_select(model._default_manager.filter(pk__in_array=ids), owner_field, counterparty_field)
        sql, params = select.query.sql_with_params()
        return sql, list(params)
    sql, params, slot = found
    params = list(params)
    params[slot] = list(ids)
    return sql, params


def _check_kind(kind: str) -> None:
    if not catalogue.is_known(kind):
        # A kind outside the catalogue would reach no documented webhook type.
        raise RuntimeError(f"event kind {kind!r} is not in firstmile.events.catalogue.EVENT_TYPES")


def _subject_key(event: Event) -> str:
    return f"{event.subject_type}:{event.subject_id}"


def _endpoints_wanting(kind: str, organisations=None) -> list[tuple[int, int]]:
    """(endpoint id, organisation id) of every live endpoint subscribed to ``kind``.

    One small read per change (an index on organisation); without any endpoint a
    change pays nothing more.
    """
    endpoints = WebhookEndpoint.objects.filter(is_active=True, deleted_at__isnull=True)
    if organisations is not None:
        endpoints = endpoints.filter(organisation_id__in=organisations)
    return [
        (pk, organisation_id)
        for pk, organisation_id, types in endpoints.values_list("pk", "organisation_id", "event_types")
        if catalogue.ALL_KINDS in types or kind in types
    ]


# -- webhook endpoints (an organisation's admins) ------------------------------------------

MAX_ENDPOINTS = 20
MAX_URL = 500
ROTATION_GRACE = timedelta(hours=24)


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _invalid(field: str, message, code: str = core_codes.INVALID_INPUT) -> ApplicationError:
    return ApplicationError(code, message, field=field)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise _invalid(
            "url",
            _("Give the endpoint's URL (http or https, at most %(n)s characters).") % {"n": MAX_URL},
            error_codes.INVALID_URL,
        )
    try:
        urls_safety.check_url_shape(url)
        URLValidator(schemes=["http", "https"])(url)
    except (urls_safety.UnsafeURL, ValidationError):
        raise _invalid("url", _("%(url)s is not an http(s) URL.") % {"url": url[:80]}, error_codes.INVALID_URL)
    try:
        # Names are resolved again before every send; here only literal addresses and localhost are known.
        urls_safety.check_target(url, resolve=False)
    except urls_safety.UnsafeURL:
        raise _invalid(
            "url",
            _("Webhooks may not point at private, loopback or link-local addresses."),
            error_codes.UNSAFE_URL,
        )
    return url


def _clean_types(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise _invalid("event_types", _("Choose at least one event type (or * for all)."))
    cleaned = []
    for kind in event_types:
        if not isinstance(kind, str) or not (kind == catalogue.ALL_KINDS or catalogue.is_known(kind)):
            raise _invalid(
                "event_types",
                _("Unknown event type %(kind)s; see the catalogue in docs/webhooks.md.") % {"kind": str(kind)[:64]},
                error_codes.UNKNOWN_EVENT_TYPE,
            )
        if kind not in cleaned:
            cleaned.append(kind)
    return [catalogue.ALL_KINDS] if catalogue.ALL_KINDS in cleaned else cleaned


def _own_endpoint(actor: Any, endpoint_id: Any, *, lock: bool = False) -> WebhookEndpoint:
    endpoints = WebhookEndpoint.objects.filter(organisation=actor.organisation, deleted_at__isnull=True)
    if lock:
        endpoints = endpoints.select_for_update()
    endpoint = endpoints.filter(pk=endpoint_id).first() if isinstance(endpoint_id, int) else None
    if endpoint is None:
        raise NotFound(error_codes.ENDPOINT_NOT_FOUND, _("No such webhook endpoint."), field="endpoint_id")
    return endpoint


def _endpoint_event(actor, endpoint: WebhookEndpoint, kind: str, payload: dict) -> None:
    event_record(
        actor=actor,
        kind=kind,
        subject=endpoint,
        to_state="active" if endpoint.is_active else "disabled",
        payload={"url": endpoint.url, **payload},
        owner=endpoint.organisation,
    )


@transaction.atomic
def endpoint_create(
    *, actor: Any, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register a webhook endpoint; returns it with its signing secret, shown this once."""
    actor.require("webhook.manage")
    url = _clean_url(url)
    types = _clean_types(event_types)
    organisation = type(actor.organisation).objects.select_for_update().get(pk=actor.organisation.pk)
    live = WebhookEndpoint.objects.filter(organisation=organisation, deleted_at__isnull=True).count()
    if live >= MAX_ENDPOINTS:
        raise Conflict(
            error_codes.TOO_MANY_ENDPOINTS,
            _("An organisation may have at most %(n)s webhook endpoints.") % {"n": MAX_ENDPOINTS},
        )
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        description=(description or "").strip()[:200],
        event_types=types,
        secret=secret,
        created_by=getattr(actor, "user", None),
    )
    _endpoint_event(actor, endpoint, "webhook_endpoint.created", {"event_types": types})
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Any,
    endpoint_id: int,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, event types or description, or switch it off and on."""
    actor.require("webhook.manage")
    endpoint = _own_endpoint(actor, endpoint_id, lock=True)
    changed = []
    if url is not None and (url := _clean_url(url)) != endpoint.url:
        endpoint.url = url
        changed.append("url")
    if event_types is not None and (types := _clean_types(event_types)) != endpoint.event_types:
        endpoint.event_types = types
        changed.append("event_types")
    if description is not None and description.strip()[:200] != endpoint.description:
        endpoint.description = description.strip()[:200]
        changed.append("description")
    kind = "webhook_endpoint.updated"
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        if is_active:
            # A fresh start: the failure run that disabled it is over.
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
            endpoint.failing_since, endpoint.consecutive_failures = None, 0
            kind = "webhook_endpoint.enabled"
        else:
            endpoint.disabled_at, endpoint.disabled_reason = now(), "disabled by its owner"
            kind = "webhook_endpoint.disabled"
        changed.append("is_active")
    if not changed:
        return endpoint
    endpoint.save()
    _endpoint_event(actor, endpoint, kind, {"changed": changed})
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, actor: Any, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, shown once; the old one keeps signing beside it for 24 hours."""
    actor.require("webhook.manage")
    endpoint = _own_endpoint(actor, endpoint_id, lock=True)
    secret = _new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now() + ROTATION_GRACE
    endpoint.secret = secret
    endpoint.save()
    _endpoint_event(
        actor,
        endpoint,
        "webhook_endpoint.secret_rotated",
        {"previous_secret_expires_at": endpoint.previous_secret_expires_at.isoformat()},
    )
    return endpoint, secret


@transaction.atomic
def endpoint_delete(*, actor: Any, endpoint_id: int) -> None:
    """Stop sending to an endpoint for good; its delivery log stays readable."""
    actor.require("webhook.manage")
    endpoint = _own_endpoint(actor, endpoint_id, lock=True)
    endpoint.deleted_at = now()
    endpoint.is_active = False
    endpoint.save()
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="endpoint deleted", finished_at=endpoint.deleted_at, leased_until=None
    )
    _endpoint_event(actor, endpoint, "webhook_endpoint.deleted", {})


@transaction.atomic
def endpoint_disable_by_system(*, endpoint: WebhookEndpoint, reason: str) -> None:
    """The worker switches off an endpoint that is gone (410) or has failed for days."""
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now(), disabled_reason=reason[:200]
    )
    if updated:
        endpoint.refresh_from_db()
        _endpoint_event(None, endpoint, "webhook_endpoint.disabled", {"reason": reason})


# -- replay ---------------------------------------------------------------------------------

MAX_REPLAY = 10_000


def _replayable(actor: Any):
    # Replays are the receiving party's own: another party's delivery does not exist for it.
    return WebhookDelivery.objects.filter(endpoint__organisation=actor.organisation, endpoint__deleted_at__isnull=True)


@transaction.atomic
def delivery_replay(*, actor: Any, delivery_id: int) -> WebhookDelivery:
    """Send a finished delivery again (same webhook-id), now."""
    actor.require("webhook.manage")
    delivery = (
        _replayable(actor).select_for_update().filter(pk=delivery_id).first() if isinstance(delivery_id, int) else None
    )
    if delivery is None:
        raise NotFound(error_codes.DELIVERY_NOT_FOUND, _("No such webhook delivery."), field="delivery_id")
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(
            error_codes.DELIVERY_PENDING, _("This delivery is still being sent; wait for its result before replaying.")
        )
    _reset_for_replay(WebhookDelivery.objects.filter(pk=delivery.pk))
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def deliveries_replay(
    *,
    actor: Any,
    endpoint_id: int,
    since: datetime,
    until: datetime,
    only_failed: bool = True,
) -> int:
    """Send again every finished delivery of an endpoint whose event fell in [since, until); how many."""
    actor.require("webhook.manage")
    endpoint = _own_endpoint(actor, endpoint_id)
    if until <= since:
        raise _invalid("until", _("The end of the range must come after its start."))
    chosen = (
        _replayable(actor)
        .filter(endpoint=endpoint, event__occurred_at__gte=since, event__occurred_at__lt=until)
        .exclude(status=DeliveryStatus.PENDING)
    )
    if only_failed:
        chosen = chosen.filter(status=DeliveryStatus.FAILED)
    ids = list(chosen.order_by("id").values_list("id", flat=True)[: MAX_REPLAY + 1])
    if len(ids) > MAX_REPLAY:
        raise _invalid(
            "since", _("More than %(n)s deliveries in this range; replay a shorter one.") % {"n": MAX_REPLAY}
        )
    return _reset_for_replay(WebhookDelivery.objects.filter(pk__in=ids))


def _reset_for_replay(deliveries) -> int:
    moment = now()
    return deliveries.update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=moment,
        leased_until=None,
        lease_owner="",
        finished_at=None,
        # The retry window starts again for the replay.
        created_at=moment,
        replayed_count=F("replayed_count") + 1,
    )
