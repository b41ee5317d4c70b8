from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from firstmile.carriers.selectors import carrier_of, coverage_list, sorting_centre_list
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError
from firstmile.pickup.models import RejectReason, SubscriptionStatus
from firstmile.pickup.selectors import review_queue, subscription_get, subscription_timeline
from firstmile.pickup.services import subscription_approve, subscription_reject
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker
from firstmile.portals.todo import carrier_todo
from firstmile.reverse.selectors import consolidation_list


@portal_view("carrier")
def home(request):
    carrier = carrier_of(request.actor)
    return render(
        request,
        "portals/carrier/home.html",
        {
            "carrier": carrier,
            "todo": carrier_todo(request.actor),
            "sorting_centres": sorting_centre_list(carrier=carrier) if carrier else [],
            "coverage": coverage_list(actor=request.actor, at=now()) if carrier else [],
            "can_create_reverse": carrier is not None and consolidation_list(actor=request.actor).exists(),
        },
    )


STATUS_TABS = [
    (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.PENDING_REVIEW.label),
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.ACTIVE.label),
    (SubscriptionStatus.REJECTED, SubscriptionStatus.REJECTED.label),
    ("all", gettext_lazy("All")),
]


def _filters(params) -> dict:
    status = params.get("status", SubscriptionStatus.PENDING_REVIEW)
    hours = params.get("older_than_hours", "")
    return {
        "status": status,
        "area": params.get("area", ""),
        "overdue": params.get("overdue") == "1",
        "older_than_hours": int(hours) if hours.isdigit() else None,
    }


@portal_view("carrier")
def pickup_requests(request):
    filters = _filters(request.GET)
    moment = now()
    rows = review_queue(
        actor=request.actor,
        status=None if filters["status"] == "all" else filters["status"],
        area=filters["area"] or None,
        overdue=True if filters["overdue"] else None,
        older_than_hours=filters["older_than_hours"],
        at=moment,
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portals/carrier/pickup_requests.html",
        {
            "page": page,
            "filters": filters,
            "tabs": STATUS_TABS,
            "now": moment,
            "picker": build_picker("area", filters["area"]),
            "reasons": RejectReason.choices,
            "query": query.urlencode(),
        },
    )


@portal_view("carrier")
def pickup_request(request, subscription_id: int):
    """One pickup request: the address as the merchant saved it, the review clock, the decision and history."""
    subscription = subscription_get(actor=request.actor, subscription_id=subscription_id)
    return render(
        request,
        "portals/carrier/pickup_request.html",
        {
            "r": subscription,
            "now": now(),
            "reasons": RejectReason.choices,
            "timeline": subscription_timeline(actor=request.actor, subscription=subscription)[:100],
        },
    )


@portal_view("carrier")
@require_POST
def pickup_requests_decide(request):
    ids = request.POST.getlist("ids")
    action = request.POST.get("action")
    try:
        if action == "approve":
            n = subscription_approve(actor=request.actor, subscription_ids=ids)
            messages.success(request, _("%(n)s pickup request(s) approved.") % {"n": n})
        elif action == "reject":
            n = subscription_reject(
                actor=request.actor,
                subscription_ids=ids,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("%(n)s pickup request(s) rejected.") % {"n": n})
        else:
            messages.error(request, _("Choose approve or reject."))
    except ApplicationError as err:
        messages.error(request, err.message)
    if request.POST.get("from_detail") and len(ids) == 1 and ids[0].isdigit():
        return redirect("portals:carrier_pickup_request", subscription_id=int(ids[0]))
    back = request.POST.get("back", "")
    return redirect(reverse("portals:carrier_pickup_requests") + (f"?{back}" if back else ""))
