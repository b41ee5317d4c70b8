"""The carrier's pickup windows and closed dates."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from firstmile.carriers.selectors import pickup_closures, pickup_windows
from firstmile.carriers.services import (
    pickup_closure_add,
    pickup_closure_remove,
    pickup_window_create,
    pickup_window_withdraw,
)
from firstmile.core.errors import ApplicationError
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker

WEEKDAYS = [
    (1, gettext_lazy("Mon")),
    (2, gettext_lazy("Tue")),
    (3, gettext_lazy("Wed")),
    (4, gettext_lazy("Thu")),
    (5, gettext_lazy("Fri")),
    (6, gettext_lazy("Sat")),
    (7, gettext_lazy("Sun")),
]


@portal_view("carrier")
def windows(request):
    names = dict(WEEKDAYS)
    rows = list(pickup_windows(actor=request.actor))
    for window in rows:
        window.weekday_name = names[window.weekday]
    return render(
        request,
        "portals/carrier/pickup_windows.html",
        {
            "windows": rows,
            "closures": pickup_closures(actor=request.actor),
            "weekdays": WEEKDAYS,
            "picker": build_picker("window_area", None),
            "closure_picker": build_picker("closure_area", None),
        },
    )


def _id(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


@portal_view("carrier")
@require_POST
def windows_action(request):
    action = request.POST.get("action")
    try:
        if action == "publish":
            created = pickup_window_create(
                actor=request.actor,
                division_code=request.POST.get("window_area", "") or request.POST.get("division_code", ""),
                weekdays=request.POST.getlist("weekdays"),
                starts_at=request.POST.get("starts_at", ""),
                ends_at=request.POST.get("ends_at", ""),
                capacity=request.POST.get("capacity", ""),
                cutoff_minutes=request.POST.get("cutoff_minutes", "") or 120,
            )
            messages.success(request, _("%(n)s pickup window(s) published.") % {"n": len(created)})
        elif action == "withdraw":
            pickup_window_withdraw(actor=request.actor, window_id=_id(request.POST.get("window_id")))
            messages.success(request, _("Pickup window withdrawn; parcels already booked keep their booking."))
        elif action == "close":
            try:
                day = date.fromisoformat(request.POST.get("date", "").strip())
            except ValueError:
                day = None
            pickup_closure_add(
                actor=request.actor,
                day=day,
                reason=request.POST.get("reason", ""),
                division_code=request.POST.get("closure_area", ""),
            )
            messages.success(request, _("No pickups on %(day)s.") % {"day": day})
        elif action == "reopen":
            pickup_closure_remove(actor=request.actor, closure_id=_id(request.POST.get("closure_id")))
            messages.success(request, _("The date is open for pickups again."))
    except ApplicationError as err:
        messages.error(request, err.message)
    return redirect("portals:carrier_pickup_windows")
