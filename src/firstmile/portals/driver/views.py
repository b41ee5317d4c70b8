from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.carriers.selectors import sorting_centre_list
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.models import ContactOutcome, Driver, FailureReason
from firstmile.dispatch.selectors import driver_stops
from firstmile.dispatch.services import contact_record, pickup_fail, scan_pickup_any, stop_proof_add, task_close
from firstmile.portals.access import portal_view
from firstmile.portals.scans import collected_message


@portal_view("driver")
def home(request):
    driver = Driver.objects.select_related("carrier").filter(user=request.user).first()
    return render(
        request,
        "portals/driver/home.html",
        {
            "driver": driver,
            "carrier": driver.carrier if driver else None,
            "stops": driver_stops(driver=driver) if driver else [],
            "sorting_centres": sorting_centre_list(carrier=driver.carrier) if driver else [],
            "outcomes": ContactOutcome.choices,
            "failure_reasons": FailureReason.choices,
        },
    )


@portal_view("driver")
@require_POST
def scan(request):
    try:
        result = scan_pickup_any(actor=request.actor, number=request.POST.get("waybill_no", ""))
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, collected_message(result))
    return redirect("portals:driver_home")


@portal_view("driver")
@require_POST
def contact(request, task_id: int):
    try:
        contact_record(
            actor=request.actor,
            task_id=task_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Call recorded."))
    return redirect("portals:driver_home")


@portal_view("driver")
@require_POST
def close(request, task_id: int):
    try:
        task = task_close(actor=request.actor, task_id=task_id)
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Stop %(name)s closed.") % {"name": task.warehouse.name})
    return redirect("portals:driver_home")


@portal_view("driver")
@require_POST
def fail(request, task_id: int):
    try:
        failure = pickup_fail(
            actor=request.actor,
            task_id=task_id,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _("Pickup failure recorded: %(reason)s. %(n)s parcel(s) will be retried on %(day)s.")
            % {"reason": failure.get_reason_display(), "n": failure.parcels_left, "day": failure.retry_on},
        )
    return redirect("portals:driver_home")


@portal_view("driver")
@require_POST
def proof(request, task_id: int):
    try:
        stop_proof_add(
            actor=request.actor,
            task_id=task_id,
            photo=request.FILES.get("photo"),
            latitude=request.POST.get("latitude", ""),
            longitude=request.POST.get("longitude", ""),
            accuracy=request.POST.get("accuracy", ""),
        )
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Proof of pickup saved."))
    return redirect("portals:driver_home")
