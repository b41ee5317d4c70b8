from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Event


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
