"""The merchant's reverse orders (seed 003): the filterable list and export, the detail page,
registering pickup (single or batch, final once submitted) and confirming destruction."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse as url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.errors import ApplicationError
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker
from firstmile.portals.reverse_shared import back_to, destruction_photo_response, ids_of
from firstmile.portals.views import parse_beijing_input
from firstmile.reverse.jobs import reverse_export_start
from firstmile.reverse.models import (
    BusinessMode,
    ExceptionState,
    PickupMethod,
)
from firstmile.reverse.selectors import (
    TAB_LABELS,
    TABS,
    ReverseFilters,
    page_after,
    reverse_get,
    reverse_list,
    reverse_timeline,
    tab_counts,
)
from firstmile.reverse.services import (
    confirm_destruction,
    register_pickup,
    registration_validate,
)

FILTER_KEYS = [
    "number",
    "product",
    "goods",
    "warehouse",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "pickup_method",
    "exception_state",
    "owner",
    "business_mode",
    "sort",
]


def _query(request, **override) -> str:
    params = request.GET.copy()
    for key in ("cursor", *override):
        params.pop(key, None)
    for key, value in override.items():
        if value:
            params[key] = value
    return params.urlencode()


@portal_view("merchant")
def reverse_orders(request):
    try:
        filters = ReverseFilters.from_params(request.GET)
    except ApplicationError as err:
        messages.error(request, err.message)
        return redirect("portals:merchant_reverse")
    rows = reverse_list(actor=request.actor, filters=filters)
    try:
        page = page_after(rows, sort=filters.sort, cursor=request.GET.get("cursor"), size=50)
    except ApplicationError as err:
        messages.error(request, err.message)
        return redirect("portals:merchant_reverse")
    counts = tab_counts(actor=request.actor, filters=filters)
    return render(
        request,
        "portals/reverse/merchant_list.html",
        {
            "page": page,
            "filters": filters,
            "tabs": [(name, TAB_LABELS[name], counts[name], _query(request, tab=name)) for name in TABS],
            "next_query": _query(request, cursor=page.next_cursor) if page.next_cursor else "",
            "export_query": _query(request),
            "methods": PickupMethod.choices,
            "exception_states": ExceptionState.choices,
            "business_modes": BusinessMode.choices,
            "first_page": bool(request.GET.get("cursor")),
        },
    )


@portal_view("merchant")
def reverse_export(request):
    """The filtered list, exported on the worker; the job's page offers the file when done."""
    params = {key: request.GET.get(key) for key in request.GET if key not in ("format", "cursor")}
    job = reverse_export_start(
        actor=request.actor, params=params, file_format="csv" if request.GET.get("format") == "csv" else "xlsx"
    )
    return redirect("portals:merchant_job", job_id=job.pk)


@portal_view("merchant")
def reverse_detail(request, reverse_order_id: int):
    order = reverse_get(actor=request.actor, reverse_order_id=reverse_order_id)
    return render(
        request,
        "portals/reverse/merchant_detail.html",
        {"order": order, "timeline": reverse_timeline(actor=request.actor, order=order)},
    )


@portal_view("merchant")
def reverse_register(request):
    """登记提货: fill in → confirm ("cannot be changed after submitting") → submit."""
    ids = ids_of(request)
    orders = [reverse_get(actor=request.actor, reverse_order_id=int(i)) for i in ids if i.isdigit()][:500]
    form = {
        key: request.POST.get(key, "").strip()
        for key in (
            "method",
            "expected_pickup_at",
            "person_name",
            "recipient_name",
            "phone",
            "division",
            "address_detail",
            "note",
        )
    }
    form["method"] = form["method"] or PickupMethod.SELF_PICKUP
    stage, error, details = "form", None, None
    if request.method == "POST":
        try:
            arguments = {
                "method": form["method"],
                "phone": form["phone"],
                "expected_pickup_at": parse_beijing_input(form["expected_pickup_at"], "expected_pickup_at"),
                "person_name": form["person_name"],
                "recipient_name": form["recipient_name"],
                "division_code": form["division"],
                "address_detail": form["address_detail"],
                "note": form["note"],
            }
            if request.POST.get("confirmed") == "1":
                done = register_pickup(actor=request.actor, reverse_order_ids=[o.pk for o in orders], **arguments)
                messages.success(
                    request, _("Pickup registered for %(n)s reverse order(s): awaiting pickup.") % {"n": len(done)}
                )
                return redirect(url("portals:merchant_reverse"))
            details = registration_validate(**arguments)
            stage = "confirm"
        except ApplicationError as err:
            error = err
    return render(
        request,
        "portals/reverse/register.html",
        {
            "orders": orders,
            "ids": ",".join(str(o.pk) for o in orders),
            "form": form,
            "stage": stage,
            "error": error,
            "details": details,
            "picker": build_picker("division", form["division"]),
            "methods": PickupMethod.choices,
        },
        status=400 if error else 200,
    )


@portal_view("merchant")
@require_POST
def reverse_confirm_destruction(request):
    try:
        done = confirm_destruction(actor=request.actor, reverse_order_ids=ids_of(request))
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, _("Destruction confirmed for %(n)s reverse order(s): awaiting destruction.") % {"n": len(done)}
        )
    return redirect(back_to(request, url("portals:merchant_reverse")))


@portal_view("merchant")
def merchant_destruction_photo(request, reverse_order_id: int):
    return destruction_photo_response(request, reverse_order_id)
