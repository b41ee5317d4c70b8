from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from firstmile.carriers.selectors import carrier_list
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.selectors import merchant_pickups
from firstmile.pickup.imports import HEADINGS, warehouse_import_start
from firstmile.pickup.models import SubscriptionStatus
from firstmile.pickup.selectors import pickup_state, pickup_states, warehouse_get, warehouse_list, warehouse_timeline
from firstmile.pickup.services import subscription_cancel, warehouse_create, warehouse_update
from firstmile.portals.access import portal_view
from firstmile.portals.imports import spreadsheet_import_page
from firstmile.portals.regions import build_picker
from firstmile.portals.todo import merchant_todo
from firstmile.switchover.selectors import switch_notices

WAREHOUSE_FIELDS = ("name", "code", "contact_name", "phone", "division", "address_detail")


@portal_view("merchant")
def home(request):
    return render(
        request,
        "portals/merchant/home.html",
        {
            "todo": merchant_todo(request.actor),
            "pickups": merchant_pickups(actor=request.actor),
            "carriers": carrier_list(actor=request.actor),
            "picker": build_picker("division", None),
            "notices": switch_notices(actor=request.actor),
        },
    )


REQUEST_FILTERS = {
    SubscriptionStatus.PENDING_REVIEW: gettext_lazy("Pickup requests pending review"),
    SubscriptionStatus.REJECTED: gettext_lazy("Pickup requests rejected"),
}


@portal_view("merchant")
def warehouses(request):
    search = request.GET.get("q", "").strip()
    request_status = request.GET.get("request", "")
    if request_status not in REQUEST_FILTERS:
        request_status = ""
    rows = warehouse_list(actor=request.actor, search=search or None, request_status=request_status or None)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portals/merchant/warehouses.html",
        {
            "page": page,
            "states": pickup_states(page.object_list),
            "q": search,
            "request_status": request_status,
            "request_filters": REQUEST_FILTERS.items(),
            "query": query.urlencode(),
        },
    )


def _saved_message(request, saved):
    decision = saved.decision
    if decision is None:
        messages.info(request, _("Saved. Nothing the carrier sees changed, so no new pickup request."))
    elif decision.subscription_id:
        messages.success(
            request,
            _("Saved. Pickup requested from %(carrier)s, who reviews it within 24 hours.")
            % {"carrier": decision.carrier.display_name},
        )
    else:
        messages.warning(
            request,
            _("Saved. The address is outside every carrier's pickup coverage: ship by self-sending (DROP OFF)."),
        )


def _form_from(request) -> dict:
    form = {key: request.POST.get(key, "").strip() for key in WAREHOUSE_FIELDS}
    # Only surrounding whitespace goes: an added comma inside is a change.
    form["address_detail"] = request.POST.get("address_detail", "").strip()
    form["is_default"] = request.POST.get("is_default") == "on"
    return form


def _render_form(request, form, warehouse=None, error=None, status=200):
    return render(
        request,
        "portals/merchant/warehouse_form.html",
        {
            "form": form,
            "warehouse": warehouse,
            "picker": build_picker("division", form.get("division")),
            "error": error,
        },
        status=status,
    )


def _save(request, warehouse=None):
    form = _form_from(request)
    arguments = {
        "name": form["name"],
        "code": form["code"],
        "contact_name": form["contact_name"],
        "phone": form["phone"],
        "division_code": form["division"],
        "address_detail": form["address_detail"],
        "is_default": form["is_default"],
    }
    try:
        if warehouse is None:
            saved = warehouse_create(actor=request.actor, **arguments)
        else:
            saved = warehouse_update(actor=request.actor, warehouse_id=warehouse.pk, **arguments)
    except ApplicationError as err:
        return _render_form(request, form, warehouse, err, status=400)
    _saved_message(request, saved)
    return redirect("portals:merchant_warehouse", warehouse_id=saved.warehouse.pk)


@portal_view("merchant")
def warehouse_new(request):
    if request.method == "POST":
        return _save(request)
    return _render_form(request, {"is_default": False})


@portal_view("merchant")
def warehouse_edit(request, warehouse_id: int):
    warehouse = warehouse_get(actor=request.actor, warehouse_id=warehouse_id)
    if request.method == "POST":
        return _save(request, warehouse)
    form = {
        "name": warehouse.name,
        "code": warehouse.code,
        "contact_name": warehouse.contact_name,
        "phone": warehouse.phone_display,
        "division": warehouse.division_id,
        "address_detail": warehouse.address_detail,
        "is_default": warehouse.is_default,
    }
    return _render_form(request, form, warehouse)


@portal_view("merchant")
def warehouse_detail(request, warehouse_id: int):
    warehouse = warehouse_get(actor=request.actor, warehouse_id=warehouse_id)
    return render(
        request,
        "portals/merchant/warehouse_detail.html",
        {
            "warehouse": warehouse,
            "state": pickup_state(warehouse),
            "timeline": warehouse_timeline(actor=request.actor, warehouse=warehouse)[:100],
        },
    )


@portal_view("merchant")
@require_POST
def warehouse_cancel_pickup(request, warehouse_id: int):
    try:
        subscription_cancel(actor=request.actor, warehouse_id=warehouse_id)
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Pickup cancelled. This warehouse now ships by self-sending (DROP OFF)."))
    return redirect("portals:merchant_warehouse", warehouse_id=warehouse_id)


@portal_view("merchant")
def warehouse_import_view(request):
    return spreadsheet_import_page(
        request,
        starter=warehouse_import_start,
        portal="merchant",
        template="portals/merchant/warehouse_import.html",
        headings=HEADINGS,
    )
