"""Merchant pages for orders, arranging shipment, labels and the pickup help page."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.clock import to_beijing
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.selectors import warehouse_tasks
from firstmile.pickup.selectors import pickup_states, warehouse_list
from firstmile.portals.access import portal_view
from firstmile.portals.imports import spreadsheet_import_page
from firstmile.shipping.imports import HEADINGS, order_import_start
from firstmile.shipping.jobs import labels_batch_start
from firstmile.shipping.models import OrderStatus
from firstmile.shipping.printing import CONTENT_TYPES, check_label_options, render_label_file
from firstmile.shipping.selectors import (
    explain_handover,
    handover_options,
    is_late,
    label_data,
    order_get,
    order_list,
    warehouse_pickup_slots,
    waybill_history,
    waybills_by_numbers,
)
from firstmile.shipping.services import (
    labels_printed,
    order_create,
    pickup_slot_book,
    pickup_slot_cancel,
    shipment_arrange,
    waybill_void,
)

TABS = [
    ("awaiting_shipment", OrderStatus.AWAITING_SHIPMENT.label),
    ("shipped", OrderStatus.SHIPPED.label),
]


@portal_view("merchant")
def orders(request):
    status = request.GET.get("status", "awaiting_shipment")
    late = request.GET.get("late") == "1"
    rows = order_list(actor=request.actor, status=status if status != "all" else None, late=late or None)
    page = Paginator(rows.prefetch_related("waybills"), 50).get_page(request.GET.get("page"))
    for order in page:
        order.late = is_late(order)
        order.live_waybill = next((w for w in order.waybills.all() if w.status != "voided"), None)
    return render(
        request,
        "portals/merchant/orders.html",
        {
            "page": page,
            "status": status,
            "late": late,
            "tabs": TABS,
            "warehouses": warehouse_list(actor=request.actor),
            "slot_choices": _slot_choices(request.actor) if status == "awaiting_shipment" else [],
            "query": f"status={status}" + ("&late=1" if late else ""),
        },
    )


SLOT_AREAS = 20  # a merchant with warehouses in more areas books per order, on the order page


def _slot_choices(actor, warehouses=None) -> list[dict]:
    """The free pickup slots of the merchant's PICK UP warehouses (or of ``warehouses``), one list per
    area, each marked with its warehouse: the arrange form offers only those of the selected orders."""
    choices, seen = [], set()
    for warehouse in warehouses if warehouses is not None else warehouse_list(actor=actor)[:200]:
        if warehouse.division_id in seen or len(seen) >= SLOT_AREAS:
            continue
        seen.add(warehouse.division_id)
        can_pickup, slots = warehouse_pickup_slots(warehouse=warehouse)
        for slot in slots if can_pickup else []:
            if slot.remaining:
                label = f"{warehouse.name} · {_local(slot.starts)}–{slot.ends:%H:%M} · " + _("%(n)s left") % {
                    "n": slot.remaining
                }
                choices.append(
                    {"value": f"{slot.window_id}@{slot.date.isoformat()}", "label": label, "warehouse_id": warehouse.pk}
                )
    return choices


def _parse_slot(value: str) -> tuple[int, date | None]:
    window_id, _sep, day = (value or "").partition("@")
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        parsed = None
    return (int(window_id) if window_id.isdigit() else 0), parsed


@portal_view("merchant")
@require_POST
def order_new(request):
    try:
        order = order_create(
            actor=request.actor,
            order_no=request.POST.get("order_no", ""),
            warehouse_code=request.POST.get("warehouse_code") or None,
            item_summary=request.POST.get("item_summary", ""),
        )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _("Order %(no)s created: ship by %(when)s (Beijing time).")
            % {"no": order.order_no, "when": _local(order.ship_by)},
        )
    return redirect("portals:merchant_orders")


def _local(instant) -> str:
    return to_beijing(instant).strftime("%Y-%m-%d %H:%M")


@portal_view("merchant")
@require_POST
def arrange(request):
    try:
        waybills = shipment_arrange(actor=request.actor, order_ids=request.POST.getlist("order_ids"))
    except ApplicationError as err:
        messages.error(request, err.message)
        return redirect(reverse("portals:merchant_orders"))
    pickups = sum(1 for w in waybills if w.handover_method == "PICKUP")
    if request.POST.get("slot"):
        _book_arranged(request, waybills, *_parse_slot(request.POST["slot"]))
    messages.success(
        request,
        _("%(n)s waybill(s) issued: %(p)s PICK UP, %(d)s DROP OFF. Print the labels and stick them on the parcels.")
        % {"n": len(waybills), "p": pickups, "d": len(waybills) - pickups},
    )
    numbers = ",".join(w.waybill_no for w in waybills)
    if len(waybills) == 1 and request.POST.get("from_order"):
        return redirect("portals:merchant_order", order_id=waybills[0].order_id)  # its page offers the prints
    return redirect(reverse("portals:merchant_orders") + f"?status=shipped&print={numbers}")


def _book_arranged(request, waybills, window_id: int, day) -> None:
    """Book the chosen window for each new PICK UP parcel; one that cannot be booked says why."""
    booked, refused = 0, []
    for waybill in waybills:
        if waybill.handover_method != "PICKUP":
            continue
        try:
            pickup_slot_book(actor=request.actor, waybill_no=waybill.waybill_no, window_id=window_id, day=day)
        except ApplicationError as err:
            refused.append(f"{waybill.waybill_no}: {err.message}")
        else:
            booked += 1
    if booked:
        messages.success(request, _("Pickup window booked for %(n)s parcel(s).") % {"n": booked})
    for line in refused[:5]:
        messages.error(request, line)
    if len(refused) > 5:
        messages.error(request, _("…and %(n)s more not booked.") % {"n": len(refused) - 5})


@portal_view("merchant")
def labels(request):
    numbers = [n for value in request.GET.getlist("w") for n in value.split(",") if n]
    try:
        fmt, size = check_label_options(request.GET.get("format", "pdf"), request.GET.get("size", "A6"))
    except ApplicationError as err:
        messages.error(request, err.message)
        return redirect(reverse("portals:merchant_orders"))
    if len(numbers) > 1:
        # More than a page: the worker renders the batch; its page offers the file when done.
        job = labels_batch_start(actor=request.actor, waybill_nos=numbers, fmt=fmt, size=size)
        return redirect("portals:merchant_job", job_id=job.pk)
    found = waybills_by_numbers(actor=request.actor, numbers=numbers)
    content = render_label_file([label_data(w, reprint=w.print_count > 0) for w in found], fmt=fmt, size=size)
    labels_printed(actor=request.actor, waybills=found)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="labels.{fmt}"'
    return response


@portal_view("merchant")
def order_detail(request, order_id: int):
    order = order_get(actor=request.actor, order_id=order_id)
    waybills = list(order.waybills.select_related("carrier", "sorting_centre", "warehouse", "order").order_by("-pk"))
    live = next((w for w in waybills if w.status != "voided"), None)
    return render(
        request,
        "portals/merchant/order_detail.html",
        {
            "order": order,
            "late": is_late(order),
            "waybill": live,
            "waybills": waybills,
            "explanation": explain_handover(live) if live else None,
            "history": waybill_history(actor=request.actor, waybill=live) if live else [],
            "options": handover_options(actor=request.actor, waybill=live) if live else None,
            "slot_choices": _slot_choices(request.actor, [order.warehouse])
            if order.status == OrderStatus.AWAITING_SHIPMENT
            else [],
        },
    )


def _live_waybill_no(request, order_id: int) -> str:
    order = order_get(actor=request.actor, order_id=order_id)
    live = order.waybills.exclude(status="voided").order_by("-pk").first()
    return live.waybill_no if live else ""


@portal_view("merchant")
@require_POST
def pickup_slot_book_view(request, order_id: int):
    window_id, parsed = _parse_slot(request.POST.get("slot", ""))
    try:
        pickup_slot_book(
            actor=request.actor, waybill_no=_live_waybill_no(request, order_id), window_id=window_id, day=parsed
        )
    except ApplicationError as err:
        if err.kind == 404 and err.field == "order_id":
            raise
        messages.error(request, err.message)
    else:
        messages.success(request, _("Pickup slot booked."))
    return redirect(reverse("portals:merchant_order", args=[order_id]) + "#pickup-slot")


@portal_view("merchant")
@require_POST
def pickup_slot_cancel_view(request, order_id: int):
    try:
        pickup_slot_cancel(actor=request.actor, waybill_no=_live_waybill_no(request, order_id))
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Pickup slot cancelled."))
    return redirect(reverse("portals:merchant_order", args=[order_id]) + "#pickup-slot")


@portal_view("merchant")
@require_POST
def waybill_void_view(request, order_id: int, waybill_id: int):
    try:
        waybill = waybill_void(actor=request.actor, waybill_id=waybill_id)
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, _("Waybill %(no)s voided; the order awaits shipment again.") % {"no": waybill.waybill_no}
        )
    return redirect("portals:merchant_order", order_id=order_id)


@portal_view("merchant")
def pickup_help(request):
    """Seed question 7: "no driver has called — is a driver arranged for my parcels?"."""
    states = pickup_states(warehouse_list(actor=request.actor))
    for state in states:
        state.tasks = list(warehouse_tasks(actor=request.actor, warehouse=state.warehouse))
    return render(request, "portals/merchant/pickup_help.html", {"states": states})


@portal_view("merchant")
def orders_import(request):
    return spreadsheet_import_page(
        request,
        starter=order_import_start,
        portal="merchant",
        template="portals/merchant/orders_import.html",
        headings=HEADINGS,
    )
