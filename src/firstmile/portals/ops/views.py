from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.accounts.models import OrganisationKind
from firstmile.accounts.permissions import Operation, allows
from firstmile.accounts.selectors import api_token_list, organisation_by_id, organisation_list, user_list
from firstmile.carriers.selectors import (
    carrier_get,
    carrier_list,
    carrier_of_organisation,
    coverage_list,
    coverage_request_list,
    sorting_centre_list,
)
from firstmile.carriers.services import coverage_assign, coverage_request_decide
from firstmile.core import error_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError
from firstmile.events.selectors import event_list
from firstmile.pickup.selectors import warehouse_list
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker
from firstmile.portals.todo import ops_todo
from firstmile.portals.views import parse_beijing_input
from firstmile.reverse.selectors import consolidation_list
from firstmile.reverse.services import consolidation_agree, consolidation_end


@portal_view("ops")
def home(request):
    organisations = organisation_list(actor=request.actor)
    return render(
        request,
        "portals/ops/home.html",
        {
            "todo": ops_todo(request.actor),
            "carriers": carrier_list(actor=request.actor),
            "kind_counts": organisations.values("kind").annotate(n=Count("id")).order_by("kind"),
            "coverage_now": coverage_list(actor=request.actor, at=now()).count(),
        },
    )


@portal_view("ops")
def coverage(request):
    form = {"division": "", "carrier": "", "valid_from": ""}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        try:
            valid_from = parse_beijing_input(form["valid_from"], "valid_from")
            if valid_from is None:
                raise ApplicationError(
                    error_codes.INVALID_INPUT, _("Enter the start as a Beijing date and time."), field="valid_from"
                )
            if not form["division"]:
                raise ApplicationError(error_codes.INVALID_INPUT, _("Pick a region."), field="division")
            assigned = coverage_assign(
                actor=request.actor,
                division_code=form["division"],
                carrier=carrier_get(form["carrier"]),
                valid_from=valid_from,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(area)s is served by %(carrier)s from %(start)s.")
                % {
                    "area": assigned.division.name,
                    "carrier": assigned.carrier.display_name,
                    "start": form["valid_from"].replace("T", " "),
                },
            )
            return redirect("portals:ops_coverage")
    moment = now()
    rows = coverage_list(actor=request.actor)
    return render(
        request,
        "portals/ops/coverage.html",
        {
            "current": rows.filter(valid_from__lte=moment).exclude(valid_to__lte=moment),
            "planned": rows.filter(valid_from__gt=moment),
            "coverage_requests": coverage_request_list(actor=request.actor, status="pending")[:200],
            "carriers": carrier_list(actor=request.actor),
            "form": form,
            "picker": build_picker("division", form["division"]),
            "check_picker": build_picker("area", None),
        },
    )


@portal_view("ops")
def organisations(request):
    return render(
        request,
        "portals/ops/organisations.html",
        {"organisations": organisation_list(actor=request.actor).annotate(user_count=Count("users"))},
    )


@portal_view("ops")
def organisation(request, organisation_id: int):
    """One organisation: its people and tokens (for admins), its warehouses or its carrier's coverage
    and sorting centres, and what happened to it lately."""
    actor = request.actor
    org = organisation_by_id(actor=actor, organisation_id=organisation_id)
    carrier = carrier_of_organisation(org)
    may_manage = allows(actor, Operation.USER_MANAGE)
    may_manage_tokens = allows(actor, Operation.TOKEN_MANAGE)
    return render(
        request,
        "portals/ops/organisation.html",
        {
            "org": org,
            "carrier": carrier,
            "users": user_list(actor=actor, organisation_id=org.pk) if may_manage else None,
            "tokens": api_token_list(actor=actor).filter(organisation=org) if may_manage_tokens else None,
            "warehouses": warehouse_list(actor=actor).filter(merchant=org)[:200]
            if org.kind == OrganisationKind.MERCHANT
            else None,
            "coverage": coverage_list(actor=actor, at=now(), carrier_code=carrier.code)[:500] if carrier else None,
            "sorting_centres": sorting_centre_list(carrier=carrier) if carrier else None,
            "timeline": event_list(actor=actor)
            .filter(Q(owner=org) | Q(actor_organisation=org))
            .select_related("actor_user", "actor_organisation")[:50],
        },
    )


@portal_view("ops")
def consolidation(request):
    """Which carrier's consolidation warehouse may raise reverse orders for which merchant."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "end":
                agreement_id = request.POST.get("agreement_id", "")
                agreement = consolidation_end(
                    actor=request.actor, agreement_id=int(agreement_id) if agreement_id.isdigit() else 0
                )
                messages.success(
                    request, _("Agreement with %(merchant)s ended.") % {"merchant": agreement.merchant.name}
                )
            else:
                agreement = consolidation_agree(
                    actor=request.actor,
                    carrier_code=request.POST.get("carrier_code", ""),
                    merchant_code=request.POST.get("merchant_code", ""),
                )
                messages.success(
                    request,
                    _("%(carrier)s now consolidates for %(merchant)s.")
                    % {"carrier": agreement.carrier.display_name, "merchant": agreement.merchant.name},
                )
        except ApplicationError as err:
            if err.kind == 403:
                raise
            messages.error(request, err.message)
        return redirect("portals:ops_consolidation")
    return render(
        request,
        "portals/ops/consolidation.html",
        {
            "agreements": consolidation_list(actor=request.actor),
            "carriers": carrier_list(actor=request.actor),
            "merchants": organisation_list(actor=request.actor, kind="merchant"),
        },
    )


@portal_view("ops")
@require_POST
def coverage_request_decision(request, request_id: int):
    try:
        decided = coverage_request_decide(
            actor=request.actor,
            request_id=request_id,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        if exc.kind == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Coverage request of %(carrier)s for %(area)s: %(status)s.")
            % {
                "carrier": decided.carrier.display_name,
                "area": decided.division.name,
                "status": decided.get_status_display(),
            },
        )
    return redirect("portals:ops_coverage")
