"""Handover lists (交接单) in every party's portal, and signing one on the driver's or the counter's screen."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.errors import ApplicationError
from firstmile.dispatch.handover_pdf import render_handover_pdf
from firstmile.dispatch.models import HandoverKind, HandoverStatus
from firstmile.dispatch.selectors import driver_stop, handover_get, handover_lists, handover_sheet, stop_waiting
from firstmile.dispatch.services import handover_confirm, scan_pickup_any
from firstmile.portals.scans import collected_message

from .access import portal_view


def _get(request, handover_id: int):
    try:
        return handover_get(actor=request.actor, handover_id=handover_id)
    except ApplicationError as err:
        if err.kind == 403:
            raise
        raise Http404 from None


def _date_param(value: str | None) -> date | None:
    try:
        day = parse_date(value or "")
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None
    return day if day and 2000 <= day.year <= 2099 else None


def _list(request, portal: str):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    missing = request.GET.get("missing") == "1"
    since = _date_param(request.GET.get("since"))
    rows = handover_lists(
        actor=request.actor,
        status=status if status in HandoverStatus.values else None,
        kind=kind if kind in HandoverKind.values else None,
        with_missing=missing or None,
        since=since,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portals/shared/handovers.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "page": page,
            "query": query.urlencode(),
            "status": status,
            "kind": kind,
            "missing": missing,
            "since": since,
            "statuses": HandoverStatus.choices,
            "kinds": HandoverKind.choices,
        },
    )


def _detail(request, portal: str, handover_id: int):
    sheet = handover_sheet(_get(request, handover_id))
    can_sign = (
        portal == "carrier"
        and sheet.handover.status == HandoverStatus.OPEN
        and sheet.handover.kind == HandoverKind.DROP_OFF
    )
    return render(
        request,
        "portals/shared/handover.html",
        {"base_template": f"portals/{portal}/base.html", "portal": portal, "sheet": sheet, "can_sign": can_sign},
    )


def _pdf(request, handover_id: int):
    sheet = handover_sheet(_get(request, handover_id))
    response = HttpResponse(render_handover_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sheet.handover.number}.pdf"'
    return response


def _confirm(request, handover_id: int) -> bool:
    try:
        handover = handover_confirm(
            actor=request.actor,
            handover_id=handover_id,
            signer_name=request.POST.get("signer_name", ""),
            signature=request.POST.get("signature", ""),
            weight_kg=request.POST.get("weight_kg", ""),
        )
    except ApplicationError as err:
        if err.kind == 404:
            raise Http404 from None
        messages.error(request, err.message)
        return False
    messages.success(
        request,
        _("Handover list %(no)s confirmed: %(n)s parcel(s), %(m)s missing.")
        % {"no": handover.number, "n": handover.parcel_count, "m": handover.missing_count},
    )
    return True


# -- the driver: the stop's list, scanned into and signed on the phone --------------------


@portal_view("driver")
def driver_stop_handover(request, task_id: int):
    try:
        task = driver_stop(actor=request.actor, task_id=task_id)
    except ApplicationError:
        raise Http404 from None
    lists = handover_lists(actor=request.actor).filter(task=task)
    sheets = [handover_sheet(h) for h in lists]
    open_sheet = next((s for s in sheets if s.handover.status == HandoverStatus.OPEN), None)
    return render(
        request,
        "portals/driver/handover.html",
        {
            "task": task,
            "open_sheet": open_sheet,
            "confirmed": [s for s in sheets if s.handover.status == HandoverStatus.CONFIRMED],
            # Before the first scan there is no list yet: the stop's parcels still to collect.
            "waiting": stop_waiting(task.pk) if open_sheet is None else [],
        },
    )


@portal_view("driver")
@require_POST
def driver_stop_scan(request, task_id: int):
    try:
        result = scan_pickup_any(actor=request.actor, number=request.POST.get("waybill_no", ""), task_id=task_id)
    except ApplicationError as err:
        if err.kind == 404 and err.field == "task_id":
            raise Http404 from None
        messages.error(request, err.message)
    else:
        messages.success(request, collected_message(result))
    return redirect("portals:driver_stop_handover", task_id=task_id)


@portal_view("driver")
@require_POST
def driver_handover_confirm(request, handover_id: int):
    handover = _get(request, handover_id)
    _confirm(request, handover_id)
    return redirect("portals:driver_stop_handover", task_id=handover.task_id)


@portal_view("driver")
def driver_handover_pdf(request, handover_id: int):
    return _pdf(request, handover_id)


# -- the parties' lists -------------------------------------------------------------------


@portal_view("merchant")
def merchant_handovers(request):
    return _list(request, "merchant")


@portal_view("merchant")
def merchant_handover(request, handover_id: int):
    return _detail(request, "merchant", handover_id)


@portal_view("merchant")
def merchant_handover_pdf(request, handover_id: int):
    return _pdf(request, handover_id)


@portal_view("carrier")
def carrier_handovers(request):
    return _list(request, "carrier")


@portal_view("carrier")
def carrier_handover(request, handover_id: int):
    return _detail(request, "carrier", handover_id)


@portal_view("carrier")
def carrier_handover_pdf(request, handover_id: int):
    return _pdf(request, handover_id)


@portal_view("carrier")
@require_POST
def carrier_handover_confirm(request, handover_id: int):
    _confirm(request, handover_id)
    return redirect("portals:carrier_handover", handover_id=handover_id)


@portal_view("ops")
def ops_handovers(request):
    return _list(request, "ops")


@portal_view("ops")
def ops_handover(request, handover_id: int):
    return _detail(request, "ops", handover_id)


@portal_view("ops")
def ops_handover_pdf(request, handover_id: int):
    return _pdf(request, handover_id)
