"""Orders, arranging shipment (安排发货) and waybills (seed 000, questions 5, 8, 9, 14).

A waybill is issued by the carrier serving the warehouse's area at that instant;
it is PICK UP when the warehouse has an active subscription with that carrier,
DROP OFF otherwise, and goes to that carrier's sorting centre. Those facts and
the subscription state behind them are frozen on the waybill.
"""

from __future__ import annotations

from datetime import date as date_type
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import PickupWindow, SortingCentre
from firstmile.carriers.selectors import active_sorting_centres, coverage_serving
from firstmile.core import error_codes as core_codes
from firstmile.core.bulk import bulk_insert, new_instances, update_by_ids
from firstmile.core.clock import BEIJING, now
from firstmile.core.errors import ApplicationError, Conflict, NotFound
from firstmile.core.prepared import prepared
from firstmile.events.services import event_record, event_record_bulk
from firstmile.geo.selectors import ancestor_codes, division_full_name
from firstmile.pickup.models import Warehouse
from firstmile.pickup.selectors import pickup_states, warehouses_with_pickup_facts

from . import error_codes
from .models import (
    HandoverMethod,
    Order,
    OrderStatus,
    ShipByExtension,
    TrackingStatus,
    Waybill,
    WaybillStatus,
    waybill_sources_of,
)
from .numbers import allocate_numbers
from .selectors import booked_slot, pickup_slots

MAX_BATCH = 1000


def _merchant(actor: Actor) -> None:
    require(actor, Operation.SHIPPING_MANAGE)


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


def extension_for(division_code: str, created_at: datetime) -> ShipByExtension | None:
    """The largest ship-by extension granted to orders created then, from that area."""
    return (
        ShipByExtension.objects.filter(
            division_id__in=[division_code, *ancestor_codes(division_code)],
            created_from__lte=created_at,
            created_to__gt=created_at,
        )
        .order_by("-extra_hours", "id")
        .first()
    )


def ship_by_for(division_code: str, created_at: datetime) -> tuple[datetime, int, int, ShipByExtension | None]:
    """(ship_by, base hours, extension hours, extension) for an order created then."""
    base = settings.FIRSTMILE_BASE_HANDLING_HOURS
    extension = extension_for(division_code, created_at)
    extra = extension.extra_hours if extension else 0
    return created_at + timedelta(hours=base + extra), base, extra, extension


def _warehouse_of(actor: Actor, warehouse_code: str | None) -> Warehouse:
    warehouses = Warehouse.objects.filter(merchant=actor.organisation)
    warehouse = (
        warehouses.filter(code=warehouse_code).first() if warehouse_code else warehouses.filter(is_default=True).first()
    )
    if warehouse is None:
        if warehouse_code:
            raise NotFound(
                error_codes.WAREHOUSE_REQUIRED,
                _("You have no warehouse with code %(code)s.") % {"code": warehouse_code},
                field="warehouse_code",
            )
        raise ApplicationError(
            error_codes.WAREHOUSE_REQUIRED,
            _("Name the shipping warehouse: you have no default warehouse with an address."),
            field="warehouse_code",
        )
    return warehouse


@transaction.atomic
def order_create(
    *,
    actor: Actor,
    order_no: str,
    warehouse_code: str | None = None,
    item_summary: str = "",
    erp_warehouse_code: str = "",
    erp_warehouse_address: str = "",
    placed_at: datetime | None = None,
    ship_by: datetime | None = None,
) -> Order:
    """Record an order; its ship-by deadline is fixed now (from when the buyer placed it) and never moves."""
    _merchant(actor)
    order_no = (order_no or "").strip()
    if not order_no or len(order_no) > 64:
        raise _invalid("order_no", _("Order number is required (at most 64 characters)."))
    warehouse = _warehouse_of(actor, (warehouse_code or "").strip() or None)
    if Order.objects.filter(merchant=actor.organisation, order_no=order_no).exists():
        raise Conflict(error_codes.ORDER_NO_TAKEN, _("You already have an order with this number."), field="order_no")
    created = now()
    placed = _placed_at(placed_at, created)
    computed, base, extra, extension = ship_by_for(warehouse.division_id, placed)
    source = "computed"
    if ship_by is not None:
        # The marketplace already fixed the deadline: it is the one the merchant is measured by.
        ship_by, extra, extension, source = _given_ship_by(ship_by, placed), 0, None, "marketplace"
    else:
        ship_by = computed
    try:
        with transaction.atomic():
            order = Order.objects.create(
                merchant=actor.organisation,
                order_no=order_no,
                warehouse=warehouse,
                item_summary=(item_summary or "").strip()[:200],
                erp_warehouse_code=(erp_warehouse_code or "").strip()[:40],
                erp_warehouse_address=(erp_warehouse_address or "").strip()[:300],
                handling_hours=base,
                extension_hours=extra,
                extension=extension,
                ship_by=ship_by,
                placed_at=placed,
                ship_by_source=source,
            )
    except IntegrityError:  # the same number created concurrently
        raise Conflict(error_codes.ORDER_NO_TAKEN, _("You already have an order with this number."), field="order_no")
    # created_at is set by the database; the deadline counts from our clock's instant.
    Order.objects.filter(pk=order.pk).update(created_at=created)
    order.created_at = created
    event_record(
        actor=actor,
        kind="order.created",
        subject=order,
        to_state=OrderStatus.AWAITING_SHIPMENT,
        payload={
            "order_no": order_no,
            "placed_at": placed.isoformat(),
            "ship_by": ship_by.isoformat(),
            "ship_by_source": source,
            "extension_hours": extra,
        },
        owner=actor.organisation,
    )
    return order


# An ERP's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_ORDER = timedelta(days=90)


def _placed_at(value: datetime | None, received: datetime) -> datetime:
    if value is None:
        return received
    if timezone.is_naive(value):
        raise _invalid(
            "placed_at", _("Give placed_at with its UTC offset, e.g. 2023-09-18T10:00:00+08:00 (Beijing time).")
        )
    if value > received + CLOCK_SKEW:
        raise _invalid("placed_at", _("placed_at lies in the future; send when the buyer placed the order."))
    if value < received - OLDEST_ORDER:
        raise _invalid("placed_at", _("placed_at is more than 90 days ago; such an order cannot be shipped on time."))
    return value


def _given_ship_by(value: datetime, placed: datetime) -> datetime:
    if timezone.is_naive(value):
        raise _invalid("ship_by", _("Give ship_by with its UTC offset, e.g. 2023-09-20T10:00:00+08:00."))
    if value <= placed:
        raise _invalid("ship_by", _("ship_by must come after the time the order was placed."))
    if value > placed + OLDEST_ORDER:
        raise _invalid("ship_by", _("ship_by is more than 90 days after the order was placed."))
    return value


def _sorting_centre_for(carrier, warehouse: Warehouse) -> SortingCentre:
    """The carrier's sorting centre nearest by region: same city, else same province, else its first."""
    centres = active_sorting_centres(carrier_id=carrier.pk)
    if not centres:
        raise Conflict(
            error_codes.NO_SORTING_CENTRE,
            _("%(carrier)s has no sorting centre yet, so it cannot issue waybills.")
            % {"carrier": carrier.display_name},
        )
    code = warehouse.division_id
    for prefix_length in (4, 2):
        for centre in centres:
            if centre.division_id[:prefix_length] == code[:prefix_length]:
                return centre
    return centres[0]


_ISSUED_WITH = ("order", "carrier", "coverage", "sorting_centre", "warehouse", "subscription")


# Prepared (core/prepared.py): compiling this lock for every batch cost more than running it.
@prepared
def _orders_to_ship(merchant_id: int, order_ids: list[int]) -> QuerySet[Order]:
    # Only what issuing reads and the waybills' output shows (order_no): the
    # timestamps and deadlines were most of the rows' decoding.
    return (
        Order.objects.select_for_update()
        .filter(merchant_id=merchant_id, pk__in_array=order_ids)
        .only("id", "merchant_id", "warehouse_id", "order_no", "status")
        .order_by("pk")
    )


@transaction.atomic
def shipment_arrange(*, actor: Actor, order_ids) -> list[Waybill]:
    """安排发货 for one or many orders: issue each a waybill, all or none."""
    _merchant(actor)
    try:
        ids = sorted({int(i) for i in order_ids})
    except (TypeError, ValueError):
        raise _invalid("order_ids", _("Order ids must be whole numbers."))
    if not ids:
        raise _invalid("order_ids", _("Select at least one order."))
    if len(ids) > MAX_BATCH:
        raise ApplicationError(
            error_codes.TOO_MANY_ORDERS, _("At most %(n)s orders at once.") % {"n": MAX_BATCH}, field="order_ids"
        )
    # Only the orders are locked: two calls for one warehouse run side by side,
    # and each waybill carries the warehouse address committed when it is issued.
    orders = _orders_to_ship(merchant_id=actor.organisation.pk, order_ids=ids)
    missing = sorted(set(ids) - {o.pk for o in orders})
    if missing:
        raise NotFound(
            error_codes.ORDER_NOT_FOUND,
            _("No such order: %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))},
            field="order_ids",
        )
    shipped = [o.order_no for o in orders if o.status != OrderStatus.AWAITING_SHIPMENT]
    if shipped:
        raise Conflict(
            error_codes.ORDER_NOT_AWAITING_SHIPMENT,
            _("Already shipped or cancelled: %(orders)s.") % {"orders": ", ".join(shipped[:20])},
            field="order_ids",
            extra={"order_nos": shipped},
        )
    moment = now()
    warehouses = {w.pk: w for w in warehouses_with_pickup_facts(sorted({o.warehouse_id for o in orders}), moment)}
    for order in orders:
        order.warehouse = warehouses[order.warehouse_id]
    states = {s.warehouse.pk: s for s in pickup_states(warehouses.values(), moment)}
    plans = {}
    for warehouse in warehouses.values():
        coverage = coverage_serving(warehouse.division_id, moment)
        if coverage is None:
            raise Conflict(
                error_codes.NO_CARRIER_FOR_AREA,
                _("No pickup carrier serves the area of warehouse %(warehouse)s, so no waybill can be issued there.")
                % {"warehouse": warehouse.name},
                field="order_ids",
            )
        state = states[warehouse.pk]
        subscription = state.subscription
        pickup = state.supports_pickup and subscription.carrier_id == coverage.carrier_id
        plans[warehouse.pk] = {
            "carrier": coverage.carrier,
            "coverage": coverage,
            "centre": _sorting_centre_for(coverage.carrier, warehouse),
            "handover": HandoverMethod.PICKUP if pickup else HandoverMethod.DROP_OFF,
            "subscription": subscription if pickup else None,
            "state": state.kind,
            "subscription_carrier": subscription.carrier.code if subscription else "",
            "address": f"{division_full_name(warehouse.division)}{warehouse.address_detail}",
            "collect_by": coverage.carrier.next_service_close(moment) if pickup else None,
        }
    by_carrier: dict[int, list[Order]] = {}
    for order in orders:
        by_carrier.setdefault(plans[order.warehouse_id]["carrier"].pk, []).append(order)
    # Each waybill is built from ids, its related rows attached after it is written:
    # assigning model instances through the descriptors cost more than the rest of
    # building the batch (bench/waybill_issuing.py).
    columns = {
        warehouse_id: {
            "carrier_id": plan["carrier"].pk,
            "coverage_id": plan["coverage"].pk,
            "handover_method": plan["handover"],
            "sorting_centre_id": plan["centre"].pk,
            "warehouse_id": warehouse_id,
            "warehouse_address_version": warehouses[warehouse_id].address_version,
            "sender_name": f"{warehouses[warehouse_id].name} {warehouses[warehouse_id].code}",
            "sender_contact": warehouses[warehouse_id].contact_name,
            "sender_phone": warehouses[warehouse_id].phone,
            "sender_division_id": warehouses[warehouse_id].division_id,
            "sender_address": plan["address"],
            "subscription_id": plan["subscription"].pk if plan["subscription"] else None,
            "subscription_state": plan["state"],
            "subscription_carrier_code": plan["subscription_carrier"],
            "issued_at": moment,
            "tracking_since": moment,
            "collect_by": plan["collect_by"],
        }
        for warehouse_id, plan in plans.items()
    }
    rows, issued_for = [], []
    for carrier_orders in by_carrier.values():
        carrier = plans[carrier_orders[0].warehouse_id]["carrier"]
        for order, number in zip(
            carrier_orders, allocate_numbers(carrier.waybill_prefix, len(carrier_orders)), strict=True
        ):
            rows.append(
                {
                    "waybill_no": number,
                    "order_id": order.pk,
                    "merchant_id": order.merchant_id,
                    **columns[order.warehouse_id],
                }
            )
            issued_for.append(order)
    waybills = bulk_insert(Waybill, new_instances(Waybill, rows))
    update_by_ids(Order, ids, status=OrderStatus.SHIPPED, shipped_at=moment, updated_at=moment)
    event_record_bulk(
        actor=actor,
        kind="waybill.issued",
        model=Waybill,
        subject_ids=[w.pk for w in waybills],
        to_state=WaybillStatus.ISSUED,
        owner_field="merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    event_record_bulk(
        actor=actor,
        kind="order.shipped",
        model=Order,
        subject_ids=ids,
        from_state=OrderStatus.AWAITING_SHIPMENT,
        to_state=OrderStatus.SHIPPED,
        owner_field="merchant_id",
        occurred_at=moment,
    )
    # The waybills just written, as written (bulk_create gave them their ids),
    # with their orders as the UPDATE above left them: no read back.
    for order in orders:
        order.status, order.shipped_at, order.updated_at = OrderStatus.SHIPPED, moment, moment
    related = [Waybill._meta.get_field(name) for name in _ISSUED_WITH]
    for waybill, order in zip(waybills, issued_for, strict=True):
        plan = plans[order.warehouse_id]
        for field, value in zip(
            related,
            (order, plan["carrier"], plan["coverage"], plan["centre"], order.warehouse, plan["subscription"]),
            strict=True,
        ):
            field.set_cached_value(waybill, value)
    return sorted(waybills, key=lambda w: w.order_id)


@transaction.atomic
def waybill_void(*, actor: Actor, waybill_id: int) -> Waybill:
    """Cancel a label before pickup: the order awaits shipment again."""
    _merchant(actor)
    waybill = (
        Waybill.objects.select_for_update()
        .select_related("carrier__organisation")
        .filter(pk=waybill_id, merchant=actor.organisation)
        .first()
    )
    if waybill is None:
        raise NotFound(error_codes.WAYBILL_NOT_FOUND, _("No such waybill."), field="waybill_id")
    if waybill.status not in waybill_sources_of(WaybillStatus.VOIDED):
        raise Conflict(
            error_codes.WAYBILL_NOT_VOIDABLE,
            _("Waybill %(no)s is %(status)s: only a label not yet collected or received can be voided.")
            % {"no": waybill.waybill_no, "status": waybill.get_status_display()},
        )
    moment = now()
    waybill.status = WaybillStatus.VOIDED
    waybill.voided_at = moment
    waybill.tracking_status, waybill.tracking_since = TrackingStatus.VOIDED, moment
    waybill.save(update_fields=["status", "voided_at", "tracking_status", "tracking_since", "updated_at"])
    Order.objects.filter(pk=waybill.order_id).update(
        status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None, updated_at=moment
    )
    event_record(
        actor=actor,
        kind="waybill.voided",
        subject=waybill,
        from_state=WaybillStatus.ISSUED,
        to_state=WaybillStatus.VOIDED,
        payload={"waybill_no": waybill.waybill_no},
        owner=actor.organisation,
        counterparty=waybill.carrier.organisation,
    )
    return waybill


def labels_printed(*, actor: Actor, waybills: list[Waybill]) -> None:
    """Count a (re)print of these labels; printing changes no state, so no event."""
    moment = now()
    Waybill.objects.filter(pk__in_array=[w.pk for w in waybills], merchant=actor.organisation).update(
        print_count=F("print_count") + 1, last_printed_at=moment
    )


# -- pickup slots ------------------------------------------------------------------------------


def _own_waybill_for_update(actor: Actor, waybill_no: str) -> Waybill:
    _merchant(actor)
    number = (waybill_no or "").strip().upper()
    waybill = Waybill.objects.select_for_update().filter(merchant=actor.organisation, waybill_no=number).first()
    if waybill is None:
        raise NotFound(error_codes.WAYBILL_NOT_FOUND, _("No such waybill."), field="waybill_no")
    return waybill


def _check_can_book(waybill: Waybill, at: datetime) -> None:
    if waybill.status != WaybillStatus.ISSUED:
        raise Conflict(
            error_codes.NOT_AWAITING_PICKUP,
            _("Waybill %(no)s is no longer waiting for pickup (%(status)s).")
            % {"no": waybill.waybill_no, "status": waybill.get_status_display()},
            field="waybill_no",
        )
    if waybill.handover_method != HandoverMethod.PICKUP:
        raise Conflict(
            error_codes.NOT_PICKUP,
            _("Waybill %(no)s is DROP OFF: bring it to the sorting centre, there is no pickup to book.")
            % {"no": waybill.waybill_no},
            field="waybill_no",
        )
    current = booked_slot(waybill)
    if current is not None and at >= current.book_by:
        raise Conflict(
            error_codes.PICKUP_SLOT_CUTOFF,
            _("The booked pickup (%(when)s) can no longer be changed or cancelled: the cut-off was %(cutoff)s.")
            % {"when": f"{current.starts:%Y-%m-%d %H:%M}", "cutoff": f"{current.book_by:%Y-%m-%d %H:%M}"},
            field="waybill_no",
        )


def _track_booking(waybill: Waybill, *, booked: bool, at: datetime) -> None:
    """A booking shows only on a parcel waiting for its first attempt: after a failed pickup
    the failure stays the news (docs/tracking.md, order of precedence)."""
    if waybill.tracking_status not in (TrackingStatus.LABEL_CREATED, TrackingStatus.PICKUP_SCHEDULED):
        return
    status = TrackingStatus.PICKUP_SCHEDULED if booked else TrackingStatus.LABEL_CREATED
    if status != waybill.tracking_status:
        waybill.tracking_status, waybill.tracking_since = status, at


def _book(actor: Actor, waybill: Waybill, window_id: int, day, at: datetime) -> Waybill:
    """Book a checked, locked waybill into a window on a date, or say exactly why not."""
    window = PickupWindow.objects.select_for_update().filter(pk=window_id, is_active=True).first()
    chain = {waybill.sender_division_id, *ancestor_codes(waybill.sender_division_id)}
    if window is None or window.division_id not in chain:
        raise NotFound(
            error_codes.PICKUP_SLOT_UNAVAILABLE, _("No such pickup window for this warehouse."), field="window_id"
        )
    if not isinstance(day, date_type):
        raise _invalid("date", _("Give the date as YYYY-MM-DD."))
    if (waybill.pickup_window_id, waybill.pickup_date) == (window.pk, day):
        return waybill  # already booked there: booking again changes nothing
    if day.isoweekday() != window.weekday:
        raise _invalid("date", _("This window is not offered on that weekday."))
    [slot] = [
        s
        for s in pickup_slots(
            division_code=waybill.sender_division_id, first_day=day, days=1, at=at, ignore_waybill_id=waybill.pk
        )
        if s.window_id == window.pk and s.date == day
    ] or [None]
    if slot is None:
        starts = datetime.combine(day, window.starts_at, tzinfo=BEIJING)
        if at >= starts - timedelta(minutes=window.cutoff_minutes):
            raise Conflict(
                error_codes.PICKUP_SLOT_CUTOFF,
                _("Too late to book this window: bookings closed %(minutes)s minutes before it starts.")
                % {"minutes": window.cutoff_minutes},
                field="date",
            )
        raise Conflict(
            error_codes.PICKUP_SLOT_UNAVAILABLE,
            _("This window is not offered on %(date)s (closed that day, too far ahead, or served by another carrier).")
            % {"date": day.isoformat()},
            field="date",
        )
    if slot.remaining <= 0:
        raise Conflict(
            error_codes.PICKUP_SLOT_FULL,
            _("The window %(when)s is full: choose another.") % {"when": f"{slot.starts:%m-%d %H:%M}"},
            field="window_id",
        )
    previous = {
        "window_id": waybill.pickup_window_id,
        "date": str(waybill.pickup_date) if waybill.pickup_date else None,
    }
    waybill.pickup_window, waybill.pickup_date = window, day
    waybill.collect_by = slot.ends  # the booked window is the promise now
    _track_booking(waybill, booked=True, at=at)
    waybill.save(
        update_fields=["pickup_window", "pickup_date", "collect_by", "tracking_status", "tracking_since", "updated_at"]
    )
    event_record(
        actor=actor,
        kind="waybill.pickup_slot_booked",
        subject=waybill,
        payload={
            "waybill_no": waybill.waybill_no,
            "window_id": window.pk,
            "date": day.isoformat(),
            "from": slot.starts.isoformat(),
            "until": slot.ends.isoformat(),
            "previous": previous if previous["window_id"] else None,
        },
        owner=waybill.merchant,
        counterparty=window.carrier.organisation,
    )
    return waybill


@transaction.atomic
def pickup_slot_book(*, actor: Actor, waybill_no: str, window_id: int, day) -> Waybill:
    """Book (or change) the pickup window of a PICK UP parcel, until the cut-off of both windows."""
    waybill = _own_waybill_for_update(actor, waybill_no)
    at = now()
    _check_can_book(waybill, at)
    return _book(actor, waybill, window_id, day, at)


@transaction.atomic
def pickup_slot_cancel(*, actor: Actor, waybill_no: str) -> Waybill:
    """Give the booked window back, until its cut-off; the parcel is then collected on any day's round."""
    waybill = _own_waybill_for_update(actor, waybill_no)
    if waybill.pickup_window_id is None:
        raise Conflict(error_codes.NO_PICKUP_SLOT, _("No pickup window is booked for this parcel."), field="waybill_no")
    _check_can_book(waybill, now())
    window = PickupWindow.objects.select_related("carrier__organisation").get(pk=waybill.pickup_window_id)
    payload = {"waybill_no": waybill.waybill_no, "window_id": window.pk, "date": waybill.pickup_date.isoformat()}
    waybill.pickup_window, waybill.pickup_date = None, None
    # Without a window the parcel is due on the carrier's next service day after the cancelling.
    waybill.collect_by = window.carrier.next_service_close(now())
    _track_booking(waybill, booked=False, at=now())
    waybill.save(
        update_fields=["pickup_window", "pickup_date", "collect_by", "tracking_status", "tracking_since", "updated_at"]
    )
    event_record(
        actor=actor,
        kind="waybill.pickup_slot_cancelled",
        subject=waybill,
        payload=payload,
        owner=waybill.merchant,
        counterparty=window.carrier.organisation,
    )
    return waybill
