"""Webhooks in the merchant and carrier portals (endpoints, secrets, delivery log, replay) and for ops (all).

Every action is a service that checks the actor's role and organisation, so a
staff member posting here is refused exactly as through the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from firstmile.accounts.permissions import Operation, allows
from firstmile.core import error_codes as core_codes
from firstmile.core.errors import ApplicationError
from firstmile.events import catalogue
from firstmile.events.models import DeliveryStatus
from firstmile.events.selectors import attempt_list, delivery_get, delivery_list, endpoint_list
from firstmile.events.services import (
    deliveries_replay,
    delivery_replay,
    endpoint_create,
    endpoint_delete,
    endpoint_rotate_secret,
    endpoint_update,
)

from .access import portal_view
from .views import parse_beijing_input

PARTY_OF_PORTAL = {"merchant": "merchant", "carrier": "carrier", "ops": "platform"}


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _act(request):
    """One posted action; returns (endpoint, secret) when a secret is to be shown once."""
    actor, data = request.actor, request.POST
    action = data.get("action", "")
    endpoint_id = _int(data.get("endpoint_id"))
    if action == "create":
        return endpoint_create(
            actor=actor,
            url=data.get("url", ""),
            event_types=data.getlist("event_types"),
            description=data.get("description", ""),
        )
    if action == "rotate":
        return endpoint_rotate_secret(actor=actor, endpoint_id=endpoint_id)
    if action in ("enable", "disable"):
        endpoint_update(actor=actor, endpoint_id=endpoint_id, is_active=action == "enable")
        messages.success(request, _("Saved."))
    elif action == "types":
        endpoint_update(actor=actor, endpoint_id=endpoint_id, event_types=data.getlist("event_types"))
        messages.success(request, _("Saved."))
    elif action == "delete":
        endpoint_delete(actor=actor, endpoint_id=endpoint_id)
        messages.success(request, _("Endpoint deleted; its delivery log stays below."))
    elif action == "replay_range":
        since = parse_beijing_input(data.get("since", ""), "since")
        until = parse_beijing_input(data.get("until", ""), "until")
        if since is None or until is None:
            raise ApplicationError(core_codes.INVALID_INPUT, _("Give the start and end of the range."), field="since")
        n = deliveries_replay(
            actor=actor, endpoint_id=endpoint_id, since=since, until=until, only_failed=bool(data.get("only_failed"))
        )
        messages.success(request, _("%(n)s deliveries queued to be sent again.") % {"n": n})
    elif action == "replay":
        delivery_replay(actor=actor, delivery_id=_int(data.get("delivery_id")))
        messages.success(request, _("Queued to be sent again, with the same webhook-id."))
    else:
        raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown action."), field="action")
    return None


def _handle_post(request):
    try:
        return _act(request)
    except ApplicationError as err:
        if err.kind == 403:
            raise
        messages.error(request, err.message)
    return None


def _webhooks(request, portal: str):
    actor = request.actor
    shown = None
    if request.method == "POST":
        shown = _handle_post(request)
        if shown is None:
            return redirect(request.POST.get("next") or request.path)
    deliveries = delivery_list(
        actor=actor,
        endpoint_id=_int(request.GET.get("endpoint")),
        status=request.GET.get("status") if request.GET.get("status") in DeliveryStatus.values else None,
        event_type=request.GET.get("type") if catalogue.is_known(request.GET.get("type", "")) else None,
    )
    page = Paginator(deliveries, 50, allow_empty_first_page=True).get_page(request.GET.get("page"))
    context = {
        "base_template": f"portals/{portal}/base.html",
        "portal": portal,
        "endpoints": endpoint_list(actor=actor),
        "can_manage": allows(actor, Operation.WEBHOOK_MANAGE),
        "event_groups": catalogue.picker_groups(PARTY_OF_PORTAL[portal]),
        "shown": shown,
        "page": page,
        "statuses": DeliveryStatus.choices,
        "filters": request.GET,
    }
    return render(request, "portals/shared/webhooks.html", context)


def _delivery(request, portal: str, delivery_id: int):
    actor = request.actor
    if request.method == "POST":
        _handle_post(request)
        return redirect(request.path)
    found = delivery_get(actor=actor, delivery_id=delivery_id)
    return render(
        request,
        "portals/shared/webhook_delivery.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "delivery": found,
            "attempts": attempt_list(delivery=found),
            "can_manage": allows(actor, Operation.WEBHOOK_MANAGE)
            and found.endpoint.organisation_id == actor.organisation.pk,
        },
    )


def _views(portal: str):
    return (
        portal_view(portal)(lambda request: _webhooks(request, portal)),
        portal_view(portal)(lambda request, delivery_id: _delivery(request, portal, delivery_id)),
    )


merchant_webhooks, merchant_webhook_delivery = _views("merchant")
carrier_webhooks, carrier_webhook_delivery = _views("carrier")
ops_webhooks, ops_webhook_delivery = _views("ops")
