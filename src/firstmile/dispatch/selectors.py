from __future__ import annotations

from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.selectors import carrier_of
from firstmile.core.clock import beijing_today
from firstmile.pickup.models import Warehouse

from .models import ContactAttempt, Driver, PickupTask, RosterEntry, Route, Shift


def _carrier_scope(actor: Actor):
    return carrier_of(actor)


def task_board(*, actor: Actor, day: date | None = None) -> QuerySet[PickupTask]:
    """A carrier's tasks of a day with their parcel counts, unassigned first."""
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = _carrier_scope(actor)
    tasks = PickupTask.objects.select_related("warehouse__merchant", "warehouse__division", "shift__driver")
    if carrier is None:
        return tasks.none()
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
        .prefetch_related(Prefetch("contacts", queryset=ContactAttempt.objects.order_by("created_at")))
        .annotate(
            parcel_count=Count("parcels", distinct=True),
            waiting=Count("parcels", filter=Q(parcels__waybill__status="issued"), distinct=True),
        )
    )
