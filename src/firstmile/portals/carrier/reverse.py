"""The consolidation warehouse's reverse orders (seed 003): its work lists and their actions,
raising reverse orders one by one or from a spreadsheet."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse as url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.errors import ApplicationError
from firstmile.portals.access import portal_view
from firstmile.portals.imports import spreadsheet_import_page
from firstmile.portals.reverse_shared import back_to, destruction_photo_response
from firstmile.portals.views import parse_beijing_input
from firstmile.reverse.imports import HEADINGS, reverse_import_start
from firstmile.reverse.models import (
    BusinessMode,
    Disposition,
    ExceptionKind,
    ExceptionState,
    ReverseStatus,
    ReverseType,
)
from firstmile.reverse.selectors import carrier_worklist, consolidation_list
from firstmile.reverse.services import (
    exception_close,
    exception_raise,
    forward,
    hand_over,
    record_destruction,
    reverse_order_create,
)

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
        {
            "rows": rows,
            "status": status,
            "worklists": WORKLISTS,
            "exception_kinds": ExceptionKind.choices,
            # A carrier that consolidates for nobody raises no reverse orders: no button to.
            "consolidates": consolidation_list(actor=request.actor).exists(),
        },
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
    return redirect(back_to(request, url("portals:carrier_reverse")))


@portal_view("carrier")
def carrier_reverse_import(request):
    return spreadsheet_import_page(
        request,
        starter=reverse_import_start,
        portal="carrier",
        template="portals/reverse/carrier_import.html",
        headings=HEADINGS,
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


@portal_view("carrier")
def carrier_destruction_photo(request, reverse_order_id: int):
    return destruction_photo_response(request, reverse_order_id)
