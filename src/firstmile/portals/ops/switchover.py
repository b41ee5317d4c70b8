"""Ops pages for carrier switchovers: plans, batches, the push and its dashboard."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.carriers.selectors import carrier_list
from firstmile.core import error_codes
from firstmile.core.errors import ApplicationError
from firstmile.events.selectors import job_list
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker
from firstmile.portals.views import parse_beijing_input
from firstmile.switchover.selectors import (
    batch_dashboard,
    batch_get,
    batch_timeline,
    push_failures,
    running_batches,
    switchover_get,
    switchover_list,
    switchover_timeline,
)
from firstmile.switchover.services import (
    PUSH_JOB,
    batch_cancel,
    batch_postpone,
    batch_push_start,
    batch_schedule,
    switchover_create,
)


def _instant(value: str, field: str):
    instant = parse_beijing_input(value, field)
    if instant is None:
        raise ApplicationError(
            error_codes.INVALID_INPUT, _("Enter the cutover as a Beijing date and time."), field=field
        )
    return instant


@portal_view("ops")
def switchovers(request):
    if request.method == "POST":
        try:
            planned = switchover_create(
                actor=request.actor,
                name=request.POST.get("name", ""),
                from_carrier=request.POST.get("from_carrier", ""),
                to_carrier=request.POST.get("to_carrier", ""),
            )
        except ApplicationError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Switchover planned. Now schedule its batches."))
            return redirect("portals:ops_switchover", switchover_id=planned.pk)
    return render(
        request,
        "portals/ops/switchovers.html",
        {
            "switchovers": switchover_list(actor=request.actor),
            "running": running_batches(actor=request.actor),
            "carriers": carrier_list(actor=request.actor),
        },
    )


@portal_view("ops")
def switchover(request, switchover_id: int):
    """One switchover: its batches with their push, the form for the next batch, and its history."""
    plan = switchover_get(actor=request.actor, switchover_id=switchover_id)
    return render(
        request,
        "portals/ops/switchover.html",
        {
            "s": plan,
            "picker": build_picker("area", None),
            "timeline": switchover_timeline(actor=request.actor, switchover=plan)[:100],
        },
    )


@portal_view("ops")
@require_POST
def batch_new(request, switchover_id: int):
    codes = [c.strip() for c in request.POST.get("division_codes", "").replace("，", ",").split(",") if c.strip()]
    if request.POST.get("area"):
        codes.append(request.POST["area"])
    try:
        batch = batch_schedule(
            actor=request.actor,
            switchover_id=switchover_id,
            name=request.POST.get("name", ""),
            cutover_at=_instant(request.POST.get("cutover_at", ""), "cutover_at"),
            division_codes=codes,
            extension_days_before=int(request.POST.get("extension_days_before") or 1),
            extension_days_after=int(request.POST.get("extension_days_after") or 0),
            extension_days=int(request.POST.get("extension_days") or 3),
        )
    except ApplicationError as err:
        messages.error(request, err.message)
        return redirect("portals:ops_switchover", switchover_id=switchover_id)
    except ValueError:
        messages.error(request, _("Enter whole numbers of days."))
        return redirect("portals:ops_switchover", switchover_id=switchover_id)
    messages.success(request, _("Batch %(name)s scheduled.") % {"name": batch.name})
    return redirect("portals:ops_batch", batch_id=batch.pk)


@portal_view("ops")
def batch(request, batch_id: int):
    timeline = batch_timeline(actor=request.actor, batch_id=batch_id)
    series = (
        ("pushed", _("Pickup requests pushed")),
        ("approved", _("Approved by the incoming carrier")),
        ("collecting", _("Warehouses it has collected from")),
    )
    return render(
        request,
        "portals/ops/batch.html",
        {
            "timeline": timeline,
            "timeline_chart": {
                "timeline": {
                    "days": [d["day"].isoformat() for d in timeline],
                    "series": [{"name": str(label), "data": [d[key] for d in timeline]} for key, label in series],
                }
            },
            "board": batch_dashboard(actor=request.actor, batch_id=batch_id),
            "failures": push_failures(actor=request.actor, batch_id=batch_id)[:200],
            **_progress(request.actor, batch_id),
        },
    )


@portal_view("ops")
def batch_progress(request, batch_id: int):
    return render(request, "portals/ops/batch_progress.html", _progress(request.actor, batch_id))


def _progress(actor, batch_id: int) -> dict:
    return {
        "batch": batch_get(actor=actor, batch_id=batch_id),
        "job": job_list(actor=actor, kind=PUSH_JOB).filter(params__batch_id=batch_id).first(),
        "portal": "ops",
        "next_url": reverse("portals:ops_batch", kwargs={"batch_id": batch_id}),
    }


@portal_view("ops")
@require_POST
def batch_action(request, batch_id: int):
    action = request.POST.get("action")
    try:
        if action == "push":
            batch_push_start(actor=request.actor, batch_id=batch_id)
            messages.success(request, _("Push started on the worker; its progress shows below."))
        elif action == "postpone":
            batch_postpone(
                actor=request.actor,
                batch_id=batch_id,
                cutover_at=_instant(request.POST.get("cutover_at", ""), "cutover_at"),
            )
            messages.success(request, _("Cutover moved."))
        elif action == "cancel":
            batch_cancel(actor=request.actor, batch_id=batch_id)
            messages.success(request, _("Batch cancelled: the outgoing carrier goes on serving its areas."))
    except ApplicationError as err:
        messages.error(request, err.message)
    return redirect("portals:ops_batch", batch_id=batch_id)
