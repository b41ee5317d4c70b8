from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import PickupWindow
from firstmile.carriers.selectors import carrier_of
from firstmile.core.clock import beijing_day_bounds, beijing_today, now
from firstmile.core.errors import NotFound
from firstmile.events.models import Event
from firstmile.events.selectors import event_list
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus, Warehouse
from firstmile.shipping.models import HandoverMethod, Waybill, WaybillStatus

from . import error_codes
from .models import (
    ContactAttempt,
    Driver,
    HandoverKind,
    HandoverLine,
    HandoverList,
    HandoverStatus,
    PickupFailure,
    PickupTask,
    RosterEntry,
    Route,
    Shift,
    StopProof,
    TaskParcel,
    TaskStatus,
)


def _carrier_scope(actor: Actor):
    return carrier_of(actor)


# The board's state filter: a stop still to do (waiting for a driver or assigned), collected, failed.
STOP_STATES: dict[str, Q] = {
    "to_do": Q(status__in=[TaskStatus.OPEN, TaskStatus.ASSIGNED]),
    "closed": Q(status=TaskStatus.CLOSED),
    "failed": Q(status=TaskStatus.FAILED),
}


def task_board(*, actor: Actor, day: date | None = None, state: str | None = None) -> QuerySet[PickupTask]:
    """A carrier's tasks of a day with their parcel counts, unassigned first; ``state`` one of STOP_STATES."""
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    tasks = PickupTask.objects.select_related("warehouse__merchant", "warehouse__division", "shift__driver")
    if carrier is None:
        return tasks.none()
    if state in STOP_STATES:
        tasks = tasks.filter(STOP_STATES[state])
    return (
        tasks.filter(carrier=carrier, date=day or beijing_today())
        .annotate(
            parcel_count=Count("parcels"),
            waiting=Count("parcels", filter=Q(parcels__waybill__status="issued")),
        )
        .order_by(
            "shift__driver__name",
            "sequence",
            "warehouse__division_id",
        )
    )


def stop_counts(*, actor: Actor, day: date | None = None) -> dict[str, int]:
    """How many of a carrier's stops of a day are to do, collected and failed: one query."""
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    tasks = (
        PickupTask.objects.filter(carrier=carrier, date=day or beijing_today())
        if carrier
        else PickupTask.objects.none()
    )
    return tasks.aggregate(**{name: Count("pk", filter=q) for name, q in STOP_STATES.items()})


def merchant_pickups(*, actor: Actor, day: date | None = None) -> QuerySet[PickupTask]:
    """A merchant's pickups of a day across its warehouses: carrier, window, driver and parcels waiting."""
    require(actor, Operation.RECORDS_VIEW)
    tasks = PickupTask.objects.filter(date=day or beijing_today())
    tasks = tasks.filter(warehouse__merchant=actor.organisation) if actor.is_merchant else tasks.none()
    return (
        tasks.select_related("warehouse__division", "carrier", "shift__driver")
        .annotate(parcel_count=Count("parcels"), waiting=Count("parcels", filter=Q(parcels__waybill__status="issued")))
        .order_by("window_starts_at", "warehouse__name", "id")
    )


@dataclass
class CentreDay:
    """A sorting centre's day: DROP OFF parcels announced and not yet in, and parcels received that day."""

    expected: QuerySet[Waybill]
    received: QuerySet[Waybill]


def centre_day(*, actor: Actor, centre_id: int, day: date | None = None) -> CentreDay:
    """What a sorting centre expects and has received on a Beijing day; only its own carrier sees it."""
    require(actor, Operation.RECORDS_VIEW)
    carrier = _carrier_scope(actor)
    waybills = Waybill.objects.filter(sorting_centre_id=centre_id, sorting_centre__carrier=carrier)
    if carrier is None:
        waybills = waybills.none()
    start, end = beijing_day_bounds(day or beijing_today())
    fields = ("merchant", "warehouse__division", "carrier")
    return CentreDay(
        expected=waybills.filter(status=WaybillStatus.ISSUED, handover_method=HandoverMethod.DROP_OFF)
        .select_related(*fields)
        .order_by("issued_at", "id"),
        received=waybills.filter(status=WaybillStatus.RECEIVED, received_at__gte=start, received_at__lt=end)
        .select_related(*fields)
        .order_by("-received_at", "-id"),
    )


@dataclass
class WindowLoad:
    """A pickup window on a day: parcels booked against its capacity, and the stops they make."""

    window: PickupWindow
    booked: int
    stops: int

    @property
    def remaining(self) -> int:
        return max(0, self.window.capacity - self.booked)


def window_loads(*, actor: Actor, day: date | None = None) -> list[WindowLoad]:
    """The carrier's windows offered on a day with what merchants booked in them (the day's planning view)."""
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    if carrier is None:
        return []
    day = day or beijing_today()
    windows = list(
        PickupWindow.objects.select_related("division")
        .filter(carrier=carrier, weekday=day.isoweekday())
        .order_by("starts_at", "division_id", "id")
    )
    counts = {
        window_id: (parcels, stops)
        for window_id, parcels, stops in Waybill.objects.filter(
            pickup_window__in=[w.pk for w in windows], pickup_date=day
        )
        .exclude(status=WaybillStatus.VOIDED)
        .values_list("pickup_window")
        .annotate(parcels=Count("id"), stops=Count("warehouse", distinct=True))
        .values_list("pickup_window", "parcels", "stops")
    }
    # A withdrawn window still shows when parcels were booked in it before.
    return [
        WindowLoad(window=w, booked=counts.get(w.pk, (0, 0))[0], stops=counts.get(w.pk, (0, 0))[1])
        for w in windows
        if w.is_active or w.pk in counts
    ]


def shifts_of_day(*, actor: Actor, day: date | None = None) -> QuerySet[Shift]:
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    if carrier is None:
        return Shift.objects.none()
    return (
        Shift.objects.filter(carrier=carrier, date=day or beijing_today())
        .select_related("driver", "route")
        .annotate(load=Count("tasks"))
        .order_by("driver__name")
    )


def drivers(*, actor: Actor) -> QuerySet[Driver]:
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    return Driver.objects.filter(carrier=carrier).order_by("name") if carrier else Driver.objects.none()


def routes(*, actor: Actor) -> QuerySet[Route]:
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    if carrier is None:
        return Route.objects.none()
    return Route.objects.filter(carrier=carrier).prefetch_related("divisions").order_by("name")


def roster(*, actor: Actor) -> QuerySet[RosterEntry]:
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    if carrier is None:
        return RosterEntry.objects.none()
    return (
        RosterEntry.objects.filter(carrier=carrier)
        .select_related("driver", "route")
        .order_by("day_type", "driver__name")
    )


def driver_stops(*, driver: Driver, day: date | None = None) -> QuerySet[PickupTask]:
    """The driver's stops of the day, in route order, with parcels and calls."""
    return (
        PickupTask.objects.filter(shift__driver=driver, date=day or beijing_today())
        .select_related("warehouse__merchant", "warehouse__division")
        .prefetch_related(
            "parcels__waybill",
            Prefetch("contacts", queryset=ContactAttempt.objects.order_by("created_at")),
            "failures",
            "proofs",
            Prefetch("handovers", queryset=HandoverList.objects.order_by("id")),
        )
        .order_by("status", "sequence")
    )


def warehouse_tasks(*, actor: Actor, warehouse: Warehouse, day: date | None = None) -> QuerySet[PickupTask]:
    """A merchant's view of today's pickup for one of its warehouses (seed question 7)."""
    require(actor, Operation.RECORDS_VIEW)
    return (
        PickupTask.objects.filter(
            warehouse=warehouse, warehouse__merchant=actor.organisation, date=day or beijing_today()
        )
        .select_related("carrier", "shift__driver")
        .prefetch_related(
            Prefetch("contacts", queryset=ContactAttempt.objects.order_by("created_at")), "failures", "proofs"
        )
        .annotate(
            parcel_count=Count("parcels", distinct=True),
            waiting=Count("parcels", filter=Q(parcels__waybill__status="issued"), distinct=True),
        )
    )


@dataclass
class Attention:
    """What needs someone's attention now: the ops view of first-mile trouble (each party sees its own)."""

    overdue_reviews: list[PickupSubscription]
    overdue_review_count: int
    failures: list[PickupFailure]
    failure_count: int  # the last FAILURE_DAYS days
    flagged: list[TaskParcel]
    flagged_count: int
    stale: list[Waybill]
    stale_count: int
    stale_hours: int
    failure_limit: int
    # SLA clocks (docs/tracking.md): PICK UP parcels past their collect-by or due within the
    # risk hours, and collected parcels past their inbound-by.
    late_collection: list[Waybill] = field(default_factory=list)
    late_collection_count: int = 0
    due_collection: list[Waybill] = field(default_factory=list)
    due_collection_count: int = 0
    late_inbound: list[Waybill] = field(default_factory=list)
    late_inbound_count: int = 0
    risk_hours: int = 4
    failure_days: int = 7


def attention(*, actor: Actor, at: datetime | None = None, limit: int = 50) -> Attention:
    """Overdue pickup reviews, failed pickups, parcels flagged after repeated failures, and PICK UP
    parcels not collected for FIRSTMILE_STALE_PARCEL_HOURS: the platform's, a carrier's or a merchant's."""
    require(actor, Operation.RECORDS_VIEW)
    at = at or now()
    hours, failure_limit = settings.FIRSTMILE_STALE_PARCEL_HOURS, settings.FIRSTMILE_PICKUP_FAILURE_LIMIT
    reviews = PickupSubscription.objects.filter(status=SubscriptionStatus.PENDING_REVIEW, review_due_at__lt=at)
    failures = PickupFailure.objects.filter(created_at__gte=at - timedelta(days=Attention.failure_days))
    flagged = TaskParcel.objects.filter(failed_attempts__gte=failure_limit, waybill__status=WaybillStatus.ISSUED)
    stale = Waybill.objects.filter(
        status=WaybillStatus.ISSUED, handover_method=HandoverMethod.PICKUP, issued_at__lte=at - timedelta(hours=hours)
    )
    risk = settings.FIRSTMILE_SLA_RISK_HOURS
    waiting = Waybill.objects.filter(status=WaybillStatus.ISSUED, handover_method=HandoverMethod.PICKUP)
    late_collection = waiting.filter(collect_by__lt=at)
    due_collection = waiting.filter(collect_by__gte=at, collect_by__lt=at + timedelta(hours=risk))
    late_inbound = Waybill.objects.filter(status=WaybillStatus.COLLECTED, inbound_by__lt=at)
    if actor.is_merchant:
        org = actor.organisation
        reviews = reviews.filter(warehouse__merchant=org)
        failures = failures.filter(warehouse__merchant=org)
        flagged = flagged.filter(waybill__merchant=org)
        stale = stale.filter(merchant=org)
        late_collection, due_collection, late_inbound = (
            q.filter(merchant=org) for q in (late_collection, due_collection, late_inbound)
        )
    elif actor.is_carrier:
        carrier = carrier_of(actor)
        reviews = reviews.filter(carrier=carrier)
        failures = failures.filter(carrier=carrier)
        flagged = flagged.filter(task__carrier=carrier)
        # Its own labels, and other carriers' labels in its pickup tasks (after a switchover).
        stale = stale.filter(Q(carrier=carrier) | Q(task_link__task__carrier=carrier))
        late_collection, due_collection, late_inbound = (
            q.filter(Q(carrier=carrier) | Q(task_link__task__carrier=carrier))
            for q in (late_collection, due_collection, late_inbound)
        )
    elif not actor.is_platform:
        reviews, failures, flagged, stale = (q.none() for q in (reviews, failures, flagged, stale))
        late_collection, due_collection, late_inbound = (
            q.none() for q in (late_collection, due_collection, late_inbound)
        )
    parcel_fields = ("warehouse__merchant", "carrier")
    return Attention(
        overdue_reviews=list(
            reviews.select_related("warehouse__merchant", "carrier").order_by("review_due_at")[:limit]
        ),
        overdue_review_count=reviews.count(),
        failures=list(
            failures.select_related("warehouse__merchant", "carrier", "driver", "task").order_by("-created_at")[:limit]
        ),
        failure_count=failures.count(),
        flagged=list(
            flagged.select_related("waybill__warehouse__merchant", "waybill__carrier", "task").order_by(
                "-failed_attempts", "first_task_date"
            )[:limit]
        ),
        flagged_count=flagged.count(),
        stale=list(stale.select_related("warehouse__merchant", "carrier").order_by("issued_at")[:limit]),
        stale_count=stale.count(),
        stale_hours=hours,
        failure_limit=failure_limit,
        late_collection=list(late_collection.select_related(*parcel_fields).order_by("collect_by")[:limit]),
        late_collection_count=late_collection.count(),
        due_collection=list(due_collection.select_related(*parcel_fields).order_by("collect_by")[:limit]),
        due_collection_count=due_collection.count(),
        late_inbound=list(late_inbound.select_related(*parcel_fields).order_by("inbound_by")[:limit]),
        late_inbound_count=late_inbound.count(),
        risk_hours=risk,
    )


def _stop_records(rows: QuerySet, actor: Actor, *, merchant: str, carrier: str) -> QuerySet:
    """Records of stops (proofs, handover lists) for their driver, merchant, carrier and the platform only."""
    if actor.is_driver:
        return rows.filter(task__shift__driver__user=actor.user)
    require(actor, Operation.RECORDS_VIEW)
    if actor.is_merchant:
        return rows.filter(**{merchant: actor.organisation})
    if actor.is_carrier:
        return rows.filter(**{f"{carrier}__organisation": actor.organisation})
    return rows if actor.is_platform else rows.none()


def proof_get(*, actor: Actor, proof_id: int) -> StopProof:
    """A proof of pickup, for the stop's driver, its carrier, the warehouse's merchant and the platform."""
    proofs = _stop_records(
        StopProof.objects.select_related("task"), actor, merchant="task__warehouse__merchant", carrier="task__carrier"
    )
    proof = proofs.filter(pk=proof_id).first()
    if proof is None:
        raise NotFound(error_codes.PROOF_NOT_FOUND, _("No such proof of pickup."), field="proof_id")
    return proof


def handover_lists(
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    day: date | None = None,
    with_missing: bool | None = None,
    since: date | None = None,
) -> QuerySet[HandoverList]:
    """Handover lists each side may see: the driver's own stops, the merchant's, the carrier's; ops all."""
    lists = HandoverList.objects.select_related(
        "carrier", "merchant", "warehouse__division", "sorting_centre", "driver", "amends"
    )
    lists = _stop_records(lists, actor, merchant="merchant", carrier="carrier")
    if status:
        lists = lists.filter(status=status)
    if kind:
        lists = lists.filter(kind=kind)
    if day:
        lists = lists.filter(date=day)
    if with_missing:
        lists = lists.filter(missing_count__gt=0)
    if since:
        lists = lists.filter(date__gte=since)
    return lists.order_by("-id")


def handover_get(*, actor: Actor, handover_id: int) -> HandoverList:
    handover = handover_lists(actor=actor).select_related("task", "confirmed_by").filter(pk=handover_id).first()
    if handover is None:
        raise NotFound(error_codes.HANDOVER_NOT_FOUND, _("No such handover list."), field="handover_id")
    return handover


@dataclass
class HandoverSheet:
    """A handover list with its waybill numbers: handed over, and on the merchant's list but missing."""

    handover: HandoverList
    handed: list[str]
    missing: list[str]
    # Parcels handed over inside bundles, one line a bundle: (bundle number, parcels), and the others.
    bundles: list[tuple[str, int]] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)


def handover_sheet(handover: HandoverList) -> HandoverSheet:
    """The list's parcels; while it is open, the missing ones are those of the stop not scanned yet."""
    lines = HandoverLine.objects.filter(handover=handover).order_by("waybill__waybill_no")
    handed = list(lines.filter(missing=False).values_list("waybill__waybill_no", flat=True))
    if handover.status == HandoverStatus.CONFIRMED:
        missing = list(lines.filter(missing=True).values_list("waybill__waybill_no", flat=True))
    elif handover.kind == HandoverKind.PICKUP:
        missing = stop_waiting(handover.task_id)
    else:
        missing = []
    bundled = (
        lines.filter(missing=False, bundle__isnull=False)
        .order_by()
        .values_list("bundle__number")
        .annotate(parcels=Count("id"))
        .order_by("bundle__number")
    )
    bundles = [(number, parcels) for number, parcels in bundled]
    if bundles:
        inside = set(lines.filter(missing=False, bundle__isnull=False).values_list("waybill__waybill_no", flat=True))
        loose = [n for n in handed if n not in inside]
    else:
        loose = handed
    return HandoverSheet(handover=handover, handed=handed, missing=missing, bundles=bundles, loose=loose)


def stop_waiting(task_id: int) -> list[str]:
    """The waybill numbers of a stop still to be collected (on the merchant's list, not scanned)."""
    return list(
        Waybill.objects.filter(task_link__task_id=task_id, status=WaybillStatus.ISSUED)
        .order_by("waybill_no")
        .values_list("waybill_no", flat=True)
    )


def driver_stop(*, actor: Actor, task_id: int) -> PickupTask:
    """One of the driver's own stops, any day."""
    task = (
        PickupTask.objects.select_related("warehouse__merchant", "warehouse__division", "carrier")
        .filter(pk=task_id, shift__driver__user=actor.user, shift__driver__is_active=True)
        .first()
        if actor.is_driver
        else None
    )
    if task is None:
        raise NotFound(error_codes.TASK_NOT_FOUND, _("No such stop on your list."), field="task_id")
    return task


def stop_get(*, actor: Actor, task_id: int) -> PickupTask:
    """One stop (揽收单) with its parcels, calls, proofs, failures and handover lists: for its carrier,
    the warehouse's merchant and the platform (a driver reads their own through driver_stop)."""
    require(actor, Operation.RECORDS_VIEW)
    tasks = PickupTask.objects.select_related("warehouse__merchant", "warehouse__division", "carrier", "shift__driver")
    if actor.is_merchant:
        tasks = tasks.filter(warehouse__merchant=actor.organisation)
    elif actor.is_carrier:
        tasks = tasks.filter(carrier__organisation=actor.organisation)
    elif not actor.is_platform:
        tasks = tasks.none()
    task = (
        tasks.filter(pk=task_id)
        .prefetch_related(
            Prefetch("parcels", queryset=TaskParcel.objects.select_related("waybill").order_by("waybill__waybill_no")),
            Prefetch("contacts", queryset=ContactAttempt.objects.select_related("driver").order_by("created_at")),
            Prefetch("failures", queryset=PickupFailure.objects.select_related("driver").order_by("created_at")),
            Prefetch("proofs", queryset=StopProof.objects.order_by("created_at")),
            Prefetch("handovers", queryset=HandoverList.objects.order_by("id")),
        )
        .first()
    )
    if task is None:
        raise NotFound(error_codes.TASK_NOT_FOUND, _("No such stop."), field="task_id")
    return task


def stop_timeline(*, actor: Actor, task: PickupTask) -> QuerySet[Event]:
    """The stop's events the actor's organisation may see, newest first."""
    return event_list(actor=actor, subject_type="dispatch.pickuptask", subject_id=str(task.pk)).select_related(
        "actor_user", "actor_organisation"
    )
