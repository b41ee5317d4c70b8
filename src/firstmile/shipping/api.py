from datetime import date, datetime
from typing import Annotated

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from firstmile.core.errors import ApplicationError
from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import PDF, ZPL, file_response
from firstmile.core.types import Date, Id, Instant, id_list
from firstmile.events.api import EventOut, JobOut
from firstmile.pickup.selectors import warehouse_get

from .imports import order_import_start
from .jobs import labels_batch_start
from .printing import CONTENT_TYPES, LabelFormat, LabelSize, render_label_file
from .selectors import (
    SLOT_DAYS,
    SLOT_DAYS_MAX,
    explain_handover,
    handover_options,
    is_late,
    label_data,
    order_get,
    order_list,
    warehouse_pickup_slots,
    waybill_get,
    waybill_history,
    waybill_list,
    waybills_by_numbers,
)
from .services import (
    MAX_BATCH,
    labels_printed,
    order_create,
    pickup_slot_book,
    pickup_slot_cancel,
    shipment_arrange,
    waybill_void,
)

router = Router()
SYNC_LABELS = 50


class OrderIn(Schema):
    order_no: str = Field(..., max_length=64)
    warehouse_code: str | None = Field(None, description="the shipping warehouse; your default one if omitted")
    item_summary: str = Field("", max_length=200)
    erp_warehouse_code: str = Field("", max_length=40, description="the warehouse code as your ERP has it")
    erp_warehouse_address: str = Field("", max_length=300, description="the warehouse address as your ERP has it")
    placed_at: Instant | None = Field(
        None,
        description="when the buyer placed the order on the marketplace, with offset; the ship-by deadline "
        "and switchover extensions count from it (default: when Firstmile receives the order)",
    )
    ship_by: Instant | None = Field(
        None, description="a ship-by deadline the marketplace already fixed, with offset (default: computed)"
    )


class OrderOut(Schema):
    id: int
    order_no: str
    warehouse_code: str = Field(..., alias="warehouse.code")
    item_summary: str
    status: str
    created_at: datetime
    placed_at: datetime | None
    ship_by: datetime
    ship_by_source: str
    handling_hours: int
    extension_hours: int
    shipped_at: datetime | None
    late: bool

    @staticmethod
    def resolve_late(obj):
        return is_late(obj)


class WaybillOut(Schema):
    waybill_no: str
    order_no: str = Field(..., alias="order.order_no")
    carrier: str = Field(..., alias="carrier.code")
    handover_method: str
    sorting_centre: str = Field(..., alias="sorting_centre.name")
    sorting_centre_code: str = Field(..., alias="sorting_centre.code")
    warehouse_code: str = Field(..., alias="warehouse.code")
    subscription_state: str
    status: str
    issued_at: datetime
    collected_at: datetime | None
    received_at: datetime | None
    voided_at: datetime | None
    pickup_window_id: int | None = None
    pickup_date: date | None = None
    label_url: str

    @staticmethod
    def resolve_label_url(obj):
        return f"/api/v1/waybills/{obj.waybill_no}/label.pdf"


class WaybillDetailOut(WaybillOut):
    explanation: list[str]
    erp_mismatch: str | None
    history: list[EventOut]


class SlotIn(Schema):
    window_id: Id
    date: Date


class ArrangeIn(Schema):
    order_ids: id_list(MAX_BATCH)
    pickup_slot: SlotIn | None = Field(
        None, description="book this pickup window for every PICK UP parcel issued; each booking succeeds on its own"
    )


class ItemError(Schema):
    code: str
    message: str
    field: str | None = None


class BookingResult(Schema):
    waybill_no: str
    ok: bool
    error: ItemError | None = None


class ArrangedOut(Schema):
    waybills: list[WaybillOut]
    labels_url: str
    pickup_bookings: list[BookingResult] | None = None


def _book_each(actor, items: list[tuple[str, int, date]]) -> list[dict]:
    """Book each parcel in its own transaction: one full window or late change fails that parcel only."""
    results = []
    for waybill_no, window_id, day in items:
        try:
            pickup_slot_book(actor=actor, waybill_no=waybill_no, window_id=window_id, day=day)
        except ApplicationError as err:
            if err.kind in (401, 403):
                raise
            results.append({"waybill_no": waybill_no, "ok": False, "error": err.as_dict()})
        else:
            results.append({"waybill_no": waybill_no, "ok": True})
    return results


def _label_file(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    # A PDF opens in the browser to print; ZPL goes to the printer's queue as a file.
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.{fmt}"'
    return response


@router.post("/orders", response={201: OrderOut}, summary="Create an order; its ship-by deadline is fixed now")
def create_order(request, payload: OrderIn):
    return 201, order_create(actor=request.auth, **payload.dict())


class ImportRowError(Schema):
    row: int
    field: str | None
    code: str
    message: str


@router.post(
    "/orders/import",
    response={202: JobOut},
    summary="Import orders from an .xlsx or .csv file on the worker; poll the job for the row report",
)
def import_orders(request, file: File[UploadedFile]):
    return 202, order_import_start(actor=request.auth, filename=file.name or "", content=file.read())


@router.get("/orders", response=list[OrderOut], summary="Your orders, newest first")
@paginate(CursorPagination, ordering=("-id",))
def list_orders(request, status: str | None = None, late: bool | None = None):
    return order_list(actor=request.auth, status=status, late=late)


@router.get("/orders/{int:order_id}", response=OrderOut)
def get_order(request, order_id: int):
    return order_get(actor=request.auth, order_id=order_id)


@router.post(
    "/orders/arrange-shipment", response=ArrangedOut, summary="安排发货: issue waybills for one or many orders"
)
def arrange(request, payload: ArrangeIn):
    waybills = shipment_arrange(actor=request.auth, order_ids=payload.order_ids)
    query = "&".join(f"waybill={w.waybill_no}" for w in waybills)
    bookings = None
    if payload.pickup_slot is not None:
        slot = payload.pickup_slot
        pick_up = [w for w in waybills if w.handover_method == "PICKUP"]
        bookings = _book_each(request.auth, [(w.waybill_no, slot.window_id, slot.date) for w in pick_up])
        booked = {r["waybill_no"] for r in bookings if r["ok"]}
        for waybill in pick_up:
            if waybill.waybill_no in booked:
                waybill.pickup_window_id, waybill.pickup_date = slot.window_id, slot.date
    return {"waybills": waybills, "labels_url": f"/api/v1/labels.pdf?{query}", "pickup_bookings": bookings}


class SlotOut(Schema):
    window_id: int
    date: date
    starts: datetime
    ends: datetime
    capacity: int
    remaining: int
    book_by: datetime
    carrier: str = Field(..., alias="carrier_code")


class DropOffOut(Schema):
    sorting_centre_code: str = Field(..., alias="code")
    name: str
    address: str = Field(..., alias="address_detail")


class HandoverOptionsOut(Schema):
    waybill_no: str
    can_pickup: bool
    can_drop_off: bool
    drop_off_at: DropOffOut | None
    booked: SlotOut | None
    pickup_slots: list[SlotOut]


@router.get(
    "/waybills/{waybill_no}/handover-options",
    response=HandoverOptionsOut,
    summary="Whether the parcel can be picked up or dropped off, and the pickup slots it may book",
)
def get_handover_options(request, waybill_no: str, start: Date | None = None, days: int = SLOT_DAYS):
    _days(days)
    waybill = waybill_get(actor=request.auth, waybill_no=waybill_no.strip().upper()[:32])
    options = handover_options(actor=request.auth, waybill=waybill, first_day=start, days=days)
    return {
        "waybill_no": waybill.waybill_no,
        "can_pickup": options.can_pickup,
        "can_drop_off": options.can_drop_off,
        "drop_off_at": waybill.sorting_centre if options.can_drop_off else None,
        "booked": options.booked,
        "pickup_slots": options.pickup_slots,
    }


class WarehouseSlotsOut(Schema):
    warehouse_code: str
    can_pickup: bool = Field(..., description="a label printed now would say PICK UP")
    can_drop_off: bool
    pickup_slots: list[SlotOut]


def _days(days: int) -> int:
    if not 1 <= days <= SLOT_DAYS_MAX:
        raise ApplicationError(
            "invalid_input", _("days must be between 1 and %(n)s.") % {"n": SLOT_DAYS_MAX}, field="days"
        )
    return days


@router.get(
    "/warehouses/{int:warehouse_id}/pickup-slots",
    response=WarehouseSlotsOut,
    summary="Before arranging shipment: whether the warehouse gets PICK UP and the pickup slots it may book",
)
def get_warehouse_pickup_slots(request, warehouse_id: int, start: Date | None = None, days: int = SLOT_DAYS):
    warehouse = warehouse_get(actor=request.auth, warehouse_id=warehouse_id)
    can_pickup, slots = warehouse_pickup_slots(warehouse=warehouse, first_day=start, days=_days(days))
    return {"warehouse_code": warehouse.code, "can_pickup": can_pickup, "can_drop_off": True, "pickup_slots": slots}


@router.put(
    "/waybills/{waybill_no}/pickup-slot",
    response=WaybillOut,
    summary="Book or change the parcel's pickup slot (until the cut-off)",
)
def book_pickup_slot(request, waybill_no: str, payload: SlotIn):
    pickup_slot_book(actor=request.auth, waybill_no=waybill_no[:32], window_id=payload.window_id, day=payload.date)
    return waybill_get(actor=request.auth, waybill_no=waybill_no.strip().upper()[:32])


@router.delete(
    "/waybills/{waybill_no}/pickup-slot",
    response=WaybillOut,
    summary="Cancel the parcel's pickup slot (until the cut-off)",
)
def cancel_pickup_slot(request, waybill_no: str):
    pickup_slot_cancel(actor=request.auth, waybill_no=waybill_no[:32])
    return waybill_get(actor=request.auth, waybill_no=waybill_no.strip().upper()[:32])


class BookingIn(SlotIn):
    waybill_no: Annotated[str, Field(max_length=32)]


class BookingsIn(Schema):
    bookings: list[BookingIn] = Field(..., min_length=1, max_length=50)


class BookingsOut(Schema):
    booked: int
    failed: int
    results: list[BookingResult]


@router.post(
    "/pickup-slot-bookings",
    response=BookingsOut,
    summary="Book pickup slots for up to 50 parcels; each succeeds or fails on its own",
)
def book_pickup_slots(request, payload: BookingsIn):
    results = _book_each(request.auth, [(b.waybill_no, b.window_id, b.date) for b in payload.bookings])
    booked = sum(1 for r in results if r["ok"])
    return {"booked": booked, "failed": len(results) - booked, "results": results}


@router.get(
    "/waybills", response=list[WaybillOut], summary="Parcels (merchant: yours; carrier: issued by or collected by you)"
)
@paginate(CursorPagination, ordering=("-id",))
def list_waybills(request, status: str | None = None):
    return waybill_list(actor=request.auth, status=status)


@router.get(
    "/waybills/{waybill_no}", response=WaybillDetailOut, summary="A parcel's status, history and why PICK UP / DROP OFF"
)
def get_waybill(request, waybill_no: str):
    waybill = waybill_get(actor=request.auth, waybill_no=waybill_no)
    explanation = explain_handover(waybill)
    waybill.explanation = explanation.reasons
    waybill.erp_mismatch = explanation.erp_mismatch
    waybill.history = list(waybill_history(actor=request.auth, waybill=waybill))
    return waybill


def _one_label(request, waybill_no: str, fmt: str, size: str) -> HttpResponse:
    waybill = waybill_get(actor=request.auth, waybill_no=waybill_no)
    content = render_label_file([label_data(waybill, reprint=waybill.print_count > 0)], fmt=fmt, size=size)
    if request.auth.is_merchant:
        labels_printed(actor=request.auth, waybills=[waybill])
    return _label_file(content, fmt, waybill.waybill_no)


PDF_LABEL = file_response(PDF, description="The labels, one page each")
ZPL_LABEL = file_response(ZPL, description="The labels in ZPL II, one ^XA…^XZ format each, UTF-8")


@router.get(
    "/waybills/{waybill_no}/label.pdf",
    summary="The label as a PDF page: A6 (100×150 mm, default) or A5",
    response={200: None},
    openapi_extra=PDF_LABEL,
)
def label(request, waybill_no: str, size: LabelSize = "A6"):
    return _one_label(request, waybill_no, "pdf", size)


@router.get(
    "/waybills/{waybill_no}/label.zpl",
    summary="The label in ZPL II for a thermal printer at 203 dpi: A6 (default) or A5",
    response={200: None},
    openapi_extra=ZPL_LABEL,
)
def label_zpl(request, waybill_no: str, size: LabelSize = "A6"):
    return _one_label(request, waybill_no, "zpl", size)


# More go to the worker: POST /label-batches.
WAYBILLS_PARAM = Query(
    ...,
    min_length=1,
    max_length=SYNC_LABELS,
    description=f"Waybill numbers, repeated: ?waybill=…&waybill=… (1 to {SYNC_LABELS}; more with POST /label-batches)",
)


def _some_labels(request, waybill: list[str], fmt: str, size: str) -> HttpResponse:
    found = waybills_by_numbers(actor=request.auth, numbers=waybill)
    content = render_label_file([label_data(w, reprint=w.print_count > 0) for w in found], fmt=fmt, size=size)
    if request.auth.is_merchant:
        labels_printed(actor=request.auth, waybills=found)
    return _label_file(content, fmt, "labels")


@router.get(
    "/labels.pdf",
    summary="A few labels in one PDF, in the request (up to 50; more with POST /label-batches)",
    response={200: None},
    openapi_extra=PDF_LABEL,
)
def labels(request, waybill: list[str] = WAYBILLS_PARAM, size: LabelSize = "A6"):
    return _some_labels(request, waybill, "pdf", size)


@router.get(
    "/labels.zpl",
    summary="A few labels in one ZPL file, in the request (up to 50; more with POST /label-batches)",
    response={200: None},
    openapi_extra=ZPL_LABEL,
)
def labels_zpl(request, waybill: list[str] = WAYBILLS_PARAM, size: LabelSize = "A6"):
    return _some_labels(request, waybill, "zpl", size)


@router.post("/waybills/{waybill_no}/void", response=WaybillOut, summary="Cancel a label before pickup")
def void(request, waybill_no: str):
    waybill = waybill_get(actor=request.auth, waybill_no=waybill_no)
    return waybill_void(actor=request.auth, waybill_id=waybill.pk)


class LabelBatchIn(Schema):
    waybill_nos: list[str] = Field(..., min_length=1, max_length=10_000)
    format: LabelFormat = Field("pdf", description="pdf pages, or zpl for thermal printers")
    size: LabelSize = Field("A6", description="A6 (100×150 mm) or A5")


@router.post(
    "/label-batches",
    response={202: JobOut},
    summary="Render many labels into one PDF or ZPL file on the worker; the job's result is the file",
)
def label_batch(request, payload: LabelBatchIn):
    return 202, labels_batch_start(
        actor=request.auth, waybill_nos=payload.waybill_nos, fmt=payload.format, size=payload.size
    )
