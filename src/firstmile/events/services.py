from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Event


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
    return Event.objects.create(
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


def event_record_bulk(
    *,
    actor: Any,
    kind: str,
    subjects: models.QuerySet,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
    owner_field: str | None = None,
    counterparty_field: str | None = None,
    occurred_at: Any = None,
) -> int:
    """One event per subject of a set-based change, as a single INSERT … SELECT.

    For changes over thousands of rows (bulk review, switchover push), where an
    INSERT per row would cost more than the change itself.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_record_bulk must run inside the state change's transaction")
    actor_fields = _actor_fields(actor)
    user = actor_fields.get("actor_user")
    organisation = actor_fields.get("actor_organisation")
    null_id = Value(None, output_field=models.BigIntegerField())
    columns = {
        "occurred_at": Value(occurred_at or timezone.now(), output_field=models.DateTimeField()),
        "kind": Value(kind, output_field=models.CharField()),
        "subject_type": Value(subjects.model._meta.label_lower, output_field=models.CharField()),
        "subject_id": Cast("pk", output_field=models.CharField(max_length=64)),
        "from_state": Value(from_state, output_field=models.CharField()),
        "to_state": Value(to_state, output_field=models.CharField()),
        "payload": Value(payload or {}, output_field=models.JSONField()),
        "actor_user_id": Value(user.pk, output_field=models.BigIntegerField()) if user else null_id,
        "actor_organisation_id": Value(organisation.pk, output_field=models.BigIntegerField())
        if organisation
        else null_id,
        "actor_label": Value(actor_fields["actor_label"], output_field=models.CharField()),
        "owner_id": F(owner_field) if owner_field else null_id,
        "counterparty_id": F(counterparty_field) if counterparty_field else null_id,
    }
    # Aliased so they cannot clash with the subject's own field names; the
    # SELECT lists annotations in the order they were added, matching `columns`.
    aliases = {f"ev_{name}": expression for name, expression in columns.items()}
    select = subjects.order_by().annotate(**aliases).values(*aliases)
    sql, params = select.query.sql_with_params()
    table = Event._meta.db_table
    connection = transaction.get_connection()
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql}", params)
        return cursor.rowcount
