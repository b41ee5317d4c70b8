"""Reverse management pages: the merchant's filterable list and actions, the warehouse's work lists."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse as url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.errors import ApplicationError
from firstmile.portals.access import portal_view
from firstmile.portals.imports import spreadsheet_import_page
from firstmile.portals.regions import build_picker
from firstmile.portals.views import parse_beijing_input
from firstmile.reverse.imports import TEMPLATE_HEADINGS, reverse_import_start
from firstmile.reverse.jobs import reverse_export_start
from firstmile.reverse.models import (
    BusinessMode,
    Disposition,
    ExceptionKind,
    ExceptionState,
    PickupMethod,
    ReverseStatus,
    ReverseType,
)
from firstmile.reverse.selectors import (
    TAB_LABELS,
    TABS,
    ReverseFilters,
    carrier_worklist,
    destruction_photo_get,
    page_after,
    reverse_get,
    reverse_list,
    reverse_timeline,
    tab_counts,
)
from firstmile.reverse.services import (
    confirm_destruction,
    exception_close,
    exception_raise,
    forward,
    hand_over,
    record_destruction,
    register_pickup,
    registration_validate,
    reverse_order_create,
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


def _back(request, default: str) -> str:
    """Where a form came from, if it is a page of this site; else ``default``."""
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def _ids_of(request) -> list[str]:
    return [i for value in request.POST.getlist("ids") + request.GET.getlist("ids") for i in value.split(",") if i]


@portal_view("merchant")
def reverse_register(request):
    """登记提货: fill in → confirm ("cannot be changed after submitting") → submit."""
    ids = _ids_of(request)
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
        done = confirm_destruction(actor=request.actor, reverse_order_ids=_ids_of(request))
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, _("Destruction confirmed for %(n)s reverse order(s): awaiting destruction.") % {"n": len(done)}
        )
    return redirect(_back(request, url("portals:merchant_reverse")))


# -- the consolidation warehouse ------------------------------------------------------------

WORKLISTS = [
    (ReverseStatus.AWAITING_PICKUP, ReverseStatus.AWAITING_PICKUP.label),
    (ReverseStatus.AWAITING_DESTRUCTION, ReverseStatus.AWAITING_DESTRUCTION.label),
    ("exceptions", ExceptionState.OPEN.label),
    (ReverseStatus.AWAITING_MERCHANT, ReverseStatus.AWAITING_MERCHANT.label),
]


@portal_view("carrier")
def carrier_reverse(request):
    status = request.GET.get("status", ReverseStatus.AWAITING_PICKUP)
    rows = carrier_worklist(actor=request.actor, status=status).prefetch_related("exceptions")[:200]
    return render(
        request,
        "portals/reverse/carrier_worklist.html",
        {"rows": rows, "status": status, "worklists": WORKLISTS, "exception_kinds": ExceptionKind.choices},
    )


@portal_view("carrier")
@require_POST
def carrier_reverse_action(request, reverse_order_id: int):
    action = request.POST.get("action")
    try:
        if action == "hand_over":
            hand_over(
                actor=request.actor,
                reverse_order_id=reverse_order_id,
                person_name=request.POST.get("person_name", ""),
                phone=request.POST.get("phone", ""),
            )
        elif action == "forward":
            forward(
                actor=request.actor, reverse_order_id=reverse_order_id, tracking_no=request.POST.get("tracking_no", "")
            )
        elif action == "destroyed":
            record_destruction(
                actor=request.actor,
                reverse_order_id=reverse_order_id,
                photo=request.FILES.get("photo"),
                destroyed_at=parse_beijing_input(request.POST.get("destroyed_at", ""), "destroyed_at"),
            )
        elif action == "exception":
            exception_raise(
                actor=request.actor,
                reverse_order_id=reverse_order_id,
                kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""),
            )
        elif action == "close_exception":
            exception_close(
                actor=request.actor,
                exception_id=int(request.POST.get("exception_id") or 0),
                resolution=request.POST.get("resolution", ""),
            )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Saved."))
    return redirect(_back(request, url("portals:carrier_reverse")))


@portal_view("carrier")
def carrier_reverse_import(request):
    return spreadsheet_import_page(
        request,
        starter=reverse_import_start,
        portal="carrier",
        template="portals/reverse/carrier_import.html",
        headings=TEMPLATE_HEADINGS,
    )


@portal_view("carrier")
def carrier_reverse_new(request):
    form = {key: request.POST.get(key, "").strip() for key in NEW_FIELDS}
    error = None
    if request.method == "POST":
        try:
            order = reverse_order_create(actor=request.actor, **form)
        except ApplicationError as err:
            error = err
        else:
            messages.success(request, _("Reverse order %(no)s raised.") % {"no": order.reverse_no})
            return redirect(url("portals:carrier_reverse") + "?status=awaiting_merchant")
    return render(
        request,
        "portals/reverse/carrier_new.html",
        {
            "form": form,
            "error": error,
            "types": ReverseType.choices,
            "dispositions": Disposition.choices,
            "modes": BusinessMode.choices,
        },
        status=400 if error else 200,
    )


NEW_FIELDS = (
    "merchant_code",
    "order_no",
    "sales_return_no",
    "reverse_type",
    "disposition",
    "business_mode",
    "warehouse_code",
    "warehouse_name",
    "owner_id",
    "owner_name",
    "product_id",
    "product_name",
    "goods_id",
    "goods_name",
)


def _photo_response(request, reverse_order_id: int):
    try:
        photo = destruction_photo_get(actor=request.actor, reverse_order_id=reverse_order_id)
    except ApplicationError:
        raise Http404
    return FileResponse(photo.open("rb"), filename=photo.name.rsplit("/", 1)[-1])


@portal_view("merchant")
def merchant_destruction_photo(request, reverse_order_id: int):
    return _photo_response(request, reverse_order_id)


@portal_view("carrier")
def carrier_destruction_photo(request, reverse_order_id: int):
    return _photo_response(request, reverse_order_id)
