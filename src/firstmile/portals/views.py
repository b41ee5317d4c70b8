"""Views every party shares: login, landing, and the geography helpers."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from firstmile.carriers.selectors import coverage_serving
from firstmile.core import error_codes
from firstmile.core.clock import from_beijing_wall_clock, now
from firstmile.core.errors import ApplicationError
from firstmile.geo.selectors import address_parse, division_get

from .access import portal_for
from .regions import build_picker


class LoginView(auth_views.LoginView):
    template_name = "portals/login.html"
    redirect_authenticated_user = True


logout_view = auth_views.LogoutView.as_view()


@login_required
def home(request):
    portal = portal_for(request.user)
    if portal is None:
        return render(request, "portals/forbidden.html", status=403)
    return redirect(reverse(f"portals:{portal}_home"))


@login_required
@require_GET
def region_picker(request):
    field = request.GET.get("field", "division")
    code = request.GET.get(f"{field}__pick", "") or request.GET.get("code", "")
    return render(request, "portals/partials/region_picker.html", {"picker": build_picker(field, code)})


def parse_beijing_input(value: str, field: str = "at") -> datetime | None:
    """A datetime-local value typed in Beijing time, as an aware instant (None when left empty)."""
    try:
        parsed = parse_datetime((value or "").strip())
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        parsed = None
    if (value or "").strip() and (parsed is None or not 2000 <= parsed.year <= 2099):
        raise ApplicationError(
            error_codes.INVALID_INPUT,
            _("Give a date and time between 2000 and 2099, e.g. 2023-09-19 00:00."),
            field=field,
        )
    return from_beijing_wall_clock(parsed) if parsed else None


@login_required
@require_GET
def coverage_check(request):
    """Seed Q12: anyone may check whether an address is inside a carrier's coverage."""
    # The ops page's look-up names its picker "area" to sit beside the assign form's.
    code = request.GET.get("division") or request.GET.get("area", "")
    context = {"checked": bool(code)}
    if code:
        try:
            division = division_get(code)
            at = parse_beijing_input(request.GET.get("at", "")) or now()
            context.update(division=division, at=at, coverage=coverage_serving(division.code, at))
        except ApplicationError as exc:
            context["error"] = exc.message
    return render(request, "portals/partials/coverage_result.html", context)


@login_required
@require_POST
def address_parse_view(request):
    # ``fill`` names the form's region field: the answer then offers to fill that form in.
    fill = request.POST.get("fill", "")
    context = {"address": request.POST.get("address", ""), "fill": fill if fill.isidentifier() else ""}
    try:
        context["parsed"] = address_parse(context["address"]).as_dict()
    except ApplicationError as exc:
        context["error"] = exc.message
    return render(request, "portals/partials/address_result.html", context)


def forbidden(request, exception=None):
    return render(request, "portals/forbidden.html", {"message": _("You may not open this page.")}, status=403)


def not_found(request, exception=None):
    """No URL matched: the API answers in its error shape, the portals with a page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": error_codes.NOT_FOUND, "message": _("Not found."), "field": None},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(
        request,
        "portals/error.html",
        {"error": ApplicationError(error_codes.NOT_FOUND, _("Not found."), kind=404)},
        status=404,
    )
