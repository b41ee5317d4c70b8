"""Drivers, rosters, daily pickup tasks and scans (seed 000, questions 6, 7, 9, 10).

Each day's PICK UP parcels of a warehouse form one pickup task for the carrier
serving that area that day. Planning a day is idempotent and set-based: it makes
the day's shifts from the roster, gathers every uncollected PICK UP parcel the
carrier now serves (yesterday's leftovers included, whichever carrier printed
the label), and assigns tasks to drivers by route and capacity.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Value
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Role
from firstmile.accounts.permissions import Operation, require
from firstmile.accounts.services import user_create
from firstmile.bundles.models import Bundle, BundleParcel, BundleStatus, bundle_sources_of
from firstmile.bundles.selectors import bundle_of_waybill
from firstmile.bundles.services import is_bundle_number
from firstmile.carriers.models import Carrier, PickupWindow, SortingCentre
from firstmile.carriers.selectors import carrier_of, serving_carrier_ids
from firstmile.core import error_codes as core_codes
from firstmile.core.bulk import bulk_insert, new_instances
from firstmile.core.clock import beijing_day_bounds, beijing_today, now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.core.images import check_photo
from firstmile.core.lookups import IdArray
from firstmile.core.phones import normalise_cn_phone
from firstmile.events.services import event_record, event_record_bulk
from firstmile.geo.models import Division
from firstmile.geo.selectors import ancestor_codes
from firstmile.pickup.models import Warehouse
from firstmile.shipping.models import HandoverMethod, TrackingStatus, Waybill, WaybillStatus, waybill_sources_of
from firstmile.shipping.selectors import PickupSlot, pickup_slots

from . import error_codes
from .models import (
    ContactAttempt,
    ContactOutcome,
    DayType,
    Driver,
    FailureReason,
    HandoverKind,
    HandoverLine,
    HandoverList,
    HandoverStatus,
    PickupFailure,
    PickupTask,
    RosterEntry,
    Route,
    Scan,
    ScanKind,
    Shift,
    StopProof,
    TaskParcel,
    TaskStatus,
)


def carrier_for(actor: Actor, operation: Operation = Operation.DISPATCH_MANAGE) -> Carrier:
    """The actor's carrier, once its role may perform ``operation`` there."""
    require(actor, operation)
    carrier = carrier_of(actor)
    if carrier is None:
        raise Forbidden(error_codes.NOT_A_CARRIER, _("Only a carrier dispatches pickups."))
    return carrier


def driver_for(actor: Actor) -> Driver:
    require(actor, Operation.DISPATCH_DRIVE)
    driver = Driver.objects.select_related("carrier").filter(user=actor.user, is_active=True).first()
    if actor.user is None or driver is None:
        raise Forbidden(error_codes.NOT_A_DRIVER, _("Only a driver scans at the warehouse."))
    return driver


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


def day_type_of(day: date) -> str:
    return DayType.WEEKEND if day.isoweekday() >= 6 else DayType.WEEKDAY


# -- drivers, routes and the roster -------------------------------------------------------


@transaction.atomic
def driver_create(*, actor: Actor, name: str, phone: str, username: str = "", password: str = "") -> Driver:
    """Add a driver; with a username, also the login for the driver page."""
    carrier = carrier_for(actor)
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("Name is required."))
    phone = normalise_cn_phone(phone, field="phone")
    user = None
    if username:
        # The system creates the login: a dispatcher may add drivers without being the admin.
        user = user_create(
            actor=None,
            organisation=carrier.organisation,
            username=username,
            password=password,
            role=Role.DRIVER,
            first_name=name,
            phone=phone,
        )
    driver = Driver.objects.create(carrier=carrier, user=user, name=name, phone=phone)
    event_record(actor=actor, kind="driver.created", subject=driver, to_state="active", owner=carrier.organisation)
    return driver


# A driver's day covers a few towns; even a whole city's towns are a few dozen.
ROUTE_MAX_AREAS = 500


@transaction.atomic
def route_create(*, actor: Actor, name: str, division_codes: list[str]) -> Route:
    """A route: the areas (towns, counties or whole cities) one driver covers."""
    carrier = carrier_for(actor)
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("Name is required."))
    codes = sorted({c.strip() for c in division_codes if c and c.strip()})
    if not codes:
        raise _invalid("division_codes", _("Pick at least one area for the route."))
    if len(codes) > ROUTE_MAX_AREAS:
        raise _invalid("division_codes", _("A route covers at most %(n)s areas.") % {"n": ROUTE_MAX_AREAS})
    found = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise NotFound(
            "division_unknown",
            _("Unknown administrative division code: %(code)s.") % {"code": ", ".join(unknown)},
            field="division_codes",
        )
    if Route.objects.filter(carrier=carrier, name=name).exists():
        raise Conflict(error_codes.ROUTE_NAME_TAKEN, _("You already have a route with this name."), field="name")
    route = Route.objects.create(carrier=carrier, name=name)
    route.divisions.set(codes)
    event_record(actor=actor, kind="route.created", subject=route, payload={"areas": codes}, owner=carrier.organisation)
    return route


@transaction.atomic
def roster_set(*, actor: Actor, driver_id: int, route_id: int, day_type: str, capacity: int) -> RosterEntry:
    """Who drives which route on weekdays or weekends (fewer drivers at weekends)."""
    carrier = carrier_for(actor)
    driver = Driver.objects.filter(pk=driver_id, carrier=carrier).first()
    if driver is None:
        raise NotFound(error_codes.DRIVER_NOT_FOUND, _("No such driver."), field="driver_id")
    route = Route.objects.filter(pk=route_id, carrier=carrier).first()
    if route is None:
        raise NotFound(error_codes.ROUTE_NOT_FOUND, _("No such route."), field="route_id")
    if day_type not in DayType.values:
        raise _invalid("day_type", _("Choose weekday or weekend."))
    if not 1 <= int(capacity) <= 200:
        raise _invalid("capacity", _("Stops per day: 1 to 200."))
    entry, _created = RosterEntry.objects.update_or_create(
        driver=driver, day_type=day_type, defaults={"carrier": carrier, "route": route, "capacity": int(capacity)}
    )
    event_record(
        actor=actor,
        kind="roster.set",
        subject=entry,
        payload={"driver": driver.pk, "route": route.pk, "day_type": day_type, "capacity": int(capacity)},
        owner=carrier.organisation,
    )
    return entry


@transaction.atomic
def roster_remove(*, actor: Actor, entry_id: int) -> None:
    carrier = carrier_for(actor)
    entry = RosterEntry.objects.filter(pk=entry_id, carrier=carrier).first()
    if entry is None:
        raise NotFound("roster_entry_not_found", _("No such roster entry."), field="entry_id")
    event_record(actor=actor, kind="roster.removed", subject=entry, owner=carrier.organisation)
    entry.delete()


# -- planning a day -----------------------------------------------------------------------


@dataclass
class DayPlan:
    date: date
    shifts: int
    tasks: int
    parcels_linked: int
    parcels_rolled_over: int
    assigned: int
    unassigned: int


def _ensure_shifts(carrier: Carrier, day: date) -> int:
    booked = set(Shift.objects.filter(carrier=carrier, date=day).values_list("driver_id", flat=True))
    entries = RosterEntry.objects.filter(carrier=carrier, day_type=day_type_of(day), driver__is_active=True).exclude(
        driver_id__in=booked
    )
    Shift.objects.bulk_create(
        [
            Shift(carrier=carrier, driver_id=e.driver_id, route_id=e.route_id, date=day, capacity=e.capacity)
            for e in entries
        ],
        ignore_conflicts=True,
    )
    return Shift.objects.filter(carrier=carrier, date=day).count()


def _gather_parcels(carrier: Carrier, day: date) -> tuple[int, int]:
    """Link every uncollected PICK UP parcel this carrier serves on ``day`` to that day's task."""
    start, _end = beijing_day_bounds(day)
    candidates = list(
        Waybill.objects.filter(status=WaybillStatus.ISSUED, handover_method=HandoverMethod.PICKUP, issued_at__lt=_end)
        .filter(Q(task_link__isnull=True) | Q(task_link__task__date__lt=day))
        # A parcel booked into a later day's pickup window waits for that day.
        .filter(Q(pickup_date__isnull=True) | Q(pickup_date__lte=day))
        .values_list(
            "pk", "warehouse_id", "sender_division_id", "task_link__first_task_date", "task_link__failed_attempts"
        )
    )
    if not candidates:
        return 0, 0
    # Whoever serves the area on the day collects, whatever carrier printed the label.
    serving = serving_carrier_ids({row[2] for row in candidates}, start)
    mine = [row for row in candidates if serving[row[2]] == carrier.pk]
    if not mine:
        return 0, 0
    PickupTask.objects.bulk_create(
        [PickupTask(carrier=carrier, warehouse_id=w, date=day) for w in {row[1] for row in mine}],
        ignore_conflicts=True,
    )
    tasks = dict(
        PickupTask.objects.filter(carrier=carrier, date=day, warehouse_id__in={row[1] for row in mine}).values_list(
            "warehouse_id", "pk"
        )
    )
    rolled = [row for row in mine if row[3] is not None]
    # Re-linking is delete + insert: one statement each, whatever the number of parcels.
    TaskParcel.objects.filter(waybill__pk__in_array=[row[0] for row in rolled]).delete()
    bulk_insert(
        TaskParcel,
        [
            TaskParcel(waybill_id=pk, task_id=tasks[w], first_task_date=first or day, failed_attempts=failed or 0)
            for pk, w, _d, first, failed in mine
        ],
    )
    # A task that got parcels back after its stop was closed is open again.
    PickupTask.objects.filter(pk__in=tasks.values(), status=TaskStatus.CLOSED).update(
        status=TaskStatus.OPEN, shift=None, closed_at=None
    )
    return len(mine), len(rolled)


def _route_areas(carrier: Carrier) -> dict[int, set[str]]:
    areas: dict[int, set[str]] = {}
    for route_id, code in Route.divisions.through.objects.filter(route__carrier=carrier).values_list(
        "route_id", "division_id"
    ):
        areas.setdefault(route_id, set()).add(code)
    return areas


def _auto_assign(carrier: Carrier, day: date) -> tuple[int, int]:
    """Give unassigned tasks to shifts whose route covers the warehouse, up to capacity."""
    areas = _route_areas(carrier)
    shifts = list(Shift.objects.filter(carrier=carrier, date=day).annotate(load=Count("tasks")).order_by("load", "pk"))
    room = {s.pk: s.capacity - s.load for s in shifts}
    open_tasks = list(
        PickupTask.objects.filter(carrier=carrier, date=day, shift__isnull=True)
        .exclude(status=TaskStatus.CLOSED)
        .select_related("warehouse")
        .order_by("warehouse__division_id", "pk")
    )
    chosen: dict[int, list[int]] = {}
    for task in open_tasks:
        chain = {task.warehouse.division_id, *ancestor_codes(task.warehouse.division_id)}
        fits = [s for s in shifts if room[s.pk] > 0 and areas.get(s.route_id, set()) & chain]
        if not fits:
            continue  # stays unassigned and is flagged on the dispatch board
        shift = max(fits, key=lambda s: room[s.pk])
        room[shift.pk] -= 1
        chosen.setdefault(shift.pk, []).append(task.pk)
    for shift_id, task_ids in chosen.items():
        PickupTask.objects.filter(pk__in=task_ids).update(shift_id=shift_id, status=TaskStatus.ASSIGNED)
    _renumber(carrier, day)
    assigned = sum(len(ids) for ids in chosen.values())
    return assigned, len(open_tasks) - assigned


def _set_windows(carrier: Carrier, day: date) -> None:
    """Each stop's earliest booked pickup window of the day, in one UPDATE: it orders the stops."""
    booked = (
        Waybill.objects.filter(task_link__task=OuterRef("pk"), pickup_date=day, pickup_window__isnull=False)
        .exclude(status=WaybillStatus.VOIDED)
        .order_by("pickup_window__starts_at", "pickup_window__ends_at")
    )
    PickupTask.objects.filter(carrier=carrier, date=day).update(
        window_starts_at=Subquery(booked.values("pickup_window__starts_at")[:1]),
        window_ends_at=Subquery(booked.values("pickup_window__ends_at")[:1]),
    )


def _renumber(carrier: Carrier, day: date) -> None:
    """Stops in order (booked windows first, by start; then by area code and warehouse), per shift, in one UPDATE.

    A window function numbers the day's assigned tasks inside the database; the
    earlier CASE with one WHEN per task made the statement grow with the tasks and
    its evaluation with their square (a day of 10,000 stops: 10^8 comparisons).
    """
    connection = connections[router.db_for_write(PickupTask)]
    q = connection.ops.quote_name
    tasks, warehouses = q(PickupTask._meta.db_table), q(Warehouse._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {tasks} SET {q("sequence")} = ranked.n
                FROM (SELECT t.{q("id")} AS id,
                             ROW_NUMBER() OVER (PARTITION BY t.{q("shift_id")}
                                                ORDER BY t.{q("window_starts_at")} IS NULL,
                                                         t.{q("window_starts_at")},
                                                         w.{q("division_id")}, t.{q("warehouse_id")}) AS n
                      FROM {tasks} t JOIN {warehouses} w ON w.{q("id")} = t.{q("warehouse_id")}
                      WHERE t.{q("carrier_id")} = %s AND t.{q("date")} = %s AND t.{q("shift_id")} IS NOT NULL) ranked
                WHERE {tasks}.{q("id")} = ranked.id""",
            [carrier.pk, connection.ops.adapt_datefield_value(day)],
        )


@transaction.atomic
def day_plan(*, actor: Actor | None, carrier: Carrier | None = None, day: date | None = None) -> DayPlan:
    """Plan a carrier's day: shifts, tasks with yesterday's leftovers, assignment. Idempotent."""
    if actor is not None:
        carrier = carrier_for(actor)
    day = day or beijing_today()
    # One planner per carrier at a time: the carrier row is the lock.
    Carrier.objects.select_for_update().filter(pk=carrier.pk).get()
    shifts = _ensure_shifts(carrier, day)
    # Parcels linked to this day's stops before their merchant booked a later window leave them.
    TaskParcel.objects.filter(
        task__carrier=carrier, task__date=day, waybill__status=WaybillStatus.ISSUED, waybill__pickup_date__gt=day
    ).delete()
    linked, rolled = _gather_parcels(carrier, day)
    _set_windows(carrier, day)
    assigned, _left = _auto_assign(carrier, day)
    plan = DayPlan(
        date=day,
        shifts=shifts,
        tasks=PickupTask.objects.filter(carrier=carrier, date=day).count(),
        parcels_linked=linked,
        parcels_rolled_over=rolled,
        assigned=assigned,
        unassigned=PickupTask.objects.filter(carrier=carrier, date=day, shift__isnull=True)
        .exclude(status=TaskStatus.CLOSED)
        .count(),
    )
    if linked or assigned:
        event_record(
            actor=actor,
            kind="dispatch.day_planned",
            subject=carrier,
            payload={
                "date": day.isoformat(),
                "parcels_linked": linked,
                "parcels_rolled_over": rolled,
                "assigned": assigned,
                "unassigned": plan.unassigned,
            },
            owner=carrier.organisation,
        )
    return plan


@transaction.atomic
def task_assign(*, actor: Actor, task_id: int, shift_id: int | None) -> PickupTask:
    """Dispatcher's override: put a stop on a driver's shift (or take it off)."""
    carrier = carrier_for(actor)
    task = PickupTask.objects.select_for_update().filter(pk=task_id, carrier=carrier).first()
    if task is None:
        raise NotFound(error_codes.TASK_NOT_FOUND, _("No such pickup task."), field="task_id")
    if task.status == TaskStatus.CLOSED:
        raise Conflict(error_codes.TASK_CLOSED, _("This stop is closed."))
    shift = None
    if shift_id:
        shift = Shift.objects.select_related("driver").filter(pk=shift_id).first()
        if shift is None or shift.carrier_id != carrier.pk:
            # Another carrier's shift is as unknown to this carrier as a missing one.
            raise NotFound(error_codes.SHIFT_NOT_FOUND, _("No such shift."), field="shift_id")
        if shift.date != task.date:
            raise ApplicationError(
                error_codes.SHIFT_OTHER_DAY, _("The shift is on another day than the stop."), field="shift_id"
            )
    before = task.status
    task.shift = shift
    task.status = TaskStatus.ASSIGNED if shift else TaskStatus.OPEN
    task.assigned_manually = True
    task.save(update_fields=["shift", "status", "assigned_manually", "updated_at"])
    _renumber(carrier, task.date)
    event_record(
        actor=actor,
        kind="pickup_task.assigned",
        subject=task,
        from_state=before,
        to_state=task.status,
        payload={"driver": shift.driver.name if shift else None, "date": task.date.isoformat()},
        owner=task.warehouse.merchant,
        counterparty=carrier.organisation,
    )
    return task


# -- at the warehouse ---------------------------------------------------------------------


def _driver_task(driver: Driver, task_id: int, *, lock: bool = False) -> PickupTask:
    tasks = PickupTask.objects.select_related("warehouse__merchant")
    if lock:
        # The stop only: its warehouse and merchant rows are read, not locked.
        tasks = tasks.select_for_update(of=("self",))
    task = tasks.filter(pk=task_id, shift__driver=driver).first()
    if task is None:
        raise NotFound(error_codes.TASK_NOT_FOUND, _("No such stop on your list."), field="task_id")
    return task


@transaction.atomic
def contact_record(*, actor: Actor, task_id: int, outcome: str, note: str = "") -> ContactAttempt:
    """The driver called the warehouse contact (seed question 7: 司机联系商家)."""
    driver = driver_for(actor)
    task = _driver_task(driver, task_id)
    if outcome not in ContactOutcome.values:
        raise _invalid("outcome", _("Choose what came of the call."))
    attempt = ContactAttempt.objects.create(task=task, driver=driver, outcome=outcome, note=(note or "").strip()[:200])
    event_record(
        actor=actor,
        kind="pickup_task.contacted",
        subject=task,
        payload={"outcome": outcome, "note": attempt.note, "driver": driver.name},
        owner=task.warehouse.merchant,
        counterparty=driver.carrier.organisation,
    )
    return attempt


_WAYBILL_NO = re.compile(r"^[A-Z]{2,4}[0-9]{11}$")


def _find_waybill(raw: str) -> Waybill:
    number = (raw or "").strip().upper()
    waybill = (
        Waybill.objects.select_for_update().select_related("carrier", "merchant").filter(waybill_no=number).first()
        if _WAYBILL_NO.match(number)
        else None
    )
    if waybill is None:
        raise NotFound(
            error_codes.WAYBILL_UNKNOWN,
            _("Unknown waybill number: %(no)s.") % {"no": number or "—"},
            field="waybill_no",
        )
    if waybill.status == WaybillStatus.VOIDED:
        raise Conflict(
            error_codes.WAYBILL_VOIDED,
            _("Waybill %(no)s was voided by the merchant: do not take this parcel.") % {"no": number},
            field="waybill_no",
        )
    return waybill


@transaction.atomic
def scan_pickup(*, actor: Actor, waybill_no: str, task_id: int | None = None) -> Waybill:
    """The driver scans a parcel at the warehouse: collected, and on the stop's handover list.

    With ``task_id`` the scan is for that stop's list, and a parcel of another
    warehouse is refused rather than collected with its own warehouse's stop.
    """
    driver = driver_for(actor)
    stop = _driver_task(driver, task_id) if task_id is not None else None
    waybill = _find_waybill(waybill_no)
    if stop is not None:
        if stop.status in (TaskStatus.CLOSED, TaskStatus.FAILED):
            raise Conflict(error_codes.TASK_CLOSED, _("This stop is already closed."), field="task_id")
        if waybill.warehouse_id != stop.warehouse_id:
            raise Conflict(
                error_codes.WAYBILL_OTHER_WAREHOUSE,
                _("Waybill %(no)s belongs to another warehouse, not to this stop (%(warehouse)s).")
                % {"no": waybill.waybill_no, "warehouse": stop.warehouse.name},
                field="waybill_no",
            )
    if waybill.status not in waybill_sources_of(WaybillStatus.COLLECTED):
        raise Conflict(
            error_codes.WAYBILL_ALREADY_SCANNED,
            _("Waybill %(no)s was already scanned (%(status)s).")
            % {"no": waybill.waybill_no, "status": waybill.get_status_display()},
            field="waybill_no",
        )
    _refuse_bundled(waybill)
    today = beijing_today()
    link = TaskParcel.objects.select_related("task__carrier").filter(waybill=waybill).first()
    task = link.task if link and link.task.date == today else None
    if task is None:
        # An unlisted parcel (a DROP OFF label, or one printed after planning) handed
        # over at a stop the driver has today is collected with that stop.
        task = PickupTask.objects.filter(warehouse_id=waybill.warehouse_id, date=today, carrier=driver.carrier).first()
    if task is None or task.carrier_id != driver.carrier_id:
        if task is not None or (link and link.task.carrier_id != driver.carrier_id):
            owner = (task or link.task).carrier
            raise Conflict(
                error_codes.WAYBILL_OTHER_CARRIER,
                _("Waybill %(no)s is in %(carrier)s's pickup today, not yours.")
                % {"no": waybill.waybill_no, "carrier": owner.display_name},
                field="waybill_no",
            )
        raise Conflict(
            error_codes.WAYBILL_NOT_IN_STOPS,
            _("Waybill %(no)s is not in any of today's stops of %(carrier)s.")
            % {"no": waybill.waybill_no, "carrier": driver.carrier.display_name},
            field="waybill_no",
        )
    moment = now()
    waybill.status = WaybillStatus.COLLECTED
    waybill.collected_at = moment
    waybill.inbound_by = moment + timedelta(hours=driver.carrier.inbound_hours)
    waybill.tracking_status, waybill.tracking_since = TrackingStatus.COLLECTED, moment
    waybill.save(
        update_fields=["status", "collected_at", "inbound_by", "tracking_status", "tracking_since", "updated_at"]
    )
    if link is None:
        TaskParcel.objects.create(waybill=waybill, task=task, first_task_date=today)
    elif link.task_id != task.pk:
        link.task = task
        link.save(update_fields=["task"])
    Scan.objects.create(
        waybill=waybill, kind=ScanKind.PICKUP, carrier=driver.carrier, task=task, driver=driver, scanned_by=actor.user
    )
    _handover_add(
        waybill,
        kind=HandoverKind.PICKUP,
        date=task.date,
        carrier_id=task.carrier_id,
        merchant_id=waybill.merchant_id,
        task=task,
        warehouse_id=task.warehouse_id,
        driver=driver,
    )
    event_record(
        actor=actor,
        kind="waybill.collected",
        subject=waybill,
        from_state=WaybillStatus.ISSUED,
        to_state=WaybillStatus.COLLECTED,
        payload={"waybill_no": waybill.waybill_no, "driver": driver.name, "carrier": driver.carrier.code},
        owner=waybill.merchant,
        counterparty=driver.carrier.organisation,
    )
    return waybill


def _open_task_for(actor: Actor, task_id: int) -> PickupTask:
    """The stop a driver (their own) or a dispatcher (their carrier's) acts on, locked; refused once ended."""
    task = _task_for(actor, task_id)
    if task.status == TaskStatus.CLOSED:
        raise Conflict(error_codes.TASK_CLOSED, _("This stop is already closed."))
    if task.status == TaskStatus.FAILED:
        raise Conflict(error_codes.TASK_CLOSED, _("This stop is already recorded as failed."))
    return task


def _task_for(actor: Actor, task_id: int) -> PickupTask:
    """The stop a driver (their own) or a dispatcher (their carrier's) acts on, locked."""
    if actor.is_driver:
        task = _driver_task(driver_for(actor), task_id, lock=True)
    else:
        carrier = carrier_for(actor)
        task = (
            PickupTask.objects.select_for_update(of=("self",))
            .select_related("warehouse__merchant", "carrier__organisation")
            .filter(pk=task_id, carrier=carrier)
            .first()
        )
        if task is None:
            raise NotFound(error_codes.TASK_NOT_FOUND, _("No such pickup task."), field="task_id")
    return task


def _coordinate(value, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > limit:
        raise _invalid(field, _("Not a valid coordinate: %(value)s.") % {"value": str(value)[:30]})
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def stop_proof_add(
    *, actor: Actor, task_id: int, photo=None, latitude=None, longitude=None, accuracy=None
) -> StopProof:
    """Proof of pickup at a stop: a photo (a real image, at most 10 MB), the position, or both.

    Kept as taken, never edited; it shows on the stop, in the history of every
    parcel of the stop, and to the merchant. A dispatcher may add one for the
    carrier's stop (an app of its own uploading through the API).
    """
    task = _task_for(actor, task_id)
    lat, lng = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lng is None):
        raise _invalid("latitude" if lat is None else "longitude", _("Give both latitude and longitude."))
    metres = None
    if accuracy not in (None, ""):
        try:
            metres = round(float(accuracy))
        except (TypeError, ValueError, OverflowError):
            metres = -1
        if not 0 <= metres <= 100_000:
            raise _invalid("accuracy", _("The accuracy must be between 0 and 100,000 metres."))
    if not photo and lat is None:
        raise _invalid("photo", _("Add a photo or the position (or both)."))
    if photo:
        check_photo(photo, stem=f"stop-{task.pk}")
    proof = StopProof.objects.create(
        task=task,
        driver=driver_for(actor) if actor.is_driver else None,
        recorded_by=actor.user,
        photo=photo or "",
        latitude=lat,
        longitude=lng,
        accuracy_m=metres,
    )
    facts = {
        "proof_id": proof.pk,
        "task_id": task.pk,
        "with_photo": bool(photo),
        "latitude": str(lat) if lat is not None else None,
        "longitude": str(lng) if lng is not None else None,
        "accuracy_m": metres,
    }
    event_record(
        actor=actor,
        kind="pickup_task.proof_added",
        subject=task,
        payload=facts,
        owner=task.warehouse.merchant,
        counterparty=task.carrier.organisation,
    )
    # And on the history of every parcel of the stop: one statement for all of them.
    event_record_bulk(
        actor=actor,
        kind="waybill.proof_of_pickup",
        subjects=Waybill.objects.filter(task_link__task=task),
        payload=facts,
        owner_field="merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=proof.created_at,
    )
    return proof


def _rebook_next_slot(actor: Actor, task: PickupTask, moment) -> PickupSlot | None:
    """Move the stop's booked, uncollected parcels to the next window with room for all of them.

    Without one their booking is dropped and they go on the next day's round.
    One UPDATE moves them all, and their histories get one set-based event.
    """
    booked = Waybill.objects.filter(
        task_link__task=task, status=WaybillStatus.ISSUED, pickup_window__isnull=False
    ).values_list("pk", flat=True)
    ids = list(booked)
    if not ids:
        return None
    area = task.warehouse.division_id
    # The window rows are the booking locks: lock the area's windows, then count their bookings.
    list(PickupWindow.objects.select_for_update().filter(division_id__in=[area, *ancestor_codes(area)]).values("pk"))
    slots = pickup_slots(division_code=area, first_day=task.date + timedelta(days=1), days=7, at=moment)
    slot = next((s for s in slots if s.remaining >= len(ids)), None)
    moved = Waybill.objects.filter(pk__in=ids)
    moved.update(pickup_window_id=slot.window_id if slot else None, pickup_date=slot.date if slot else None)
    event_record_bulk(
        actor=actor,
        kind="waybill.pickup_slot_booked" if slot else "waybill.pickup_slot_cancelled",
        subjects=moved,
        payload={
            "reason": "pickup_failed",
            "task_id": task.pk,
            "window_id": slot.window_id if slot else None,
            "date": slot.date.isoformat() if slot else None,
            "from": slot.starts.isoformat() if slot else None,
        },
        owner_field="merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    return slot


@transaction.atomic
def pickup_fail(*, actor: Actor, task_id: int, reason: str, note: str = "") -> PickupFailure:
    """The pickup at a stop did not happen: why, and its parcels wait for the next day's task.

    Each uncollected parcel counts one more failed attempt (one UPDATE for the
    stop); one past FIRSTMILE_PICKUP_FAILURE_LIMIT is flagged for the merchant
    and the platform.
    """
    task = _open_task_for(actor, task_id)
    if reason not in FailureReason.values:
        raise _invalid("reason", _("Choose why the pickup failed."))
    note = (note or "").strip()
    if len(note) > 200:
        raise _invalid("note", _("The note is longer than 200 characters."))
    if reason == FailureReason.OTHER and not note:
        raise _invalid("note", _('Say what happened when the reason is "other".'))
    before = task.status
    moment = now()
    task.status = TaskStatus.FAILED
    task.closed_at = moment
    task.save(update_fields=["status", "closed_at", "updated_at"])
    waiting = TaskParcel.objects.filter(task=task, waybill__status=WaybillStatus.ISSUED)
    left = waiting.update(failed_attempts=F("failed_attempts") + 1)
    limit = settings.FIRSTMILE_PICKUP_FAILURE_LIMIT
    flagged = waiting.filter(failed_attempts__gte=limit).count()
    # Each parcel's own status and event, two statements for the stop whatever its size.
    missed = list(waiting.values_list("waybill_id", flat=True))
    over = waiting.filter(failed_attempts__gte=limit).values("waybill_id")
    # Only a changed status moves its "since".
    Waybill.objects.filter(pk__in=over).exclude(tracking_status=TrackingStatus.EXCEPTION).update(
        tracking_status=TrackingStatus.EXCEPTION, tracking_since=moment
    )
    Waybill.objects.filter(pk__in_array=missed).exclude(
        tracking_status__in=[TrackingStatus.EXCEPTION, TrackingStatus.PICKUP_FAILED]
    ).update(tracking_status=TrackingStatus.PICKUP_FAILED, tracking_since=moment)
    retry = _rebook_next_slot(actor, task, moment)
    failure = PickupFailure.objects.create(
        task=task,
        carrier_id=task.carrier_id,
        warehouse_id=task.warehouse_id,
        reason=reason,
        note=note,
        driver=driver_for(actor) if actor.is_driver else None,
        recorded_by=actor.user,
        parcels_left=left,
        retry_on=retry.date if retry else task.date + timedelta(days=1),
    )
    event_record(
        actor=actor,
        kind="pickup_task.failed",
        subject=task,
        from_state=before,
        to_state=TaskStatus.FAILED,
        payload={
            "reason": reason,
            "note": note,
            "left": left,
            "flagged": flagged,
            "retry_on": str(failure.retry_on),
            "retry_window": {"window_id": retry.window_id, "from": retry.starts.isoformat()} if retry else None,
        },
        owner=task.warehouse.merchant,
        counterparty=task.carrier.organisation,
    )
    if missed:
        event_record_bulk(
            actor=actor,
            kind="waybill.pickup_failed",
            model=Waybill,
            subject_ids=missed,
            payload={"reason": reason, "task_id": task.pk, "retry_on": str(failure.retry_on)},
            owner_field="merchant_id",
            counterparty_field="carrier__organisation_id",
            occurred_at=moment,
        )
    return failure


@transaction.atomic
def task_close(*, actor: Actor, task_id: int) -> PickupTask:
    """Close a stop; parcels not collected roll over to the next day's task."""
    task = _open_task_for(actor, task_id)
    before = task.status
    task.status = TaskStatus.CLOSED
    task.closed_at = now()
    task.save(update_fields=["status", "closed_at", "updated_at"])
    left = task.parcels.filter(waybill__status=WaybillStatus.ISSUED).count()
    event_record(
        actor=actor,
        kind="pickup_task.closed",
        subject=task,
        from_state=before,
        to_state=TaskStatus.CLOSED,
        payload={"collected": task.parcels.filter(waybill__status__in=["collected", "received"]).count(), "left": left},
        owner=task.warehouse.merchant,
        counterparty=task.carrier.organisation,
    )
    return task


# -- at the sorting centre ------------------------------------------------------------------


@transaction.atomic
def scan_inbound(*, actor: Actor, sorting_centre_code: str, waybill_no: str) -> Waybill:
    """Inbound scan at the sorting centre: the first mile ends here."""
    carrier = carrier_for(actor, Operation.INBOUND_SCAN)
    centre = SortingCentre.objects.filter(code=sorting_centre_code, carrier=carrier, is_active=True).first()
    if centre is None:
        raise NotFound(
            error_codes.SORTING_CENTRE_NOT_FOUND, _("No such sorting centre of yours."), field="sorting_centre"
        )
    waybill = _find_waybill(waybill_no)
    if waybill.status not in waybill_sources_of(WaybillStatus.RECEIVED):
        raise Conflict(
            error_codes.WAYBILL_ALREADY_SCANNED,
            _("Waybill %(no)s was already received at a sorting centre.") % {"no": waybill.waybill_no},
            field="waybill_no",
        )
    _refuse_bundled(waybill)
    if waybill.status == WaybillStatus.COLLECTED:
        collector = Scan.objects.filter(waybill=waybill, kind=ScanKind.PICKUP).order_by("-pk").first()
        if collector is not None and collector.carrier_id != carrier.pk:
            raise Conflict(
                error_codes.WAYBILL_OTHER_CARRIER,
                _("Waybill %(no)s was collected by %(carrier)s: it belongs at their sorting centre.")
                % {"no": waybill.waybill_no, "carrier": collector.carrier.display_name},
                field="waybill_no",
            )
    elif waybill.carrier_id != carrier.pk:
        # A parcel the merchant brings in: accepted by the carrier now serving its area.
        serving = serving_carrier_ids({waybill.sender_division_id}, now())[waybill.sender_division_id]
        if serving != carrier.pk:
            raise Conflict(
                error_codes.WAYBILL_OTHER_CARRIER,
                _("Waybill %(no)s is addressed to %(carrier)s's sorting centre.")
                % {"no": waybill.waybill_no, "carrier": waybill.carrier.display_name},
                field="waybill_no",
            )
    before = waybill.status
    moment = now()
    waybill.status = WaybillStatus.RECEIVED
    waybill.received_at = moment
    # Received straight from a printed label: nobody collected it, the merchant brought it in.
    dropped = before == WaybillStatus.ISSUED
    waybill.tracking_status = TrackingStatus.DROP_OFF_RECEIVED if dropped else TrackingStatus.RECEIVED
    waybill.tracking_since = moment
    waybill.save(update_fields=["status", "received_at", "tracking_status", "tracking_since", "updated_at"])
    Scan.objects.create(
        waybill=waybill, kind=ScanKind.INBOUND, carrier=carrier, sorting_centre=centre, scanned_by=actor.user
    )
    if before == WaybillStatus.ISSUED:
        # The merchant brought it to the counter: on that day's counter list for the merchant.
        _handover_add(
            waybill,
            kind=HandoverKind.DROP_OFF,
            date=beijing_today(),
            carrier_id=carrier.pk,
            merchant_id=waybill.merchant_id,
            sorting_centre=centre,
        )
    event_record(
        actor=actor,
        kind="waybill.received",
        subject=waybill,
        from_state=before,
        to_state=WaybillStatus.RECEIVED,
        payload={"waybill_no": waybill.waybill_no, "sorting_centre": centre.code},
        owner=waybill.merchant,
        counterparty=carrier.organisation,
    )
    return waybill


# -- handover lists (交接单) -----------------------------------------------------------------

SIGNATURE_MAX_BYTES = 512 * 1024
WEIGHT_MAX_KG = Decimal(100_000)


def _handover_add(waybill: Waybill, **place) -> HandoverList:
    """Put a scanned parcel on the open handover list of its stop (or counter), opening one if needed."""
    handover = _open_handover(**place)
    HandoverLine.objects.create(handover=handover, waybill=waybill)
    HandoverList.objects.filter(pk=handover.pk).update(parcel_count=F("parcel_count") + 1, updated_at=now())
    return handover


def _open_handover(
    *,
    kind: str,
    date: date,
    carrier_id: int,
    merchant_id: int,
    task: PickupTask | None = None,
    warehouse_id: int | None = None,
    driver: Driver | None = None,
    sorting_centre: SortingCentre | None = None,
) -> HandoverList:
    """The open handover list of a stop (or of a merchant's day at a counter), locked; opened if there is none."""
    if kind == HandoverKind.PICKUP:
        place = {"task": task}
    else:
        place = {"kind": kind, "sorting_centre": sorting_centre, "merchant_id": merchant_id, "date": date}
    handover = HandoverList.objects.select_for_update().filter(status=HandoverStatus.OPEN, **place).first()
    if handover is None:
        # A parcel scanned at a stop after its list was signed goes on a new list amending it.
        amends = (
            HandoverList.objects.filter(task=task, status=HandoverStatus.CONFIRMED).order_by("-pk").first()
            if task is not None
            else None
        )
        try:
            with transaction.atomic():
                handover = HandoverList.objects.create(
                    kind=kind,
                    date=date,
                    carrier_id=carrier_id,
                    merchant_id=merchant_id,
                    task=task,
                    warehouse_id=warehouse_id,
                    driver=driver,
                    sorting_centre=sorting_centre,
                    amends=amends,
                )
        except IntegrityError:
            # Another scan at the same place opened it a moment ago (the open-list constraint).
            handover = HandoverList.objects.select_for_update().get(status=HandoverStatus.OPEN, **place)
        else:
            handover.number = f"HO{handover.pk:010d}"
            handover.save(update_fields=["number"])
    return handover


def _handover_to_confirm(actor: Actor, handover_id: int) -> HandoverList:
    """The list a driver (their own stop's) or the carrier's staff may confirm, locked."""
    lists = HandoverList.objects.select_for_update(of=("self",)).select_related(
        "carrier__organisation", "merchant", "warehouse", "sorting_centre"
    )
    if actor.is_driver:
        lists = lists.filter(kind=HandoverKind.PICKUP, task__shift__driver=driver_for(actor))
    else:
        lists = lists.filter(carrier=carrier_for(actor, Operation.INBOUND_SCAN))
    handover = lists.filter(pk=handover_id).first()
    if handover is None:
        raise NotFound(error_codes.HANDOVER_NOT_FOUND, _("No such handover list."), field="handover_id")
    if handover.kind == HandoverKind.PICKUP and not actor.is_driver:
        require(actor, Operation.DISPATCH_MANAGE)
    return handover


def _ink_box(image) -> tuple[int, int, int, int] | None:
    """The box around the dark strokes, whether drawn on a transparent or a white canvas."""
    from PIL import Image

    flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
    flat.alpha_composite(image.convert("RGBA"))
    return flat.convert("L").point(lambda v: 255 if v < 160 else 0).getbbox()


def signature_png(data: str, *, stem: str) -> ContentFile:
    """A signature drawn on a screen, as a PNG data URL or base64: checked, and not blank."""
    from PIL import Image, UnidentifiedImageError

    raw = (data or "").strip()
    if raw[:5].lower() == "data:":
        head, _comma, raw = raw.partition(",")
        if head.lower().replace(" ", "") != "data:image/png;base64":
            raise _invalid("signature", _("The signature must be a PNG image."))
    if not raw:
        raise _invalid("signature", _("The contact's signature is missing: ask them to sign on the screen."))
    if len(raw) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise _invalid("signature", _("The signature image is larger than 512 KB."))
    try:
        png = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("signature", _("The signature must be a PNG image.")) from None
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or image.width > 4000 or image.height > 2000:
                raise ValueError("not a signature-sized PNG")
            image.load()
            ink = _ink_box(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _invalid("signature", _("The signature must be a PNG image.")) from None
    if ink is None or max(ink[2] - ink[0], ink[3] - ink[1]) < 20:
        raise _invalid("signature", _("The signature is blank: ask the contact to sign on the screen."))
    return ContentFile(png, name=f"{stem}.png")


def _weight(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        weight = Decimal(str(value).strip())
    except InvalidOperation:
        weight = None
    if weight is None or not weight.is_finite() or not 0 < weight <= WEIGHT_MAX_KG:
        raise _invalid("weight_kg", _("The weight must be a number of kilograms between 0 and 100,000."))
    return weight.quantize(Decimal("0.01"))


@transaction.atomic
def handover_confirm(
    *, actor: Actor, handover_id: int, signer_name: str, signature: str, weight_kg=None
) -> HandoverList:
    """The merchant's contact signs the handover list on the driver's (or the counter's) screen.

    The parcels of the stop that were not scanned are written down as missing in
    one statement, and the list is never changed again.
    """
    handover = _handover_to_confirm(actor, handover_id)
    if handover.status != HandoverStatus.OPEN:
        raise Conflict(
            error_codes.HANDOVER_CONFIRMED,
            _("Handover list %(no)s is already confirmed: scan further parcels onto a new list.")
            % {"no": handover.number},
        )
    name = (signer_name or "").strip()
    if not name:
        raise _invalid("signer_name", _("Enter the name of the person who signs."))
    if len(name) > 50:
        raise _invalid("signer_name", _("The name is longer than 50 characters."))
    weight = _weight(weight_kg)
    drawn = signature_png(signature, stem=handover.number)
    missing: list[str] = []
    if handover.task_id is not None:
        waiting = Waybill.objects.filter(task_link__task_id=handover.task_id, status=WaybillStatus.ISSUED)
        rows = list(waiting.order_by("waybill_no").values_list("pk", "waybill_no"))
        HandoverLine.objects.bulk_create(
            [HandoverLine(handover=handover, waybill_id=pk, missing=True) for pk, _no in rows]
        )
        missing = [no for _pk, no in rows]
    handover.status = HandoverStatus.CONFIRMED
    handover.missing_count = len(missing)
    handover.weight_kg = weight
    handover.signer_name = name
    handover.signature = drawn
    handover.confirmed_at = now()
    handover.confirmed_by = actor.user
    handover.save()
    signed = list(
        Waybill.objects.filter(
            pk__in=HandoverLine.objects.filter(handover=handover, missing=False).values("waybill_id"),
            tracking_status=TrackingStatus.COLLECTED,
        ).values_list("pk", flat=True)
    )
    if signed:
        Waybill.objects.filter(pk__in_array=signed).update(
            tracking_status=TrackingStatus.HANDED_OVER, tracking_since=handover.confirmed_at
        )
        event_record_bulk(
            actor=actor,
            kind="waybill.handed_over",
            model=Waybill,
            subject_ids=signed,
            from_state=TrackingStatus.COLLECTED,
            to_state=TrackingStatus.HANDED_OVER,
            payload={"handover": handover.number},
            owner_field="merchant_id",
            counterparty_field="carrier__organisation_id",
            occurred_at=handover.confirmed_at,
        )
    event_record(
        actor=actor,
        kind="handover.confirmed",
        subject=handover,
        from_state=HandoverStatus.OPEN,
        to_state=HandoverStatus.CONFIRMED,
        payload={
            "number": handover.number,
            "kind": handover.kind,
            "parcels": handover.parcel_count,
            "missing": missing[:200],
            "missing_count": len(missing),
            "weight_kg": str(weight) if weight is not None else None,
            "signed_by": name,
            "amends": handover.amends.number if handover.amends_id else None,
        },
        owner=handover.merchant,
        counterparty=handover.carrier.organisation,
    )
    return handover


# -- bundles (集包): scanning a bundle is scanning every parcel in it ------------------------------


@dataclass
class BundleScan:
    """What a bundle scan did: the bundle, the parcels it moved, and those it left out (voided ones)."""

    bundle: Bundle
    parcels: int
    skipped: list[str]


def _refuse_bundled(waybill: Waybill) -> None:
    """A parcel in a bundle not yet received is handed over and scanned in with its bundle, not on its own."""
    bundle = bundle_of_waybill(waybill.pk)
    if bundle is not None and bundle.status in (BundleStatus.OPEN, BundleStatus.CLOSED, BundleStatus.COLLECTED):
        raise Conflict(
            error_codes.WAYBILL_IN_BUNDLE,
            _("Waybill %(no)s is in bundle %(bundle)s: scan the bundle's label instead.")
            % {"no": waybill.waybill_no, "bundle": bundle.number},
            field="waybill_no",
        )


def _locked_bundle_by_number(raw: str, *, express: bool = False) -> Bundle:
    number = (raw or "").strip().upper()[:40]
    bundles = Bundle.objects.select_for_update(of=("self",)).select_related("warehouse", "merchant", "carrier")
    bundle = bundles.filter(number=number).first() if number else None
    if bundle is None and express and number:
        # A DROP OFF bundle sent by an express company arrives under that company's number.
        bundle = bundles.filter(express_tracking_no=number).exclude(status=BundleStatus.CANCELLED).first()
    if bundle is None:
        raise NotFound(
            error_codes.BUNDLE_UNKNOWN, _("Unknown bundle number: %(no)s.") % {"no": number or "—"}, field="waybill_no"
        )
    return bundle


def _bundle_not_ready(bundle: Bundle, target: str) -> Conflict:
    if bundle.status == BundleStatus.OPEN:
        message = _("Bundle %(no)s is still open: the merchant closes and weighs it before it is handed over.")
    elif bundle.status == BundleStatus.CANCELLED:
        message = _("Bundle %(no)s was cancelled by the merchant: scan its parcels one by one.")
    elif target == BundleStatus.COLLECTED:
        message = _("Bundle %(no)s was already collected.")
    else:
        message = _("Bundle %(no)s was already received at a sorting centre.")
    return Conflict(error_codes.BUNDLE_NOT_READY, message % {"no": bundle.number}, field="waybill_no")


def _live(bundle: Bundle) -> IdArray:
    """The ids of the parcels in the bundle now, read once for every statement of a scan.

    Each statement then finds its rows by primary key (``= ANY(array)``): planned as a
    join with the bundle's lines, PostgreSQL's estimates went stale after the pickup
    scan moved ten thousand rows, and it chose a nested loop that took seconds.
    """
    return IdArray(
        BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True)
        .order_by("waybill_id")
        .values_list("waybill_id", flat=True)
    )


def _release_voided(bundle: Bundle, moment, live: IdArray) -> tuple[list[str], IdArray]:
    """Take the parcels voided since they were bound out of the bundle: nobody carries a voided label."""
    voided = dict(Waybill.objects.filter(pk__in_ids=live, status=WaybillStatus.VOIDED).values_list("pk", "waybill_no"))
    if not voided:
        return [], live
    BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True, waybill_id__in=list(voided)).update(
        removed_at=moment
    )
    bundle.parcel_count -= len(voided)
    return sorted(voided.values()), IdArray(pk for pk in live if pk not in voided)


def _with_counterparty(waybills, carrier: Carrier):
    """The parcels with the carrier that scanned them as their events' counterparty (not always the label's)."""
    return waybills.annotate(ev_carrier=Value(carrier.organisation_id, output_field=BigIntegerField()))


def _insert_scans(bundle: Bundle, *, kind: str, moment, carrier_id: int, scanned_by_id, **where) -> None:
    """A scan row for every parcel now in the bundle, in one INSERT … SELECT."""
    connection = transaction.get_connection()
    stamp = connection.ops.adapt_datetimefield_value(moment)
    columns = (
        "created_at, updated_at, waybill_id, kind, carrier_id, task_id, driver_id, sorting_centre_id, scanned_by_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Scan._meta.db_table} ({columns}) "
            f"SELECT %s, %s, waybill_id, %s, %s, %s, %s, %s, %s FROM {BundleParcel._meta.db_table} "
            "WHERE bundle_id = %s AND removed_at IS NULL",
            [
                stamp,
                stamp,
                kind,
                carrier_id,
                where.get("task_id"),
                where.get("driver_id"),
                where.get("sorting_centre_id"),
                scanned_by_id,
                bundle.pk,
            ],
        )


def _insert_handover_lines(bundle: Bundle, handover: HandoverList, moment) -> None:
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {HandoverLine._meta.db_table} (handover_id, waybill_id, missing, added_at, bundle_id) "
            f"SELECT %s, waybill_id, %s, %s, bundle_id FROM {BundleParcel._meta.db_table} "
            "WHERE bundle_id = %s AND removed_at IS NULL",
            [handover.pk, False, connection.ops.adapt_datetimefield_value(moment), bundle.pk],
        )
    HandoverList.objects.filter(pk=handover.pk).update(
        parcel_count=F("parcel_count") + bundle.parcel_count, updated_at=moment
    )


@transaction.atomic
def scan_pickup_bundle(*, actor: Actor, bundle_no: str, task_id: int | None = None) -> BundleScan:
    """The driver scans a bundle's label at the warehouse: every parcel in it is collected at once.

    Whoever serves the warehouse's area today collects it, as with single labels: the
    stop it goes with is the driver's carrier's stop at that warehouse today.
    """
    driver = driver_for(actor)
    stop = _driver_task(driver, task_id) if task_id is not None else None
    bundle = _locked_bundle_by_number(bundle_no)
    if bundle.status not in bundle_sources_of(BundleStatus.COLLECTED):
        raise _bundle_not_ready(bundle, BundleStatus.COLLECTED)
    if stop is not None:
        if stop.status in (TaskStatus.CLOSED, TaskStatus.FAILED):
            raise Conflict(error_codes.TASK_CLOSED, _("This stop is already closed."), field="task_id")
        if bundle.warehouse_id != stop.warehouse_id:
            raise Conflict(
                error_codes.WAYBILL_OTHER_WAREHOUSE,
                _("Bundle %(no)s belongs to another warehouse, not to this stop (%(warehouse)s).")
                % {"no": bundle.number, "warehouse": stop.warehouse.name},
                field="waybill_no",
            )
    today = beijing_today()
    task = (
        stop or PickupTask.objects.filter(warehouse_id=bundle.warehouse_id, date=today, carrier=driver.carrier).first()
    )
    if task is None:
        other = (
            PickupTask.objects.select_related("carrier")
            .filter(warehouse_id=bundle.warehouse_id, date=today)
            .exclude(carrier=driver.carrier)
            .first()
        )
        if other is not None:
            raise Conflict(
                error_codes.WAYBILL_OTHER_CARRIER,
                _("Bundle %(no)s is in %(carrier)s's pickup today, not yours.")
                % {"no": bundle.number, "carrier": other.carrier.display_name},
                field="waybill_no",
            )
        raise Conflict(
            error_codes.WAYBILL_NOT_IN_STOPS,
            _("Bundle %(no)s is not in any of today's stops of %(carrier)s.")
            % {"no": bundle.number, "carrier": driver.carrier.display_name},
            field="waybill_no",
        )
    moment = now()
    skipped, live = _release_voided(bundle, moment, _live(bundle))
    carrier = driver.carrier
    collected = Waybill.objects.filter(pk__in_ids=live, status=WaybillStatus.ISSUED).update(
        status=WaybillStatus.COLLECTED,
        collected_at=moment,
        inbound_by=moment + timedelta(hours=carrier.inbound_hours),
        tracking_status=TrackingStatus.COLLECTED,
        tracking_since=moment,
        updated_at=moment,
    )
    # The parcels' stop is this one: moved from another day's or carrier's, or linked for the first time.
    TaskParcel.objects.filter(waybill__pk__in_ids=live).exclude(task=task).update(task=task)
    linked = set(TaskParcel.objects.filter(waybill__pk__in_ids=live).values_list("waybill_id", flat=True))
    unlinked = [pk for pk in live if pk not in linked]
    if unlinked:
        bulk_insert(
            TaskParcel,
            new_instances(
                TaskParcel, [{"waybill_id": pk, "task_id": task.pk, "first_task_date": today} for pk in unlinked]
            ),
        )
    _insert_scans(
        bundle,
        kind=ScanKind.PICKUP,
        moment=moment,
        carrier_id=carrier.pk,
        scanned_by_id=actor.user.pk if actor.user else None,
        task_id=task.pk,
        driver_id=driver.pk,
    )
    handover = _open_handover(
        kind=HandoverKind.PICKUP,
        date=task.date,
        carrier_id=task.carrier_id,
        merchant_id=bundle.merchant_id,
        task=task,
        warehouse_id=task.warehouse_id,
        driver=driver,
    )
    _insert_handover_lines(bundle, handover, moment)
    event_record_bulk(
        actor=actor,
        kind="waybill.collected",
        subjects=_with_counterparty(Waybill.objects.filter(pk__in_ids=live), carrier),
        from_state=WaybillStatus.ISSUED,
        to_state=WaybillStatus.COLLECTED,
        payload={"bundle": bundle.number, "driver": driver.name, "carrier": carrier.code},
        owner_field="merchant_id",
        counterparty_field="ev_carrier",
        occurred_at=moment,
    )
    bundle.status = BundleStatus.COLLECTED
    bundle.collected_at = moment
    bundle.collected_by = carrier
    bundle.save(update_fields=["status", "collected_at", "collected_by", "parcel_count", "updated_at"])
    event_record(
        actor=actor,
        kind="bundle.collected",
        subject=bundle,
        from_state=BundleStatus.CLOSED,
        to_state=BundleStatus.COLLECTED,
        payload={
            "number": bundle.number,
            "parcels": collected,
            "voided_left_out": skipped[:200],
            "driver": driver.name,
            "carrier": carrier.code,
            "handover": handover.number,
        },
        owner=bundle.merchant,
        counterparty=carrier.organisation,
    )
    return BundleScan(bundle=bundle, parcels=collected, skipped=skipped)


@transaction.atomic
def scan_inbound_bundle(*, actor: Actor, sorting_centre_code: str, bundle_no: str) -> BundleScan:
    """The sorting centre scans a bundle in (by its number, or a DROP OFF's express tracking number):
    every parcel in it is received at once."""
    carrier = carrier_for(actor, Operation.INBOUND_SCAN)
    centre = SortingCentre.objects.filter(code=sorting_centre_code, carrier=carrier, is_active=True).first()
    if centre is None:
        raise NotFound(
            error_codes.SORTING_CENTRE_NOT_FOUND, _("No such sorting centre of yours."), field="sorting_centre"
        )
    bundle = _locked_bundle_by_number(bundle_no, express=True)
    if bundle.status not in bundle_sources_of(BundleStatus.RECEIVED):
        raise _bundle_not_ready(bundle, BundleStatus.RECEIVED)
    if bundle.status == BundleStatus.COLLECTED and bundle.collected_by_id != carrier.pk:
        raise Conflict(
            error_codes.WAYBILL_OTHER_CARRIER,
            _("Bundle %(no)s was collected by %(carrier)s: it belongs at their sorting centre.")
            % {"no": bundle.number, "carrier": bundle.collected_by.display_name},
            field="waybill_no",
        )
    if bundle.status == BundleStatus.CLOSED and bundle.carrier_id != carrier.pk:
        # Brought or sent in by the merchant: accepted by the carrier now serving its area.
        division = bundle.warehouse.division_id
        if serving_carrier_ids({division}, now())[division] != carrier.pk:
            raise Conflict(
                error_codes.WAYBILL_OTHER_CARRIER,
                _("Bundle %(no)s is addressed to %(carrier)s's sorting centre.")
                % {"no": bundle.number, "carrier": bundle.carrier.display_name},
                field="waybill_no",
            )
    before, moment = bundle.status, now()
    skipped, live = _release_voided(bundle, moment, _live(bundle))
    dropped = before == BundleStatus.CLOSED
    source = WaybillStatus.ISSUED if dropped else WaybillStatus.COLLECTED
    received = Waybill.objects.filter(pk__in_ids=live, status=source).update(
        status=WaybillStatus.RECEIVED,
        received_at=moment,
        tracking_status=TrackingStatus.DROP_OFF_RECEIVED if dropped else TrackingStatus.RECEIVED,
        tracking_since=moment,
        updated_at=moment,
    )
    _insert_scans(
        bundle,
        kind=ScanKind.INBOUND,
        moment=moment,
        carrier_id=carrier.pk,
        scanned_by_id=actor.user.pk if actor.user else None,
        sorting_centre_id=centre.pk,
    )
    handover = None
    if dropped:
        handover = _open_handover(
            kind=HandoverKind.DROP_OFF,
            date=beijing_today(),
            carrier_id=carrier.pk,
            merchant_id=bundle.merchant_id,
            sorting_centre=centre,
        )
        _insert_handover_lines(bundle, handover, moment)
    event_record_bulk(
        actor=actor,
        kind="waybill.received",
        subjects=_with_counterparty(Waybill.objects.filter(pk__in_ids=live), carrier),
        from_state=source,
        to_state=WaybillStatus.RECEIVED,
        payload={"bundle": bundle.number, "sorting_centre": centre.code},
        owner_field="merchant_id",
        counterparty_field="ev_carrier",
        occurred_at=moment,
    )
    bundle.status = BundleStatus.RECEIVED
    bundle.received_at = moment
    bundle.received_at_centre = centre
    if dropped:
        bundle.collected_by = carrier
    bundle.save(
        update_fields=["status", "received_at", "received_at_centre", "collected_by", "parcel_count", "updated_at"]
    )
    event_record(
        actor=actor,
        kind="bundle.received",
        subject=bundle,
        from_state=before,
        to_state=BundleStatus.RECEIVED,
        payload={
            "number": bundle.number,
            "parcels": received,
            "voided_left_out": skipped[:200],
            "sorting_centre": centre.code,
            "handover": handover.number if handover else None,
        },
        owner=bundle.merchant,
        counterparty=carrier.organisation,
    )
    return BundleScan(bundle=bundle, parcels=received, skipped=skipped)


def _bundle_to_check(actor: Actor, bundle_id: int) -> Bundle:
    carrier = carrier_for(actor, Operation.INBOUND_SCAN)
    bundle = (
        Bundle.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .filter(pk=bundle_id, status=BundleStatus.RECEIVED, collected_by=carrier)
        .first()
    )
    if bundle is None:
        raise NotFound(error_codes.BUNDLE_NOT_FOUND, _("No such bundle at your sorting centres."), field="bundle_id")
    if bundle.checked_at is not None:
        raise Conflict(
            error_codes.BUNDLE_NOT_READY,
            _("Bundle %(no)s was already checked.") % {"no": bundle.number},
            field="bundle_id",
        )
    return bundle


@transaction.atomic
def bundle_check_scan(*, actor: Actor, bundle_id: int, waybill_no: str) -> BundleParcel:
    """At the sorting centre, a parcel taken out of an opened bundle is scanned against its manifest."""
    bundle = _bundle_to_check(actor, bundle_id)
    number = (waybill_no or "").strip().upper()[:40]
    line = (
        BundleParcel.objects.select_related("waybill")
        .filter(bundle=bundle, removed_at__isnull=True, waybill__waybill_no=number)
        .first()
    )
    if line is None:
        raise NotFound(
            error_codes.WAYBILL_NOT_IN_BUNDLE,
            _("Waybill %(no)s is not on bundle %(bundle)s's manifest: set it aside.")
            % {"no": number or "—", "bundle": bundle.number},
            field="waybill_no",
        )
    if line.checked_at is None:
        line.checked_at = now()
        line.save(update_fields=["checked_at"])
    return line


@transaction.atomic
def bundle_check_finish(*, actor: Actor, bundle_id: int) -> Bundle:
    """End the check of an opened bundle: the parcels not scanned out of it are written down as missing,
    each reported to the merchant and the carrier."""
    bundle = _bundle_to_check(actor, bundle_id)
    moment = now()
    unchecked = BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True, checked_at__isnull=True)
    missing_ids = IdArray(unchecked.order_by("waybill_id").values_list("waybill_id", flat=True))
    unchecked.update(missing=True, checked_at=moment)
    missing_nos: list[str] = []
    if missing_ids:
        missing = Waybill.objects.filter(pk__in_ids=missing_ids)
        missing_nos = sorted(missing.values_list("waybill_no", flat=True))
        missing.update(tracking_status=TrackingStatus.EXCEPTION, tracking_since=moment, updated_at=moment)
        event_record_bulk(
            actor=actor,
            kind="waybill.missing_from_bundle",
            subjects=_with_counterparty(Waybill.objects.filter(pk__in_ids=missing_ids), bundle.collected_by),
            to_state=TrackingStatus.EXCEPTION,
            payload={"bundle": bundle.number},
            owner_field="merchant_id",
            counterparty_field="ev_carrier",
            occurred_at=moment,
        )
    bundle.checked_at = moment
    bundle.missing_count = len(missing_ids)
    bundle.save(update_fields=["checked_at", "missing_count", "updated_at"])
    event_record(
        actor=actor,
        kind="bundle.checked",
        subject=bundle,
        payload={
            "number": bundle.number,
            "parcels": bundle.parcel_count,
            "missing": missing_nos[:200],
            "missing_count": len(missing_ids),
        },
        owner=bundle.merchant,
        counterparty=bundle.collected_by.organisation,
    )
    return bundle


def scan_pickup_any(*, actor: Actor, number: str, task_id: int | None = None) -> Waybill | BundleScan:
    """The driver's scan bar: a waybill's label, or a bundle's (every parcel in it)."""
    if is_bundle_number(number):
        return scan_pickup_bundle(actor=actor, bundle_no=number, task_id=task_id)
    return scan_pickup(actor=actor, waybill_no=number, task_id=task_id)


def scan_inbound_any(*, actor: Actor, sorting_centre_code: str, number: str) -> Waybill | BundleScan:
    """The sorting centre's scan bar: a waybill, a bundle, or a DROP OFF bundle's express tracking number."""
    cleaned = (number or "").strip().upper()
    if is_bundle_number(cleaned):
        return scan_inbound_bundle(actor=actor, sorting_centre_code=sorting_centre_code, bundle_no=cleaned)
    try:
        return scan_inbound(actor=actor, sorting_centre_code=sorting_centre_code, waybill_no=cleaned)
    except NotFound as unknown:
        if unknown.code != error_codes.WAYBILL_UNKNOWN or not cleaned:
            raise
        # Not one of our waybills: perhaps the express company's number on a bundle sent in.
        try:
            return scan_inbound_bundle(actor=actor, sorting_centre_code=sorting_centre_code, bundle_no=cleaned)
        except NotFound as err:
            if err.code == error_codes.BUNDLE_UNKNOWN:
                raise unknown from None
            raise
