"""The public tracking page (/track/): anyone with a waybill number and the last four digits of the
sender's phone sees where the parcel is, and nothing personal. A wrong pair answers exactly as an
unknown number; every lookup counts against the client address's allowance."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from firstmile.core.client_ip import client_ip
from firstmile.core.throttle import allow
from firstmile.dispatch.tracking import public_timeline, public_tracking


def _allowed(request) -> bool:
    """Count this lookup against the address's allowance; False once it is used up."""
    key = f"firstmile:public-track:{client_ip(request) or '?'}"
    return allow(key, limit=settings.FIRSTMILE_PUBLIC_TRACK_LIMIT, window=settings.FIRSTMILE_PUBLIC_TRACK_WINDOW)


@require_http_methods(["GET", "POST"])
def track(request):
    context = {"number": "", "tracking": None, "steps": [], "message": ""}
    status = 200
    if request.method == "POST":
        number = request.POST.get("waybill_no", "").strip()[:32]
        context["number"] = number
        if not _allowed(request):
            context["message"] = _("Too many lookups from this address: try again in ten minutes.")
            status = 429
        else:
            tracking = public_tracking(waybill_no=number, phone_last4=request.POST.get("phone_last4", ""))
            if tracking is None:
                context["message"] = _(
                    "No parcel matches this waybill number and phone. Check both: the four digits are the "
                    "last four of the sender's contact phone on the label."
                )
            else:
                context["tracking"] = tracking
                context["steps"] = public_timeline(tracking)
    return render(request, "portals/public/track.html", context, status=status)
