"""Who may open which portal: each party its own, drivers only the driver page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role

PORTAL_OF_KIND = {
    OrganisationKind.MERCHANT: "merchant",
    OrganisationKind.CARRIER: "carrier",
    OrganisationKind.PLATFORM: "ops",
}


def portal_for(user) -> str | None:
    """The one portal a user lands on, or None if they may use none."""
    organisation = getattr(user, "organisation", None)
    if organisation is None or not organisation.is_active:
        return None
    if user.role == Role.DRIVER:
        return "driver" if organisation.kind == OrganisationKind.CARRIER else None
    return PORTAL_OF_KIND.get(organisation.kind)


def portal_view(portal: str):
    """Only users whose portal is ``portal`` get in; the view receives their Actor."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if portal_for(request.user) != portal:
                return render(request, "portals/forbidden.html", status=403)
            request.actor = Actor.for_user(request.user)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
