import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.pagination import paginate
from pydantic import StringConstraints

from firstmile.bundles.api import BundleOut
from firstmile.bundles.selectors import bundle_of_waybill
from firstmile.core.errors import ApplicationError, NotFound
from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import IMAGES, PDF, file_response
from firstmile.core.types import Date, Id, TimeOfDay
from firstmile.events import catalogue
from firstmile.shipping.api import ItemError, WaybillOut
from firstmile.shipping.selectors import waybill_get

from . import error_codes
from .handover_pdf import render_handover_pdf
from .models import FailureReason, HandoverKind, HandoverStatus
from .selectors import (
    attention,
    drivers,
    handover_get,
    handover_lists,
    handover_sheet,
    proof_get,
    routes,
    shifts_of_day,
    task_board,
    window_loads,
)
from .services import (
    ROUTE_MAX_AREAS,
    BundleScan,
    bundle_check_finish,
    bundle_check_scan,
    day_plan,
    driver_create,
    handover_confirm,
    pickup_fail,
    roster_set,
    route_create,
    scan_inbound_any,
    scan_pickup_any,
    stop_proof_add,
    task_assign,
    task_close,
)
from .tracking import STATUSES, TAGS, sla_clocks, tracking_of, tracking_timeline

router = Router()


class PlanIn(Schema):
    date: Date | None = Field(None, description="Beijing date; today if omitted")


class PlanOut(Schema):
    date: dt.date
    shifts: int
    tasks: int
    parcels_linked: int
    parcels_rolled_over: int
    assigned: int
    unassigned: int


class TaskOut(Schema):
    id: int
    date: dt.date
    status: str
    warehouse_code: str = Field(..., alias="warehouse.code")
    warehouse_name: str = Field(..., alias="warehouse.name")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    contact_name: str = Field(..., alias="warehouse.contact_name")
    phone: str = Field(..., alias="warehouse.phone")
    division_code: str = Field(..., alias="warehouse.division_id")
    address_detail: str = Field(..., alias="warehouse.address_detail")
    shift_id: int | None
    driver: str | None
    sequence: int
    window_starts_at: TimeOfDay | None = Field(None, description="earliest booked pickup window of the stop (Beijing)")
    window_ends_at: TimeOfDay | None = None
    parcel_count: int
    waiting: int

    @staticmethod
    def resolve_driver(obj):
        return obj.shift.driver.name if obj.shift_id else None


class ShiftOut(Schema):
    id: int
    date: dt.date
    driver: str = Field(..., alias="driver.name")
    driver_phone: str = Field(..., alias="driver.phone")
    route: str = Field(..., alias="route.name")
    capacity: int
    load: int


class AssignIn(Schema):
    shift_id: Id | None = Field(None, description="null takes the stop off any shift")


class DriverIn(Schema):
    name: str = Field(..., max_length=50)
    phone: str = Field(..., max_length=32)
    username: str = Field("", max_length=150, description="a login for the driver page (optional)")
    password: str = Field("", max_length=128)


class DriverOut(Schema):
    id: int
    name: str
    phone: str
    is_active: bool


class RouteIn(Schema):
    name: str = Field(..., max_length=50)
    division_codes: list[Annotated[str, StringConstraints(max_length=12)]] = Field(
        ..., min_length=1, max_length=ROUTE_MAX_AREAS
    )


class RouteOut(Schema):
    id: int
    name: str
    division_codes: list[str]

    @staticmethod
    def resolve_division_codes(obj):
        return sorted(d.code for d in obj.divisions.all())


class RosterIn(Schema):
    driver_id: Id
    route_id: Id
    day_type: str = Field(..., description="weekday or weekend")
    capacity: int = Field(20, ge=1, le=200)


class RosterOut(Schema):
    id: int
    driver_id: Id
    route_id: Id
    day_type: str
    capacity: int


class ScanIn(Schema):
    waybill_no: str = Field(..., max_length=40, description="a waybill number, or a bundle's (FB…)")


class InboundIn(ScanIn):
    sorting_centre: str = Field(..., description="sorting centre code")


class BundleScannedOut(Schema):
    number: str
    status: str
    parcels: int = Field(..., description="parcels collected or received by this scan")
    left_out: list[str] = Field(..., description="labels voided since they were bound: taken out, not carried")


class ScannedOut(Schema):
    waybill: WaybillOut | None = Field(None, description="the parcel scanned; null when a bundle was scanned")
    bundle: BundleScannedOut | None = Field(None, description="the bundle scanned: every parcel in it moved at once")
    at: dt.datetime


def _scanned(result, at_field: str) -> dict:
    if isinstance(result, BundleScan):
        bundle = result.bundle
        at = bundle.collected_at if at_field == "collected_at" else bundle.received_at
        return {
            "bundle": {
                "number": bundle.number,
                "status": bundle.status,
                "parcels": result.parcels,
                "left_out": result.skipped,
            },
            "at": at,
        }
    return {"waybill": result, "at": getattr(result, at_field)}


@router.post("/dispatch/plan", response=PlanOut, summary="Plan a day: shifts, tasks (with leftovers), assignment")
def plan(request, payload: PlanIn):
    return day_plan(actor=request.auth, day=payload.date)


@router.get("/dispatch/tasks", response=list[TaskOut], summary="Pickup tasks of a day")
def tasks(request, date: Date | None = None):
    return list(task_board(actor=request.auth, day=date))


class WindowLoadOut(Schema):
    window_id: int = Field(..., alias="window.pk")
    division_code: str = Field(..., alias="window.division_id")
    starts_at: TimeOfDay = Field(..., alias="window.starts_at")
    ends_at: TimeOfDay = Field(..., alias="window.ends_at")
    capacity: int = Field(..., alias="window.capacity")
    booked: int
    remaining: int
    stops: int


@router.get(
    "/dispatch/windows",
    response=list[WindowLoadOut],
    summary="A day's pickup windows with the parcels booked in them and the stops they make",
)
def window_load(request, date: Date | None = None):
    return window_loads(actor=request.auth, day=date)


@router.get("/dispatch/shifts", response=list[ShiftOut], summary="Shifts of a day")
def shifts(request, date: Date | None = None):
    return list(shifts_of_day(actor=request.auth, day=date))


@router.post("/dispatch/tasks/{int:task_id}/assign", response=TaskOut, summary="Put a stop on a shift (override)")
def assign(request, task_id: int, payload: AssignIn):
    task = task_assign(actor=request.auth, task_id=task_id, shift_id=payload.shift_id)
    return task_board(actor=request.auth, day=task.date).get(pk=task.pk)


@router.post("/dispatch/tasks/{int:task_id}/close", response=TaskOut, summary="Close a stop")
def close(request, task_id: int):
    task = task_close(actor=request.auth, task_id=task_id)
    return task_board(actor=request.auth, day=task.date).get(pk=task.pk)


class FailIn(Schema):
    reason: FailureReason = Field(..., description="why the pickup did not happen")
    note: str = Field("", max_length=200, description="required when the reason is other")


class FailureOut(Schema):
    id: int
    task_id: int
    date: dt.date = Field(..., alias="task.date")
    warehouse_code: str = Field(..., alias="warehouse.code")
    warehouse_name: str = Field(..., alias="warehouse.name")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    carrier: str = Field(..., alias="carrier.code")
    reason: str
    reason_label: str = Field(..., alias="get_reason_display")
    note: str
    parcels_left: int
    retry_on: dt.date
    created_at: dt.datetime


class ReviewDueOut(Schema):
    subscription_id: int = Field(..., alias="id")
    warehouse_code: str = Field(..., alias="warehouse.code")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    carrier: str = Field(..., alias="carrier.code")
    requested_at: dt.datetime
    review_due_at: dt.datetime


class ParcelOut(Schema):
    waybill_no: str
    status: str
    carrier: str = Field(..., alias="carrier.code")
    warehouse_code: str = Field(..., alias="warehouse.code")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    issued_at: dt.datetime


class FlaggedOut(ParcelOut):
    waybill_no: str = Field(..., alias="waybill.waybill_no")
    status: str = Field(..., alias="waybill.status")
    carrier: str = Field(..., alias="waybill.carrier.code")
    warehouse_code: str = Field(..., alias="waybill.warehouse.code")
    merchant: str = Field(..., alias="waybill.warehouse.merchant.name")
    issued_at: dt.datetime = Field(..., alias="waybill.issued_at")
    failed_attempts: int
    waiting_since: dt.date = Field(..., alias="first_task_date")


class AttentionOut(Schema):
    overdue_review_count: int
    overdue_reviews: list[ReviewDueOut]
    failure_days: int
    failure_count: int
    failures: list[FailureOut]
    failure_limit: int
    flagged_count: int
    flagged: list[FlaggedOut]
    stale_hours: int
    stale_count: int
    stale: list[ParcelOut]
    risk_hours: int = Field(..., description="Due within this many hours counts as at risk (FIRSTMILE_SLA_RISK_HOURS)")
    late_collection_count: int = Field(..., description="PICK UP parcels past their collect-by")
    late_collection: list[ParcelOut]
    due_collection_count: int = Field(..., description="PICK UP parcels due to be collected within the risk hours")
    due_collection: list[ParcelOut]
    late_inbound_count: int = Field(..., description="Collected parcels past their inbound-by")
    late_inbound: list[ParcelOut]


@router.post(
    "/dispatch/tasks/{int:task_id}/fail",
    response=FailureOut,
    summary="Record a failed pickup at a stop with its reason; its parcels are retried the next day",
)
def fail(request, task_id: int, payload: FailIn):
    return pickup_fail(actor=request.auth, task_id=task_id, reason=payload.reason, note=payload.note)


class ProofOut(Schema):
    id: int
    task_id: int
    latitude: float | None
    longitude: float | None
    accuracy_m: int | None
    photo_url: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_photo_url(obj):
        return f"/api/v1/dispatch/proofs/{obj.pk}/photo" if obj.photo else None


@router.post(
    "/dispatch/tasks/{int:task_id}/proofs",
    response={201: ProofOut},
    summary="Proof of pickup at a stop: a photo (JPEG/PNG/WebP/GIF, ≤ 10 MB) and/or the position",
)
def add_proof(
    request,
    task_id: int,
    photo: File[UploadedFile] = None,
    latitude: Form[str] = "",
    longitude: Form[str] = "",
    accuracy: Form[str] = "",
):
    proof = stop_proof_add(
        actor=request.auth, task_id=task_id, photo=photo, latitude=latitude, longitude=longitude, accuracy=accuracy
    )
    return 201, proof


@router.get(
    "/dispatch/proofs/{int:proof_id}/photo",
    summary="A proof-of-pickup photo",
    response={200: None},
    openapi_extra=file_response(*IMAGES, description="The photo as uploaded (JPEG, PNG, WebP or GIF)"),
)
def proof_photo(request, proof_id: int):
    proof = proof_get(actor=request.auth, proof_id=proof_id)
    if not proof.photo:
        raise NotFound(error_codes.PROOF_NOT_FOUND, _("This proof has no photo."), field="proof_id")
    return FileResponse(proof.photo.open("rb"), filename=proof.photo.name.rsplit("/", 1)[-1])


@router.get(
    "/attention",
    response=AttentionOut,
    summary="Needs attention: overdue reviews, failed pickups, flagged and stale parcels (your own; ops: all)",
)
def needs_attention(request):
    return attention(actor=request.auth)


@router.get("/dispatch/drivers", response=list[DriverOut])
def list_drivers(request):
    return list(drivers(actor=request.auth))


@router.post("/dispatch/drivers", response={201: DriverOut})
def create_driver(request, payload: DriverIn):
    return 201, driver_create(actor=request.auth, **payload.dict())


@router.get("/dispatch/routes", response=list[RouteOut])
def list_routes(request):
    return list(routes(actor=request.auth))


@router.post("/dispatch/routes", response={201: RouteOut})
def create_route(request, payload: RouteIn):
    return 201, route_create(actor=request.auth, name=payload.name, division_codes=payload.division_codes)


@router.post("/dispatch/roster", response=RosterOut, summary="Set a driver's weekday or weekend route")
def set_roster(request, payload: RosterIn):
    return roster_set(actor=request.auth, **payload.dict())


class PickupScanIn(ScanIn):
    task_id: int | None = Field(None, description="the stop being worked: a parcel of another warehouse is refused")


@router.post(
    "/scans/pickup",
    response=ScannedOut,
    summary="Driver: scan a parcel (or a bundle: all its parcels) at the warehouse",
)
def pickup_scan(request, payload: PickupScanIn):
    result = scan_pickup_any(actor=request.auth, number=payload.waybill_no, task_id=payload.task_id)
    return _scanned(result, "collected_at")


class StopScansIn(Schema):
    waybill_nos: list[Annotated[str, Field(max_length=32)]] = Field(..., min_length=1, max_length=200)


class StopScanResult(Schema):
    waybill_no: str
    ok: bool
    error: ItemError | None = None


class StopScansOut(Schema):
    collected: int
    failed: int
    handover_id: int | None
    handover_number: str | None
    results: list[StopScanResult]


@router.post(
    "/dispatch/tasks/{int:task_id}/scans",
    response=StopScansOut,
    summary="Driver: scan up to 200 parcels at a stop at once; each one succeeds or fails on its own",
)
def stop_scans(request, task_id: int, payload: StopScansIn):
    results = []
    for number in payload.waybill_nos:
        try:
            scan_pickup_any(actor=request.auth, number=number, task_id=task_id)
        except ApplicationError as err:
            if err.field == "task_id" or err.kind in (401, 403):
                raise  # the stop itself is wrong: no item could succeed
            results.append({"waybill_no": number, "ok": False, "error": err.as_dict()})
        else:
            results.append({"waybill_no": number, "ok": True})
    collected = sum(1 for r in results if r["ok"])
    handover = handover_lists(actor=request.auth, status=HandoverStatus.OPEN).filter(task_id=task_id).first()
    return {
        "collected": collected,
        "failed": len(results) - collected,
        "handover_id": handover.pk if handover else None,
        "handover_number": handover.number if handover else None,
        "results": results,
    }


class HandoverOut(Schema):
    id: int
    number: str
    kind: HandoverKind
    status: HandoverStatus
    date: dt.date
    carrier: str = Field(..., alias="carrier.code")
    merchant_id: int
    warehouse_id: int | None
    task_id: int | None
    driver: str | None = Field(None, alias="driver.name")
    sorting_centre: str | None = Field(None, alias="sorting_centre.code")
    amends: str | None = Field(None, alias="amends.number")
    parcel_count: int
    missing_count: int
    weight_kg: Decimal | None
    signer_name: str
    confirmed_at: dt.datetime | None
    created_at: dt.datetime
    pdf_url: str

    @staticmethod
    def resolve_pdf_url(obj):
        return f"/api/v1/handover-lists/{obj.pk}/pdf"


class HandoverDetailOut(HandoverOut):
    handed: list[str]
    missing: list[str] = Field(..., description="on the merchant's list but not scanned (live while open)")


class HandoverConfirmIn(Schema):
    signer_name: str = Field(..., max_length=200)
    signature: str = Field(..., description="the contact's drawn signature: a PNG as a data URL or base64, ≤ 512 KB")
    weight_kg: Decimal | None = Field(None, description="total weight, if weighed")


def _detail(request, handover_id: int):
    sheet = handover_sheet(handover_get(actor=request.auth, handover_id=handover_id))
    handover = sheet.handover
    handover.handed, handover.missing = sheet.handed, sheet.missing
    handover.missing_count = len(sheet.missing)
    return handover


@router.get("/handover-lists", response=list[HandoverOut], summary="Handover lists (交接单) you are party to")
@paginate(CursorPagination, ordering=("-id",))
def list_handovers(
    request, status: HandoverStatus | None = None, kind: HandoverKind | None = None, date: Date | None = None
):
    return handover_lists(actor=request.auth, status=status, kind=kind, day=date)


@router.get(
    "/handover-lists/{int:handover_id}",
    response=HandoverDetailOut,
    summary="A handover list with its parcels; while open, the missing ones are the stop's parcels not scanned yet",
)
def get_handover(request, handover_id: int):
    return _detail(request, handover_id)


@router.get(
    "/handover-lists/{int:handover_id}/pdf",
    summary="A handover list as a PDF (A4)",
    response={200: None},
    openapi_extra=file_response(PDF, description="The handover list, A4, to sign"),
)
def handover_pdf(request, handover_id: int):
    sheet = handover_sheet(handover_get(actor=request.auth, handover_id=handover_id))
    response = HttpResponse(render_handover_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{sheet.handover.number}.pdf"'
    return response


@router.post(
    "/handover-lists/{int:handover_id}/confirm",
    response=HandoverDetailOut,
    summary="The merchant's contact signs the list: missing parcels are written down and the list is final",
)
def confirm_handover(request, handover_id: int, payload: HandoverConfirmIn):
    handover_confirm(
        actor=request.auth,
        handover_id=handover_id,
        signer_name=payload.signer_name,
        signature=payload.signature,
        weight_kg=payload.weight_kg,
    )
    return _detail(request, handover_id)


@router.post(
    "/scans/inbound",
    response=ScannedOut,
    summary="Sorting centre: inbound scan of a parcel or a bundle (or its express number), the first mile ends",
)
def inbound_scan(request, payload: InboundIn):
    result = scan_inbound_any(actor=request.auth, sorting_centre_code=payload.sorting_centre, number=payload.waybill_no)
    return _scanned(result, "received_at")


class TrackingEventOut(Schema):
    occurred_at: dt.datetime
    kind: str
    description: str = Field(..., description="What the event kind means (the webhook catalogue's words)")
    from_state: str
    to_state: str


class ClockOut(Schema):
    name: str = Field(..., description="ship_by, collect_by or inbound_by (docs/tracking.md)")
    due: dt.datetime | None
    met_at: dt.datetime | None
    state: str = Field(..., description="met, late_met, late, at_risk, running or none")


class TrackingOut(Schema):
    waybill_no: str
    status: str = Field(..., description="First-mile sub-status: " + ", ".join(STATUSES) + " (docs/tracking.md)")
    tag: str = Field(..., description="AfterShip-style top-level tag: " + ", ".join(TAGS))
    status_label: str = Field(..., description="The status in the caller's language")
    since: dt.datetime | None
    handover_method: str
    carrier: str
    sorting_centre: str
    failed_attempts: int
    handover_list: str | None
    bundle: str | None = Field(None, description="the number of the bundle (集包) the parcel travels in, if any")
    clocks: list[ClockOut]
    events: list[TrackingEventOut]


@router.get(
    "/waybills/{waybill_no}/tracking", response=TrackingOut, summary="Where a parcel is: status, tag and timeline"
)
def waybill_tracking(request, waybill_no: str):
    waybill = waybill_get(actor=request.auth, waybill_no=waybill_no.strip().upper())
    tracking = tracking_of(waybill)
    events = tracking_timeline(actor=request.auth, tracking=tracking)[:500]
    return {
        "waybill_no": waybill.waybill_no,
        "status": tracking.status,
        "tag": tracking.tag,
        "status_label": tracking.label,
        "since": tracking.since,
        "handover_method": waybill.handover_method,
        "carrier": waybill.carrier.code,
        "sorting_centre": waybill.sorting_centre.code,
        "failed_attempts": tracking.failed_attempts,
        "handover_list": tracking.handover.number if tracking.handover else None,
        "bundle": bundle.number if (bundle := bundle_of_waybill(waybill.pk)) else None,
        "clocks": sla_clocks(tracking),
        "events": [
            {
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "description": str(catalogue.EVENT_TYPES.get(e.kind, ("", ""))[1]),
                "from_state": e.from_state,
                "to_state": e.to_state,
            }
            for e in events
        ],
    }


class BundleCheckScanIn(Schema):
    waybill_no: str = Field(..., max_length=40)


class BundleCheckScanOut(Schema):
    waybill_no: str
    checked_at: dt.datetime


@router.post(
    "/bundles/{int:bundle_id}/check/scans",
    response=BundleCheckScanOut,
    summary="Sorting centre: scan a parcel taken out of an opened bundle against its manifest",
)
def bundle_check_scan_parcel(request, bundle_id: int, payload: BundleCheckScanIn):
    line = bundle_check_scan(actor=request.auth, bundle_id=bundle_id, waybill_no=payload.waybill_no)
    return {"waybill_no": line.waybill.waybill_no, "checked_at": line.checked_at}


@router.post(
    "/bundles/{int:bundle_id}/check/finish",
    response=BundleOut,
    summary="Sorting centre: end the check; parcels not scanned out are reported missing, each to both sides",
)
def bundle_check_end(request, bundle_id: int):
    return bundle_check_finish(actor=request.auth, bundle_id=bundle_id)
