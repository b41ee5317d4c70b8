from datetime import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from firstmile.core.errors import ApplicationError
from firstmile.core.pagination import CursorPagination
from firstmile.core.types import IdList, Instant
from firstmile.events.api import EventOut, JobOut

from .imports import order_import_start
from .jobs import labels_batch_start
from .printing import CONTENT_TYPES, LabelFormat, LabelSize, render_label_file
from .selectors import (
    explain_handover,
    is_late,
    label_data,
    order_get,
    order_list,
    waybill_get,
    waybill_history,
    waybill_list,
    waybills_by_numbers,
)
from .services import labels_printed, order_create, shipment_arrange, waybill_void

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
    label_url: str

    @staticmethod
    def resolve_label_url(obj):
        return f"/api/v1/waybills/{obj.waybill_no}/label.pdf"


class WaybillDetailOut(WaybillOut):
    explanation: list[str]
    erp_mismatch: str | None
    history: list[EventOut]


class ArrangeIn(Schema):
    order_ids: IdList = Field(..., min_length=1, max_length=1000)


class ArrangedOut(Schema):
    waybills: list[WaybillOut]
    labels_url: str


class LabelsIn(Schema):
    waybill_nos: list[str] = Field(..., min_length=1, max_length=1000)


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
    return {"waybills": waybills, "labels_url": f"/api/v1/labels.pdf?{query}"}


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


@router.get(
    "/waybills/{waybill_no}/label.pdf",
    summary="The label as a PDF page: A6 (100×150 mm, default) or A5",
    response={200: None},
)
def label(request, waybill_no: str, size: LabelSize = "A6"):
    return _one_label(request, waybill_no, "pdf", size)


@router.get(
    "/waybills/{waybill_no}/label.zpl",
    summary="The label in ZPL II for a thermal printer at 203 dpi: A6 (default) or A5",
    response={200: None},
)
def label_zpl(request, waybill_no: str, size: LabelSize = "A6"):
    return _one_label(request, waybill_no, "zpl", size)


def _some_labels(request, waybill: list[str], fmt: str, size: str) -> HttpResponse:
    if len(waybill) > SYNC_LABELS:
        raise ApplicationError(
            "too_many_labels",
            _("More than %(n)s labels: render them on the worker with POST /api/v1/label-batches.")
            % {"n": SYNC_LABELS},
            field="waybill",
        )
    found = waybills_by_numbers(actor=request.auth, numbers=waybill)
    content = render_label_file([label_data(w, reprint=w.print_count > 0) for w in found], fmt=fmt, size=size)
    if request.auth.is_merchant:
        labels_printed(actor=request.auth, waybills=found)
    return _label_file(content, fmt, "labels")


@router.get(
    "/labels.pdf",
    summary="A few labels in one PDF, in the request (up to 50; more with POST /label-batches)",
    response={200: None},
)
def labels(request, waybill: Query[list[str]], size: LabelSize = "A6"):
    return _some_labels(request, waybill, "pdf", size)


@router.get(
    "/labels.zpl",
    summary="A few labels in one ZPL file, in the request (up to 50; more with POST /label-batches)",
    response={200: None},
)
def labels_zpl(request, waybill: Query[list[str]], size: LabelSize = "A6"):
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
