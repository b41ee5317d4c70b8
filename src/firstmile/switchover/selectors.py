from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.selectors import upcoming_coverage
from firstmile.core.clock import BEIJING, now, to_beijing
from firstmile.core.errors import NotFound
from firstmile.events.models import Event
from firstmile.events.selectors import event_list
from firstmile.pickup.models import PickupSubscription, Warehouse
from firstmile.pickup.selectors import pickup_state
from firstmile.shipping.models import HandoverMethod, Waybill, WaybillStatus

from . import error_codes
from .models import BatchStatus, PushFailure, Switchover, SwitchoverBatch


def switchover_list(*, actor: Actor) -> QuerySet[Switchover]:
    require(actor, Operation.RECORDS_VIEW)
    if not actor.is_platform:
        return Switchover.objects.none()
    return Switchover.objects.select_related("from_carrier", "to_carrier").prefetch_related("batches__areas__division")


def running_batches(*, actor: Actor, at: datetime | None = None) -> QuerySet[SwitchoverBatch]:
    """Batches with work left: not cancelled, and before their cutover, not pushed yet or with
    addresses still to push. The platform's only."""
    require(actor, Operation.RECORDS_VIEW)
    if not actor.is_platform:
        return SwitchoverBatch.objects.none()
    at = at or now()
    return (
        SwitchoverBatch.objects.exclude(status=BatchStatus.CANCELLED)
        .filter(
            Q(cutover_at__gt=at) | Q(status=BatchStatus.SCHEDULED) | Q(push_done__lt=F("push_total")),
        )
        .select_related("switchover__from_carrier", "switchover__to_carrier")
        .order_by("cutover_at", "id")
    )


def switchover_get(*, actor: Actor, switchover_id: int) -> Switchover:
    switchover = switchover_list(actor=actor).filter(pk=switchover_id).first()
    if switchover is None:
        raise NotFound(error_codes.SWITCHOVER_NOT_FOUND, _("No such switchover."), field="switchover_id")
    return switchover


def switchover_timeline(*, actor: Actor, switchover: Switchover) -> QuerySet[Event]:
    """The switchover's events and its batches', newest first."""
    batch_ids = [str(pk) for pk in switchover.batches.values_list("pk", flat=True)]
    events = event_list(actor=actor).filter(
        Q(subject_type="switchover.switchover", subject_id=str(switchover.pk))
        | Q(subject_type="switchover.switchoverbatch", subject_id__in=batch_ids)
    )
    return events.select_related("actor_user", "actor_organisation")


def batch_get(*, actor: Actor, batch_id: int) -> SwitchoverBatch:
    require(actor, Operation.RECORDS_VIEW)
    batch = (
        SwitchoverBatch.objects.select_related("switchover__from_carrier", "switchover__to_carrier")
        .filter(pk=batch_id)
        .first()
        if actor.is_platform
        else None
    )
    if batch is None:
        raise NotFound(error_codes.BATCH_NOT_FOUND, _("No such switchover batch."), field="batch_id")
    return batch


def _area_filter(batch: SwitchoverBatch, field: str) -> Q:
    lengths = {"province": 2, "city": 4, "county": 6, "town": 9}
    q = Q()
    for code, level in batch.areas.values_list("division_id", "division__level"):
        q |= Q(**{f"{field}__pk__startswith": code[: lengths.get(level, len(code))]})
    return q


@dataclass
class BatchDashboard:
    batch: SwitchoverBatch
    pushed: int
    failed: int
    approved: int
    rejected: int
    pending: int
    overdue: int
    withdrawn: int
    labels_since_cutover: dict[str, int]
    in_flight_uncollected: int
    cut_over: bool


def batch_dashboard(*, actor: Actor, batch_id: int, at: datetime | None = None) -> BatchDashboard:
    """Per batch: what the push did, how the review goes, and the parcels on either side of the cutover."""
    require(actor, Operation.RECORDS_VIEW)
    batch = batch_get(actor=actor, batch_id=batch_id)
    at = at or now()
    items = PickupSubscription.objects.filter(origin=batch.origin).aggregate(
        pushed=Count("pk"),
        approved=Count("pk", filter=Q(status="active")),
        rejected=Count("pk", filter=Q(status="rejected")),
        pending=Count("pk", filter=Q(status="pending_review")),
        overdue=Count("pk", filter=Q(status="pending_review", review_due_at__lt=at)),
        withdrawn=Count("pk", filter=Q(status__in=["cancelled", "superseded"])),
    )
    items["failed"] = PushFailure.objects.filter(batch=batch).count()
    in_area = Waybill.objects.filter(_area_filter(batch, "sender_division"))
    labels = dict(
        in_area.filter(issued_at__gte=batch.cutover_at)
        .values_list("carrier__code")
        .annotate(n=Count("pk"))
        .order_by("carrier__code")
    )
    in_flight = in_area.filter(
        carrier=batch.switchover.from_carrier,
        issued_at__lt=batch.cutover_at,
        status=WaybillStatus.ISSUED,
        handover_method=HandoverMethod.PICKUP,
    ).count()
    return BatchDashboard(
        batch=batch,
        labels_since_cutover=labels,
        in_flight_uncollected=in_flight,
        cut_over=batch.status != BatchStatus.CANCELLED and batch.cutover_at <= at,
        **items,
    )


def push_failures(*, actor: Actor, batch_id: int) -> QuerySet[PushFailure]:
    require(actor, Operation.RECORDS_VIEW)
    batch = batch_get(actor=actor, batch_id=batch_id)
    return (
        PushFailure.objects.filter(batch=batch)
        .select_related("warehouse__merchant", "warehouse__division")
        .order_by("warehouse_id")
    )


@dataclass
class SwitchNotice:
    """Seed question 8, for one warehouse: a switch coming, or the proof that it happened."""

    warehouse: Warehouse
    coming: object | None  # the upcoming CoverageArea
    request: object | None  # the warehouse's request with the incoming carrier, if any
    latest_label: Waybill | None  # evidence after the switch: prefix, PICK UP, destination
    switched: bool


def switch_notices(*, actor: Actor, at: datetime | None = None) -> list[SwitchNotice]:
    """For each of a merchant's warehouses: a carrier change coming, or one that has happened."""
    require(actor, Operation.RECORDS_VIEW)
    at = at or now()
    notices = []
    for warehouse in Warehouse.objects.filter(merchant=actor.organisation).select_related("division"):
        coming = upcoming_coverage(warehouse.division_id, at)
        state = pickup_state(warehouse, at)
        latest = (
            Waybill.objects.filter(warehouse=warehouse)
            .exclude(status=WaybillStatus.VOIDED)
            .select_related("carrier", "sorting_centre")
            .order_by("-issued_at")
            .first()
        )
        switched = bool(
            latest
            and latest.coverage
            and SwitchoverBatch.objects.filter(
                switchover__to_carrier=latest.carrier_id,
                cutover_at=latest.coverage.valid_from,
                status__in=[BatchStatus.SCHEDULED, BatchStatus.PUSHED],
            ).exists()
        )
        if coming or switched:
            notices.append(SwitchNotice(warehouse, coming, state.upcoming, latest if switched else None, switched))
    return notices


def batch_timeline(*, actor: Actor, batch_id: int, at: datetime | None = None, max_days: int = 90) -> list[dict]:
    """A batch's progress day by day (Beijing), cumulative: pickup requests pushed to the new
    carrier, requests it approved, and warehouses whose first parcel it has collected since the
    cutover. From the day the push began (or the first request) to today, at most ``max_days``."""
    require(actor, Operation.RECORDS_VIEW)
    batch = batch_get(actor=actor, batch_id=batch_id)
    at = at or now()
    requests = PickupSubscription.objects.filter(origin=batch.origin)
    first_request = requests.aggregate(first=Min("requested_at"))["first"]
    starts = [t for t in (batch.push_started_at, first_request) if t is not None]
    if not starts:
        return []
    first_day = to_beijing(min(starts)).date()
    last_day = min(to_beijing(at).date(), first_day + timedelta(days=max_days - 1))

    def per_day(rows: QuerySet, field: str) -> dict:
        return dict(
            rows.annotate(d=TruncDate(field, tzinfo=BEIJING)).values_list("d").annotate(n=Count("pk")).order_by()
        )

    pushed = per_day(requests, "requested_at")
    approved = per_day(requests.filter(decided_at__isnull=False).exclude(status="rejected"), "decided_at")
    # The new carrier's parcels are printed after the switch: the time bound keeps this to them.
    firsts = (
        Waybill.objects.filter(
            carrier=batch.switchover.to_carrier,
            issued_at__gte=batch.cutover_at - timedelta(days=2),
            collected_at__gte=batch.cutover_at,
            warehouse_id__in=requests.values("warehouse_id"),
        )
        .values("warehouse_id")
        .annotate(first=Min("collected_at"))
        .order_by()
    )
    collecting: dict = {}
    for row in firsts:
        day = to_beijing(row["first"]).date()
        collecting[day] = collecting.get(day, 0) + 1
    days, totals = [], {"pushed": 0, "approved": 0, "collecting": 0}
    before = first_day - timedelta(days=1)
    for source, name in ((pushed, "pushed"), (approved, "approved"), (collecting, "collecting")):
        totals[name] = sum(n for d, n in source.items() if d is not None and d <= before)
    day = first_day
    while day <= last_day:
        for source, name in ((pushed, "pushed"), (approved, "approved"), (collecting, "collecting")):
            totals[name] += source.get(day, 0)
        days.append({"day": day, **totals})
        day += timedelta(days=1)
    return days
