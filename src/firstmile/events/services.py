from __future__ import annotations

from typing import Any

from django.db import models, transaction

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
