"""People & integrations: an organisation's admins manage users, API tokens and (carriers) settings.

One page for the merchant, carrier and ops portals; every action is a service
that checks the actor's role, so a staff member who posts here gets the same 403
as through the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_time
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstmile.accounts.models import Role
from firstmile.accounts.permissions import Operation, allows
from firstmile.accounts.selectors import api_token_list, organisation_list, user_list
from firstmile.accounts.services import (
    api_token_issue,
    api_token_revoke,
    user_create,
    user_password_set,
    user_update,
)
from firstmile.carriers.selectors import carrier_of, coverage_request_list
from firstmile.carriers.services import carrier_settings_update, coverage_request_submit
from firstmile.core import error_codes as core_codes
from firstmile.core.errors import ApplicationError, Forbidden

from .access import portal_view
from .regions import build_picker
from .views import parse_beijing_input

ROLE_CHOICES = {
    "merchant": [Role.ADMIN, Role.STAFF],
    "carrier": [Role.ADMIN, Role.STAFF, Role.DRIVER],
    "ops": [Role.ADMIN, Role.STAFF],
}


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _act(request, portal: str):
    """Run one posted action; returns the plaintext of a new token, shown once."""
    actor, data = request.actor, request.POST
    action = data.get("action", "")
    if action == "add_user":
        user = user_create(
            actor=actor,
            organisation=actor.organisation,
            username=data.get("username", ""),
            password=data.get("password", ""),
            role=data.get("role", ""),
            first_name=data.get("first_name", ""),
        )
        messages.success(request, _("Added %(user)s.") % {"user": user.username})
    elif action == "set_role":
        user = user_update(actor=actor, user_id=_int(data.get("user_id")), role=data.get("role", ""))
        messages.success(
            request, _("%(user)s is now %(role)s.") % {"user": user.username, "role": user.get_role_display()}
        )
    elif action in ("deactivate", "activate"):
        user = user_update(actor=actor, user_id=_int(data.get("user_id")), is_active=action == "activate")
        messages.success(request, _("Saved %(user)s.") % {"user": user.username})
    elif action == "set_password":
        user = user_password_set(actor=actor, user_id=_int(data.get("user_id")), password=data.get("password", ""))
        messages.success(request, _("New password set for %(user)s.") % {"user": user.username})
    elif action == "issue_token":
        token, secret = api_token_issue(
            actor=actor, organisation=actor.organisation, name=data.get("name", ""), role=data.get("role", "")
        )
        return token, secret
    elif action == "revoke_token":
        token = api_token_revoke(actor=actor, token_id=_int(data.get("token_id")))
        messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    elif action == "carrier_settings":
        carrier = carrier_of(actor)
        if carrier is None:
            # Only a carrier's own people keep its hotline here; operations use the API.
            raise Forbidden(core_codes.FORBIDDEN, _("Only a carrier's administrators keep its service settings here."))
        opens, closes = parse_time(data.get("service_opens", "")), parse_time(data.get("service_closes", ""))
        if opens is None or closes is None:
            raise ApplicationError(
                "invalid_input", _("Give opening and closing times as HH:MM."), field="service_opens"
            )
        carrier_settings_update(
            actor=actor,
            carrier_code=carrier.code,
            hotline=data.get("hotline", ""),
            service_opens=opens,
            service_closes=closes,
            service_weekdays="".join(data.getlist("service_weekdays")),
        )
        messages.success(request, _("Settings saved."))
    elif action == "coverage_request":
        valid_from = parse_beijing_input(data.get("valid_from", ""), "valid_from")
        if valid_from is None:
            raise ApplicationError(
                core_codes.INVALID_INPUT, _("Enter the start as a Beijing date and time."), field="valid_from"
            )
        coverage_request_submit(
            actor=actor, division_code=data.get("division", ""), valid_from=valid_from, note=data.get("note", "")
        )
        messages.success(request, _("Coverage request sent to platform operations."))
    else:
        raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown action."), field="action")
    return None


def _people(request, portal: str):
    actor = request.actor
    issued = None
    if request.method == "POST":
        try:
            issued = _act(request, portal)
        except ApplicationError as err:
            if err.kind == 403:
                raise  # the role may not use this page at all: the 403 page, not a message
            messages.error(request, err.message)
        if issued is None:
            return redirect(request.path)
    # Operations sees every organisation's people: a column and a filter say whose.
    organisation_id = _int(request.GET.get("organisation")) if portal == "ops" else None
    context = {
        "base_template": f"portals/{portal}/base.html",
        "portal": portal,
        "organisation_id": organisation_id,
        "organisations": organisation_list(actor=actor) if portal == "ops" else [],
        # 403 for anyone but the organisation's admins
        "users": user_list(actor=actor, organisation_id=organisation_id),
        "tokens": api_token_list(actor=actor).select_related("created_by", "created_by_token"),
        "roles": [(r.value, r.label) for r in ROLE_CHOICES[portal] if r != Role.DRIVER],
        "token_roles": [(r.value, r.label) for r in (Role.ADMIN, Role.STAFF)],
        "issued": issued,
        "carrier": carrier_of(actor) if allows(actor, Operation.CARRIER_SETTINGS) and actor.is_carrier else None,
        "coverage_requests": coverage_request_list(actor=actor)[:100]
        if allows(actor, Operation.COVERAGE_REQUEST)
        else None,
        "picker": build_picker("division", None),
        "weekdays": [(str(d), label) for d, label in enumerate(WEEKDAYS, start=1)],
    }
    return render(request, "portals/shared/people.html", context)


WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)

merchant_people = portal_view("merchant")(lambda request: _people(request, "merchant"))
carrier_people = portal_view("carrier")(lambda request: _people(request, "carrier"))
ops_people = portal_view("ops")(lambda request: _people(request, "ops"))
