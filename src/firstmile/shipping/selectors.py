from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import CoverageArea, PickupClosure, PickupWindow
from firstmile.core.clock import BEIJING, now, to_beijing
from firstmile.core.errors import NotFound
from firstmile.core.phones import display_cn_phone
from firstmile.events.models import Event
from firstmile.geo.selectors import ancestor_codes
from firstmile.pickup.selectors import PickupStateKind, pickup_state

from . import error_codes
from .labels import LabelData
from .models import HandoverMethod, Order, OrderStatus, Waybill, WaybillStatus


def order_list(*, actor: Actor, status: str | None = None, late: bool | None = None, search: str | None = None):
    require(actor, Operation.RECORDS_VIEW)
    orders = Order.objects.select_related("warehouse")
    if not actor.is_platform:
        orders = orders.filter(merchant=actor.organisation)
    if status:
        orders = orders.filter(status=status)
    if late:
        orders = orders.filter(status=OrderStatus.AWAITING_SHIPMENT, ship_by__lt=now())
    if search:
        orders = orders.filter(order_no__icontains=search)
    return orders.order_by("-created_at", "-id")


def order_get(*, actor: Actor, order_id: int) -> Order:
    require(actor, Operation.RECORDS_VIEW)
    order = order_list(actor=actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(error_codes.ORDER_NOT_FOUND, _("No such order."), field="order_id")
    return order


def is_late(order: Order) -> bool:
    """Shipped after its deadline, or still waiting past it."""
    if order.status == OrderStatus.SHIPPED and order.shipped_at:
        return order.shipped_at > order.ship_by
    return order.status == OrderStatus.AWAITING_SHIPMENT and now() > order.ship_by


def waybill_list(*, actor: Actor, status: str | None = None) -> QuerySet[Waybill]:
    """A merchant's own waybills; a carrier's: those it issued or now collects."""
    require(actor, Operation.RECORDS_VIEW)
    waybills = Waybill.objects.select_related("carrier", "sorting_centre", "order", "warehouse")
    if actor.is_merchant:
        waybills = waybills.filter(merchant=actor.organisation)
    elif actor.is_carrier:
        waybills = waybills.filter(
            Q(carrier__organisation=actor.organisation) | Q(task_link__task__carrier__organisation=actor.organisation)
        ).distinct()
    elif not actor.is_platform:
        return waybills.none()
    if status:
        waybills = waybills.filter(status=status)
    return waybills.order_by("-issued_at", "-id")


def waybill_get(*, actor: Actor, waybill_id: int | None = None, waybill_no: str | None = None) -> Waybill:
    """One waybill the actor may see (the rule of ``waybill_list``), found by its key first.

    Not ``waybill_list(...).filter(...)``: for a carrier that is a DISTINCT over an OR of
    two join paths, which PostgreSQL spent 6 ms planning for a 1 ms lookup on every
    tracking call (bench/metrics.py, 10,000,000 waybills).
    """
    require(actor, Operation.RECORDS_VIEW)
    waybills = Waybill.objects.select_related("carrier", "sorting_centre", "order", "warehouse")
    waybill = (waybills.filter(pk=waybill_id) if waybill_id else waybills.filter(waybill_no=waybill_no)).first()
    if waybill is None or not _may_see(actor, waybill):
        raise NotFound(error_codes.WAYBILL_NOT_FOUND, _("No such waybill."), field="waybill")
    return waybill


def _may_see(actor: Actor, waybill: Waybill) -> bool:
    if actor.is_platform:
        return True
    if actor.is_merchant:
        return waybill.merchant_id == actor.organisation.pk
    if actor.is_carrier:
        # The carrier that issued it, or the one whose stop it is in (after a switchover).
        return waybill.carrier.organisation_id == actor.organisation.pk or (
            Waybill.objects.filter(pk=waybill.pk, task_link__task__carrier__organisation=actor.organisation).exists()
        )
    return False


def waybills_by_numbers(*, actor: Actor, numbers: list[str]) -> list[Waybill]:
    """The actor's waybills with these numbers, in the order given; any unknown one is an error."""
    require(actor, Operation.RECORDS_VIEW)
    wanted = [n.strip().upper() for n in numbers if n and n.strip()]
    found = {w.waybill_no: w for w in waybill_list(actor=actor).filter(waybill_no__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing or not wanted:
        raise NotFound(
            error_codes.WAYBILL_NOT_FOUND,
            _("No such waybill: %(nos)s.") % {"nos": ", ".join(missing[:20]) or "—"},
            field="waybill",
        )
    return [found[n] for n in wanted]


def waybill_history(*, actor: Actor, waybill: Waybill) -> QuerySet[Event]:
    require(actor, Operation.RECORDS_VIEW)
    events = Event.objects.filter(
        Q(subject_type="shipping.waybill", subject_id=str(waybill.pk))
        | Q(subject_type="shipping.order", subject_id=str(waybill.order_id))
    )
    if not actor.is_platform:
        events = events.filter(Q(owner=actor.organisation) | Q(counterparty=actor.organisation))
    return events.select_related("actor_user", "actor_organisation").order_by("occurred_at", "id")


def label_data(waybill: Waybill, *, reprint: bool = False) -> LabelData:
    return LabelData(
        waybill_no=waybill.waybill_no,
        handover_method=waybill.handover_method,
        carrier_name=f"{waybill.carrier.name_zh} {waybill.carrier.name_en}",
        carrier_hotline=waybill.carrier.hotline,
        destination_name=waybill.sorting_centre.name,
        destination_address=waybill.sorting_centre.address_detail,
        sender_name=waybill.sender_name,
        sender_contact=waybill.sender_contact,
        sender_phone=display_cn_phone(waybill.sender_phone),
        sender_address=waybill.sender_address,
        order_no=waybill.order.order_no,
        printed_at=to_beijing(now()),
        reprint=reprint,
    )


@dataclass
class HandoverExplanation:
    """Seed question 14: why this label says PICK UP or DROP OFF, from recorded facts."""

    waybill: Waybill
    reasons: list[str]
    erp_mismatch: str | None


def explain_handover(waybill: Waybill) -> HandoverExplanation:
    w = waybill
    carrier = w.carrier.display_name
    issued = to_beijing(w.issued_at).strftime("%Y-%m-%d %H:%M")
    reasons = [
        str(
            _("Issued %(when)s (Beijing time) by %(carrier)s, the carrier serving %(area)s at that moment.")
            % {"when": issued, "carrier": carrier, "area": w.sender_address}
        )
    ]
    state = w.subscription_state
    if w.handover_method == "PICKUP":
        reasons.append(
            str(
                _(
                    "The warehouse had an active pickup subscription (支持揽收) with %(carrier)s, "
                    "so the label says PICK UP."
                )
                % {"carrier": carrier}
            )
        )
    elif state == "active" and w.subscription_carrier_code and w.subscription_carrier_code != w.carrier.code:
        reasons.append(
            str(
                _(
                    "The warehouse's active subscription was with %(other)s, not with %(carrier)s who serves the area "
                    "now, so the label says DROP OFF."
                )
                % {"other": w.subscription_carrier_code, "carrier": carrier}
            )
        )
    else:
        why = {
            "pending": _("the pickup request was still waiting for the carrier's review"),
            "overdue": _("the pickup request was waiting for review past its 24 hours"),
            "rejected": _("the carrier had rejected the pickup request"),
            "cancelled": _("pickup had been cancelled"),
            "not_covered": _("the warehouse address was outside pickup coverage when saved"),
        }.get(state, _("the warehouse had no pickup subscription"))
        reasons.append(
            str(
                _("The label says DROP OFF because %(why)s: parcels are self-sent to the sorting centre.")
                % {"why": why}
            )
        )
    reasons.append(
        str(
            _("Warehouse used: %(name)s, with the address printed on the label: %(address)s.")
            % {"name": w.sender_name, "address": w.sender_address}
        )
    )
    order = w.order
    mismatch = None
    if order.erp_warehouse_code and order.erp_warehouse_code != w.warehouse.code:
        mismatch = str(
            _(
                "Your ERP sent this order for warehouse %(erp)s, but the platform shipped it from %(ours)s: the label "
                "follows the platform's warehouse and its subscription. Keep the ERP's warehouse settings the same as "
                "the platform's."
            )
            % {"erp": order.erp_warehouse_code, "ours": w.warehouse.code}
        )
    elif order.erp_warehouse_address and order.erp_warehouse_address.replace(" ", "") not in w.sender_address.replace(
        " ", ""
    ):
        mismatch = str(
            _(
                "Your ERP's address for this warehouse (%(erp)s) differs from the platform's (%(ours)s): the label "
                "follows the platform's. Update the ERP so both agree."
            )
            % {"erp": order.erp_warehouse_address, "ours": w.sender_address}
        )
    return HandoverExplanation(waybill, reasons, mismatch)


SLOT_DAYS = 7  # how far ahead pickup slots are offered
SLOT_DAYS_MAX = 14  # how far ahead one may be booked


@dataclass(frozen=True)
class PickupSlot:
    """One pickup window on one date, as a merchant books it (TikTok's pickup_slots)."""

    window_id: int
    date: date
    starts: datetime
    ends: datetime
    capacity: int
    remaining: int
    book_by: datetime
    carrier_code: str


def _serving_at(division_code: str):
    """A function telling which carrier serves the area at an instant: one query for the whole range."""
    chain = [division_code, *ancestor_codes(division_code)]
    rows = list(
        CoverageArea.objects.filter(division_id__in=chain).values_list(
            "division_id", "carrier_id", "valid_from", "valid_to"
        )
    )

    def serving(at: datetime) -> int | None:
        in_force = {d: c for d, c, start, end in rows if start <= at and (end is None or end > at)}
        return next((in_force[code] for code in chain if code in in_force), None)

    return serving


def pickup_slots(
    *,
    division_code: str,
    first_day: date | None = None,
    days: int = SLOT_DAYS,
    at: datetime | None = None,
    ignore_waybill_id: int | None = None,
) -> list[PickupSlot]:
    """The pickup windows a warehouse in this area may book from ``first_day`` on, with the room left.

    Offered: active windows of the area or any area above it, of the carrier that
    serves the area when the window starts (a switchover shows in the slots), on
    dates that are not closed, until their cut-off. Full slots are listed with 0 left.
    """
    at = at or now()
    today = to_beijing(at).date()
    first_day = max(first_day or today, today)
    dates = [
        first_day + timedelta(days=n)
        for n in range(days)
        if first_day + timedelta(days=n) <= today + timedelta(days=SLOT_DAYS_MAX)
    ]
    if not dates:
        return []
    chain = [division_code, *ancestor_codes(division_code)]
    windows = list(
        PickupWindow.objects.select_related("carrier")
        .filter(division_id__in=chain, is_active=True, weekday__in={d.isoweekday() for d in dates})
        .order_by("starts_at", "id")
    )
    if not windows:
        return []
    closed = set(
        PickupClosure.objects.filter(date__in=dates)
        .filter(Q(division__isnull=True) | Q(division_id__in=chain))
        .values_list("carrier_id", "date")
    )
    booked = Waybill.objects.filter(pickup_window__in=[w.pk for w in windows], pickup_date__in=dates).exclude(
        status=WaybillStatus.VOIDED
    )
    if ignore_waybill_id is not None:
        booked = booked.exclude(pk=ignore_waybill_id)
    counts = {
        (w, d): n
        for w, d, n in booked.values_list("pickup_window_id", "pickup_date")
        .annotate(n=Count("id"))
        .values_list("pickup_window_id", "pickup_date", "n")
    }
    serving = _serving_at(division_code)
    slots = []
    for day in dates:
        for window in windows:
            if window.weekday != day.isoweekday() or (window.carrier_id, day) in closed:
                continue
            starts = datetime.combine(day, window.starts_at, tzinfo=BEIJING)
            book_by = starts - timedelta(minutes=window.cutoff_minutes)
            if at >= book_by or serving(starts) != window.carrier_id:
                continue
            slots.append(
                PickupSlot(
                    window_id=window.pk,
                    date=day,
                    starts=starts,
                    ends=datetime.combine(day, window.ends_at, tzinfo=BEIJING),
                    capacity=window.capacity,
                    remaining=max(0, window.capacity - counts.get((window.pk, day), 0)),
                    book_by=book_by,
                    carrier_code=window.carrier.code,
                )
            )
    return slots


@dataclass
class HandoverOptions:
    """How a parcel can reach the carrier: PICK UP in a free slot, or DROP OFF at the sorting centre."""

    waybill: Waybill
    can_pickup: bool
    can_drop_off: bool
    booked: PickupSlot | None
    pickup_slots: list[PickupSlot]


def booked_slot(waybill: Waybill) -> PickupSlot | None:
    if waybill.pickup_window_id is None:
        return None
    window = PickupWindow.objects.select_related("carrier").get(pk=waybill.pickup_window_id)
    starts = datetime.combine(waybill.pickup_date, window.starts_at, tzinfo=BEIJING)
    used = Waybill.objects.filter(pickup_window=window, pickup_date=waybill.pickup_date).exclude(
        status=WaybillStatus.VOIDED
    )
    return PickupSlot(
        window_id=window.pk,
        date=waybill.pickup_date,
        starts=starts,
        ends=datetime.combine(waybill.pickup_date, window.ends_at, tzinfo=BEIJING),
        capacity=window.capacity,
        remaining=max(0, window.capacity - used.count()),
        book_by=starts - timedelta(minutes=window.cutoff_minutes),
        carrier_code=window.carrier.code,
    )


def handover_options(*, actor: Actor, waybill: Waybill, first_day: date | None = None, days: int = SLOT_DAYS):
    """The parcel's handover choices now; slots only for a PICK UP parcel still waiting."""
    waiting = waybill.status == WaybillStatus.ISSUED
    can_pickup = waiting and waybill.handover_method == HandoverMethod.PICKUP
    return HandoverOptions(
        waybill=waybill,
        can_pickup=can_pickup,
        can_drop_off=waiting,
        booked=booked_slot(waybill),
        pickup_slots=pickup_slots(
            division_code=waybill.sender_division_id, first_day=first_day, days=days, ignore_waybill_id=waybill.pk
        )
        if can_pickup
        else [],
    )


def warehouse_pickup_slots(
    *, warehouse, first_day: date | None = None, days: int = SLOT_DAYS
) -> tuple[bool, list[PickupSlot]]:
    """Whether a label printed now would say PICK UP for the warehouse, and the slots it may book."""
    can_pickup = pickup_state(warehouse).kind == PickupStateKind.ACTIVE
    slots = pickup_slots(division_code=warehouse.division_id, first_day=first_day, days=days) if can_pickup else []
    return can_pickup, slots
