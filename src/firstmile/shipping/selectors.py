from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core.clock import now, to_beijing
from firstmile.core.errors import NotFound
from firstmile.core.phones import display_cn_phone
from firstmile.events.models import Event

from . import error_codes
from .labels import LabelData
from .models import Order, OrderStatus, Waybill


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
    require(actor, Operation.RECORDS_VIEW)
    waybills = waybill_list(actor=actor)
    waybill = (waybills.filter(pk=waybill_id) if waybill_id else waybills.filter(waybill_no=waybill_no)).first()
    if waybill is None:
        raise NotFound(error_codes.WAYBILL_NOT_FOUND, _("No such waybill."), field="waybill")
    return waybill


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
    return events.order_by("occurred_at", "id")


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
            _("Warehouse used: %(name)s, address version %(version)s.")
            % {"name": w.sender_name, "version": w.warehouse_address_version}
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
