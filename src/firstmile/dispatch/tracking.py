"""Where a parcel is in the first mile: one status vocabulary for every party and the API.

The status is the parcel's own events played through one rule (``replay_status``); the
services keep it on the waybill row (``tracking_status``) in the statement of each change, so
reading it costs nothing, and a property test holds the row equal to the replay. Each status
maps to an AfterShip-style tag (docs/tracking.md), so integrators can reuse the mappings they
have for carriers' tracking.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core.clock import now
from firstmile.events.models import Event
from firstmile.shipping.models import Waybill, WaybillStatus

from .models import HandoverLine, HandoverList, HandoverStatus, PickupFailure, PickupTask, StopProof, TaskParcel

# status → (top-level tag, what a reader is told)
STATUSES: dict[str, tuple[str, object]] = {
    "label_created": ("InfoReceived", _("Label printed, waiting for pickup or drop-off")),
    "pickup_scheduled": ("InfoReceived", _("Pickup window booked")),
    "pickup_failed": ("AttemptFail", _("Pickup attempted and failed; retried on the next pickup day")),
    "exception": ("Exception", _("Needs attention: pickup failed repeatedly, or missing from its bundle")),
    "collected": ("InTransit", _("Collected by the driver")),
    "handed_over": ("InTransit", _("Collected and signed for on a handover list")),
    "received": ("InTransit", _("Received at the sorting centre: the first mile is done")),
    "drop_off_received": ("InTransit", _("Dropped off and received at the sorting centre")),
    "voided": ("Expired", _("Label voided before pickup")),
}
TAGS = ("InfoReceived", "AttemptFail", "InTransit", "Exception", "Expired")


@dataclass(frozen=True)
class Tracking:
    waybill: Waybill
    status: str
    since: datetime | None
    failed_attempts: int
    handover: HandoverList | None
    task: PickupTask | None

    @property
    def tag(self) -> str:
        return STATUSES[self.status][0]

    @property
    def label(self) -> str:
        return str(STATUSES[self.status][1])


def replay_status(events) -> tuple[str, datetime | None]:
    """The status a parcel's own events lead to, oldest first, and since when.

    The stored ``Waybill.tracking_status`` is kept by the services in the same
    statement as each change; this is the rule written once more from the events
    alone, so a test can hold the two equal for any history (docs/tracking.md).
    ``events`` are (kind, from_state, occurred_at) of the waybill's events.
    """
    status, since, failures = "", None, 0
    waiting = ("label_created", "pickup_scheduled")
    for kind, from_state, at in events:
        after = status
        if kind == "waybill.issued":
            after = "label_created"
        elif kind == "waybill.pickup_slot_booked" and status in waiting:
            after = "pickup_scheduled"
        elif kind == "waybill.pickup_slot_cancelled" and status in waiting:
            after = "label_created"
        elif kind == "waybill.pickup_failed":
            failures += 1
            after = "exception" if failures >= settings.FIRSTMILE_PICKUP_FAILURE_LIMIT else "pickup_failed"
            if status == "exception":
                after = "exception"
        elif kind == "waybill.missing_from_bundle":
            after = "exception"
        elif kind == "waybill.collected":
            after = "collected"
        elif kind == "waybill.handed_over" and status == "collected":
            after = "handed_over"
        elif kind == "waybill.received":
            after = "drop_off_received" if from_state == WaybillStatus.ISSUED else "received"
        elif kind == "waybill.voided":
            after = "voided"
        if after != status:
            status, since = after, at
    return status, since


def tracking_of(waybill: Waybill) -> Tracking:
    """A waybill the actor may see (shipping.selectors.waybill_get) with its tracking facts."""
    link = TaskParcel.objects.select_related("task__carrier", "task__shift__driver").filter(waybill=waybill).first()
    line = (
        HandoverLine.objects.select_related("handover")
        .filter(waybill=waybill, missing=False, handover__status=HandoverStatus.CONFIRMED)
        .order_by("-handover_id")
        .first()
    )
    return Tracking(
        waybill=waybill,
        status=waybill.tracking_status,
        since=waybill.tracking_since,
        failed_attempts=link.failed_attempts if link else 0,
        handover=line.handover if line else None,
        task=link.task if link else None,
    )


def tracking_timeline(*, actor: Actor, tracking: Tracking) -> QuerySet[Event]:
    """The parcel's events and those of its order and stop, oldest first, as far as the actor may see.

    Its handover list shows through the parcel's own ``waybill.handed_over``."""
    require(actor, Operation.RECORDS_VIEW)
    waybill = tracking.waybill
    subjects = Q(subject_type="shipping.waybill", subject_id=str(waybill.pk)) | Q(
        subject_type="shipping.order", subject_id=str(waybill.order_id)
    )
    # The stop's events but its failures: each parcel's own failure event says it, with its retry.
    if tracking.task is not None:
        subjects |= Q(subject_type="dispatch.pickuptask", subject_id=str(tracking.task.pk)) & ~Q(
            kind="pickup_task.failed"
        )
    events = Event.objects.filter(subjects)
    if not actor.is_platform:
        org = actor.organisation
        events = events.filter(Q(owner=org) | Q(counterparty=org) | Q(actor_organisation=org))
    return events.select_related("actor_user", "actor_organisation").order_by("occurred_at", "id")


def stop_facts(tracking: Tracking) -> tuple[list[PickupFailure], list[StopProof]]:
    """The failed pickups and proofs of the parcel's stop."""
    if tracking.task is None:
        return [], []
    return (
        list(PickupFailure.objects.filter(task=tracking.task).order_by("created_at")),
        list(StopProof.objects.filter(task=tracking.task).order_by("created_at")),
    )


# What the public page says of each step: no names, no addresses, nothing but the step and its time.
PUBLIC_STEPS: dict[str, object] = {
    "waybill.issued": _("Label printed"),
    "waybill.pickup_slot_booked": _("Pickup window booked"),
    "waybill.pickup_slot_cancelled": _("Pickup window booking cancelled"),
    "waybill.pickup_failed": _("Pickup attempted and failed"),
    "waybill.collected": _("Collected by the carrier's driver"),
    "waybill.handed_over": _("Signed for on a handover list"),
    "waybill.received": _("Received at the sorting centre"),
    "waybill.voided": _("Label voided"),
}


def _digits(phone: str) -> str:
    return "".join(c for c in phone or "" if c.isdigit())


def public_tracking(*, waybill_no: str, phone_last4: str) -> Tracking | None:
    """A parcel for anyone holding its number and the last four digits of its sender's phone;
    None when either is wrong (the caller answers both the same)."""
    number = (waybill_no or "").strip().upper()
    given = _digits(phone_last4)
    if not number or len(number) > 32 or len(given) != 4:
        return None
    waybill = Waybill.objects.select_related("carrier", "sorting_centre").filter(waybill_no=number).first()
    if waybill is None or not hmac.compare_digest(_digits(waybill.sender_phone)[-4:], given):
        return None
    return tracking_of(waybill)


def public_timeline(tracking: Tracking) -> list[tuple[datetime, str]]:
    """The parcel's steps with their times, oldest first, in the reader's language."""
    subjects = Q(subject_type="shipping.waybill", subject_id=str(tracking.waybill.pk))
    events = Event.objects.filter(subjects, kind__in=list(PUBLIC_STEPS)).order_by("occurred_at", "id")
    return [(e.occurred_at, str(PUBLIC_STEPS[e.kind])) for e in events.only("occurred_at", "kind")[:100]]


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a parcel: when it is due, when it was met (if it was) and how it stands."""

    name: str  # ship_by, collect_by, inbound_by
    due: datetime | None
    met_at: datetime | None
    state: str  # met, late, at_risk, running, late_met (met after it was due), none

    @property
    def label(self) -> str:
        return str(CLOCK_LABELS[self.name])

    @property
    def state_label(self) -> str:
        return str(CLOCK_STATES[self.state])


CLOCK_LABELS = {
    "ship_by": _("Ship by"),
    "collect_by": _("Collect by"),
    "inbound_by": _("At the sorting centre by"),
}
CLOCK_STATES = {
    "met": _("on time"),
    "late_met": _("done late"),
    "late": _("late"),
    "at_risk": _("due soon"),
    "running": _("running"),
    "none": _("not applicable"),
}


def _clock(name: str, due: datetime | None, met_at: datetime | None, at: datetime, open_: bool) -> Clock:
    if due is None:
        state = "met" if met_at else "none"
    elif met_at is not None:
        state = "met" if met_at <= due else "late_met"
    elif not open_:
        state = "none"
    elif due < at:
        state = "late"
    elif due < at + timedelta(hours=settings.FIRSTMILE_SLA_RISK_HOURS):
        state = "at_risk"
    else:
        state = "running"
    return Clock(name, due, met_at, state)


def sla_clocks(tracking: Tracking, at: datetime | None = None) -> list[Clock]:
    """The parcel's three clocks: the order's ship-by (met when the label was printed), collect-by
    (PICK UP: met when collected) and inbound-by (met when received at the sorting centre)."""
    at = at or now()
    w = tracking.waybill
    voided = w.status == WaybillStatus.VOIDED
    return [
        _clock("ship_by", w.order.ship_by, w.issued_at, at, not voided),
        _clock("collect_by", w.collect_by, w.collected_at, at, w.status == WaybillStatus.ISSUED),
        _clock("inbound_by", w.inbound_by, w.received_at, at, w.status == WaybillStatus.COLLECTED),
    ]
