"""Carrier pages: the day's dispatch board, the team (drivers, routes, roster), inbound scans."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from firstmile.bundles.selectors import bundles_at_sorting_centres
from firstmile.carriers.selectors import carrier_of, sorting_centre_list
from firstmile.core.clock import beijing_today
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.models import DayType
from firstmile.dispatch.selectors import (
    STOP_STATES,
    centre_day,
    drivers,
    roster,
    routes,
    shifts_of_day,
    task_board,
    window_loads,
)
from firstmile.dispatch.services import (
    day_plan,
    driver_create,
    roster_set,
    route_create,
    scan_inbound_any,
    task_assign,
)
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker
from firstmile.portals.scans import received_message

STATE_TABS = [
    ("", gettext_lazy("All stops")),
    ("to_do", gettext_lazy("Still to collect")),
    ("closed", gettext_lazy("Collected")),
    ("failed", gettext_lazy("Pickup failed")),
]


def _day(request) -> date:
    return parse_date(request.GET.get("date") or request.POST.get("date") or "") or beijing_today()


@portal_view("carrier")
def board(request):
    day = _day(request)
    state = request.GET.get("state", "")
    if state not in STOP_STATES:
        state = ""
    tasks = list(task_board(actor=request.actor, day=day, state=state or None))
    return render(
        request,
        "portals/carrier/dispatch.html",
        {
            "day": day,
            "state": state,
            "states": STATE_TABS,
            "tasks": tasks,
            "unassigned": [t for t in tasks if t.shift_id is None and t.status != "closed"],
            "shifts": shifts_of_day(actor=request.actor, day=day),
            "windows": window_loads(actor=request.actor, day=day),
            "is_today": day == beijing_today(),
        },
    )


@portal_view("carrier")
@require_POST
def plan(request):
    day = _day(request)
    try:
        result = day_plan(actor=request.actor, day=day)
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _(
                "Day planned: %(tasks)s stops, %(linked)s parcels added (%(rolled)s carried over), "
                "%(assigned)s stops assigned, %(unassigned)s without a driver."
            )
            % {
                "tasks": result.tasks,
                "linked": result.parcels_linked,
                "rolled": result.parcels_rolled_over,
                "assigned": result.assigned,
                "unassigned": result.unassigned,
            },
        )
    return redirect(reverse("portals:carrier_dispatch") + f"?date={day.isoformat()}")


@portal_view("carrier")
@require_POST
def assign(request, task_id: int):
    shift_id = request.POST.get("shift_id") or None
    try:
        task = task_assign(actor=request.actor, task_id=task_id, shift_id=int(shift_id) if shift_id else None)
    except (ApplicationError, ValueError) as err:
        messages.error(request, getattr(err, "message", str(err)))
        return redirect("portals:carrier_dispatch")
    messages.success(request, _("Stop %(warehouse)s reassigned.") % {"warehouse": task.warehouse.name})
    return redirect(reverse("portals:carrier_dispatch") + f"?date={task.date.isoformat()}")


@portal_view("carrier")
def team(request):
    return render(
        request,
        "portals/carrier/team.html",
        {
            "drivers": drivers(actor=request.actor),
            "routes": routes(actor=request.actor),
            "roster": roster(actor=request.actor),
            "day_types": DayType.choices,
            "picker": build_picker("route_area", None),
        },
    )


@portal_view("carrier")
@require_POST
def team_action(request):
    action = request.POST.get("action")
    try:
        if action == "driver":
            driver = driver_create(
                actor=request.actor,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                username=request.POST.get("username", "").strip(),
                password=request.POST.get("password", ""),
            )
            messages.success(request, _("Driver %(name)s added.") % {"name": driver.name})
        elif action == "route":
            codes = [c for c in request.POST.get("division_codes", "").replace("，", ",").split(",") if c.strip()]
            if request.POST.get("route_area"):
                codes.append(request.POST["route_area"])
            route = route_create(actor=request.actor, name=request.POST.get("name", ""), division_codes=codes)
            messages.success(request, _("Route %(name)s added.") % {"name": route.name})
        elif action == "roster":
            roster_set(
                actor=request.actor,
                driver_id=int(request.POST.get("driver_id") or 0),
                route_id=int(request.POST.get("route_id") or 0),
                day_type=request.POST.get("day_type", ""),
                capacity=int(request.POST.get("capacity") or 0),
            )
            messages.success(request, _("Roster updated."))
    except ApplicationError as err:
        messages.error(request, err.message)
    except ValueError:
        messages.error(request, _("Enter whole numbers for stops per day."))
    return redirect("portals:carrier_team")


@portal_view("carrier")
def inbound(request):
    """The scan box's target; opened in the browser, the first sorting centre's page."""
    carrier = carrier_of(request.actor)
    centres = list(sorting_centre_list(carrier=carrier)) if carrier else []
    if request.method != "POST":
        if centres:
            return redirect("portals:carrier_sorting_centre", centre_id=centres[0].pk)
        return render(request, "portals/carrier/sorting_centre.html", {"centres": [], "centre": None})
    result, error = None, None
    centre_code = request.POST.get("sorting_centre") or (centres[0].code if centres else "")
    try:
        result = scan_inbound_any(
            actor=request.actor, sorting_centre_code=centre_code, number=request.POST.get("waybill_no", "")
        )
    except ApplicationError as err:
        error = err
    if request.htmx:
        return render(request, "portals/carrier/inbound_result.html", {"result": result, "error": error})
    if error:
        messages.error(request, error.message)
    else:
        messages.success(request, received_message(result))
    centre = next((c for c in centres if c.code == centre_code), None)
    if centre is None:
        return redirect("portals:carrier_inbound")
    return redirect("portals:carrier_sorting_centre", centre_id=centre.pk)


@portal_view("carrier")
def sorting_centre(request, centre_id: int):
    """A sorting centre's day: the scan box, DROP OFF parcels expected, and what came in today."""
    carrier = carrier_of(request.actor)
    centres = list(sorting_centre_list(carrier=carrier)) if carrier else []
    centre = next((c for c in centres if c.pk == centre_id), None)
    if centre is None:
        raise Http404
    day = centre_day(actor=request.actor, centre_id=centre.pk)
    coming, unchecked = bundles_at_sorting_centres(actor=request.actor)
    return render(
        request,
        "portals/carrier/sorting_centre.html",
        {
            "centres": centres,
            "centre": centre,
            "centre_code": centre.code,
            "expected": day.expected[:200],
            "expected_count": day.expected.count(),
            "received": day.received[:200],
            "received_count": day.received.count(),
            "bundles_coming": coming[:100],
            "bundles_unchecked": unchecked[:100],
        },
    )
