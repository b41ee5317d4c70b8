import datetime as dt
from typing import Literal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile

from firstmile.core.errors import ApplicationError
from firstmile.core.pagination import CURSOR_DOC, with_cursor
from firstmile.core.schemas import CSV, IMAGES, XLSX, file_response
from firstmile.core.types import Instant, id_list
from firstmile.events.api import EventOut, JobOut

from .exports import export_csv, export_xlsx
from .imports import reverse_import_start
from .jobs import reverse_export_start
from .selectors import (
    ReverseFilters,
    carrier_worklist,
    consolidation_list,
    destruction_photo_get,
    page_after,
    reverse_get,
    reverse_list,
    reverse_timeline,
    tab_counts,
)
from .services import (
    MAX_BATCH,
    confirm_destruction,
    consolidation_agree,
    consolidation_end,
    exception_close,
    exception_raise,
    forward,
    hand_over,
    record_destruction,
    register_pickup,
    reverse_order_create,
)

router = Router()
# Up to this many rows the export answers in the request; more go to the worker.
SYNC_EXPORT_ROWS = 5000


class ReverseQuery(Schema):
    """The seed's filters; every one optional, all combined with AND."""

    number: str | None = Field(None, max_length=64, description="sales return, order or reverse order number")
    product: str | None = Field(None, max_length=100, description="product ID, or part of its name")
    goods: str | None = Field(None, max_length=100, description="goods ID, or part of its name")
    warehouse: str | None = Field(None, max_length=64, description="consolidation warehouse code")
    created_from: str | None = Field(None, description="Beijing time, YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    created_to: str | None = Field(None, description="Beijing time, YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    updated_from: str | None = Field(None, description="Beijing time, YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    updated_to: str | None = Field(None, description="Beijing time, YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    pickup_method: Literal["self_pickup", "forward"] | None = None
    exception_state: Literal["none", "open", "closed"] | None = None
    owner: str | None = Field(None, max_length=100, description="cargo owner ID, or part of its name")
    business_mode: Literal["consignment_sale", "consignment", "pop"] | None = None
    status: Literal["awaiting_merchant", "awaiting_pickup", "awaiting_destruction", "completed"] | None = None
    tab: Literal["all", "customs_failed", "return", "destroy", "intercept_refused", "warehouse_intercepted"] | None = (
        None
    )
    sort: Literal["-created_at", "created_at", "-updated_at", "updated_at"] | None = None


class ReverseIn(Schema):
    merchant_code: str
    order_no: str = Field(..., max_length=64)
    reverse_type: str = Field(..., description="customs_failed, intercept_refused or warehouse_intercepted")
    disposition: str = Field("return", description="return or destroy (destroy only when customs failed)")
    business_mode: str = Field(..., description="consignment_sale, consignment or pop")
    warehouse_code: str
    warehouse_name: str
    owner_id: str
    owner_name: str
    reverse_no: str = ""
    sales_return_no: str = ""
    product_id: str = ""
    product_name: str = ""
    goods_id: str = ""
    goods_name: str = ""


class RegistrationOut(Schema):
    method: str
    expected_pickup_at: Instant | None
    person_name: str
    recipient_name: str
    phone: str
    division_code: str | None = Field(None, alias="division_id")
    address_detail: str
    note: str
    created_at: dt.datetime


class ReverseOut(Schema):
    id: int
    reverse_no: str
    sales_return_no: str
    order_no: str
    product_id: str
    product_name: str
    goods_id: str
    goods_name: str
    warehouse_code: str
    warehouse_name: str
    owner_id: str
    owner_name: str
    business_mode: str
    reverse_type: str
    disposition: str
    tab: str
    status: str
    pickup_method: str
    exception_state: str
    completion_kind: str
    completed_at: dt.datetime | None
    destruction_confirmed_at: dt.datetime | None
    tracking_no: str
    has_destruction_photo: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_has_destruction_photo(obj):
        return bool(obj.destruction_photo)


class ReverseDetailOut(ReverseOut):
    registration: RegistrationOut | None
    history: list[EventOut]

    @staticmethod
    def resolve_registration(obj):
        return getattr(obj, "registration", None)


class ReversePageOut(Schema):
    results: list[ReverseOut]
    next_cursor: str | None = Field(..., description="Pass as `cursor` for the next page; null on the last page")
    next: str | None = Field(..., description="The next page's URL (this request with `cursor=next_cursor`)")
    tab_counts: dict[str, int]


class RegisterIn(Schema):
    reverse_order_ids: id_list(MAX_BATCH)
    method: str = Field(..., description="self_pickup or forward")
    phone: str
    expected_pickup_at: Instant | None = None
    person_name: str = ""
    recipient_name: str = ""
    division_code: str = ""
    address_detail: str = ""
    note: str = Field("", max_length=200)


class IdsIn(Schema):
    reverse_order_ids: id_list(MAX_BATCH)


class HandOverIn(Schema):
    person_name: str
    phone: str


class ForwardIn(Schema):
    tracking_no: str = Field(..., max_length=40)


class ExceptionIn(Schema):
    kind: str = Field(..., description="no_show, person_mismatch, undeliverable, parcel_damaged or other")
    description: str = Field(..., max_length=300)


class ExceptionOut(Schema):
    id: int
    kind: str
    description: str
    resolution: str
    created_at: dt.datetime
    closed_at: dt.datetime | None


class CloseIn(Schema):
    resolution: str = Field(..., max_length=300)


FILTER_DOC = (
    "Filters: number (reverse / order / sales return number), product, goods, owner (id or part of the name), "
    "warehouse, created_from, created_to, updated_from, updated_to (Beijing time), pickup_method, exception_state, "
    "business_mode, status, tab (all, customs_failed, return, destroy, intercept_refused, warehouse_intercepted), "
    "sort (-created_at, created_at, -updated_at, updated_at), cursor, page_size."
)


@router.get(
    "/reverse-orders",
    response=ReversePageOut,
    summary="Reverse orders with every filter and tab counts",
    description=FILTER_DOC,
)
def list_reverse(
    request,
    query: Query[ReverseQuery],
    cursor: str | None = Query(None, description=CURSOR_DOC),
    page_size: int = Query(50, description="Rows per page, 1 to 500"),
):
    filters = ReverseFilters.from_params(query.dict(exclude_none=True))
    page = page_after(
        reverse_list(actor=request.auth, filters=filters),
        sort=filters.sort,
        cursor=cursor,
        size=min(max(page_size, 1), 500),
    )
    return {
        "results": page.rows,
        "next_cursor": page.next_cursor,
        "next": with_cursor(request.build_absolute_uri(), page.next_cursor),
        "tab_counts": tab_counts(actor=request.auth, filters=filters),
    }


@router.get(
    "/reverse-orders/export",
    summary="The filtered list as .xlsx or .csv",
    response={200: None},
    description=FILTER_DOC,
    openapi_extra=file_response(XLSX, CSV, description="The reverse orders the filters select"),
)
def export(request, query: Query[ReverseQuery], format: Literal["xlsx", "csv"] = "xlsx"):
    rows = reverse_list(actor=request.auth, filters=ReverseFilters.from_params(query.dict(exclude_none=True)))
    if rows.count() > SYNC_EXPORT_ROWS:
        raise ApplicationError(
            "export_too_large",
            _("More than %(n)s rows: export them on the worker with POST /api/v1/reverse-orders/exports.")
            % {"n": SYNC_EXPORT_ROWS},
            field="format",
        )
    if format == "csv":
        response = HttpResponse(export_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reverse-orders.csv"'
    else:
        response = HttpResponse(
            export_xlsx(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="reverse-orders.xlsx"'
    return response


@router.post(
    "/reverse-orders/exports",
    response={202: JobOut},
    summary="Export the filtered list on the worker (any size); the job's result is the file",
    description=FILTER_DOC,
)
def export_job(request, query: Query[ReverseQuery], format: Literal["xlsx", "csv"] = "xlsx"):
    return 202, reverse_export_start(actor=request.auth, params=query.dict(exclude_none=True), file_format=format)


@router.post("/reverse-orders", response={201: ReverseOut}, summary="Consolidation warehouse: raise a reverse order")
def create(request, payload: ReverseIn):
    return 201, reverse_order_create(actor=request.auth, **payload.dict())


@router.get("/reverse-orders/{int:reverse_order_id}", response=ReverseDetailOut)
def get(request, reverse_order_id: int):
    order = reverse_get(actor=request.auth, reverse_order_id=reverse_order_id)
    order.history = list(reverse_timeline(actor=request.auth, order=order))
    return order


class ImportErrorOut(Schema):
    row: int
    field: str | None
    code: str
    message: str


@router.post(
    "/reverse-orders/import",
    response={202: JobOut},
    summary="Warehouse: raise reverse orders from an .xlsx or .csv file, on the worker",
    description="Headings as the portal's template (商家编码, 订单号, 逆向类型, 处理方式, 经营方式, "
    "仓库编码, 仓库名称, "
    "货主ID, 货主名称, …) or the field names. The file is checked at once (400 naming what is wrong); "
    "its rows are imported on the worker: good rows saved, bad rows in the job's report by row and field. "
    "Send an Idempotency-Key to make a re-upload after a dropped connection safe.",
)
def import_reverse_orders(request, file: File[UploadedFile]):
    return 202, reverse_import_start(actor=request.auth, filename=file.name or "", content=file.read())


@router.post("/reverse-orders/register-pickup", response=list[ReverseOut], summary="登记提货, one or a batch; final")
def register(request, payload: RegisterIn):
    return register_pickup(actor=request.auth, **payload.dict())


@router.post("/reverse-orders/confirm-destruction", response=list[ReverseOut], summary="确认销毁, one or a batch")
def destroy(request, payload: IdsIn):
    return confirm_destruction(actor=request.auth, reverse_order_ids=payload.reverse_order_ids)


@router.get(
    "/reverse-worklist", response=list[ReverseOut], summary="Warehouse: awaiting pickup / destruction / exceptions"
)
def worklist(request, status: str = "awaiting_pickup"):
    return list(carrier_worklist(actor=request.auth, status=status)[:500])


@router.post("/reverse-orders/{int:reverse_order_id}/hand-over", response=ReverseOut)
def hand_over_view(request, reverse_order_id: int, payload: HandOverIn):
    return hand_over(actor=request.auth, reverse_order_id=reverse_order_id, **payload.dict())


@router.post("/reverse-orders/{int:reverse_order_id}/forward", response=ReverseOut)
def forward_view(request, reverse_order_id: int, payload: ForwardIn):
    return forward(actor=request.auth, reverse_order_id=reverse_order_id, tracking_no=payload.tracking_no)


@router.post(
    "/reverse-orders/{int:reverse_order_id}/destroyed",
    response=ReverseOut,
    summary="Warehouse: the parcel was destroyed",
    description="multipart/form-data: destroyed_at (optional, ISO 8601 with offset; default now), "
    "photo (optional JPEG/PNG/WebP/GIF, at most 10 MB).",
)
def destroyed_view(
    request,
    reverse_order_id: int,
    destroyed_at: Form[Instant | None] = None,
    photo: File[UploadedFile] = None,
):
    return record_destruction(
        actor=request.auth, reverse_order_id=reverse_order_id, photo=photo, destroyed_at=destroyed_at
    )


@router.get(
    "/reverse-orders/{int:reverse_order_id}/destruction-photo",
    response={200: None},
    summary="The destruction photo (merchant of the order or the warehouse)",
    openapi_extra=file_response(*IMAGES, description="The photo as uploaded (JPEG, PNG, WebP or GIF)"),
)
def destruction_photo(request, reverse_order_id: int):
    photo = destruction_photo_get(actor=request.auth, reverse_order_id=reverse_order_id)
    return FileResponse(photo.open("rb"), filename=photo.name.rsplit("/", 1)[-1])


@router.post("/reverse-orders/{int:reverse_order_id}/exceptions", response={201: ExceptionOut})
def raise_exception(request, reverse_order_id: int, payload: ExceptionIn):
    return 201, exception_raise(actor=request.auth, reverse_order_id=reverse_order_id, **payload.dict())


@router.post("/reverse-exceptions/{int:exception_id}/close", response=ExceptionOut)
def close_exception(request, exception_id: int, payload: CloseIn):
    return exception_close(actor=request.auth, exception_id=exception_id, resolution=payload.resolution)


class AgreementIn(Schema):
    carrier_code: str = Field(..., max_length=8)
    merchant_code: str = Field(..., max_length=40)


class AgreementOut(Schema):
    id: int
    carrier_code: str = Field(..., alias="carrier.code")
    merchant_code: str = Field(..., alias="merchant.code")
    merchant_name: str = Field(..., alias="merchant.name")
    created_at: dt.datetime
    ended_at: dt.datetime | None


@router.get(
    "/consolidation-agreements",
    response=list[AgreementOut],
    summary="Which carrier's warehouse consolidates for which merchant",
)
def list_agreements(request):
    return list(consolidation_list(actor=request.auth)[:2000])


@router.post("/consolidation-agreements", response={201: AgreementOut}, summary="Platform: record an agreement")
def create_agreement(request, payload: AgreementIn):
    return 201, consolidation_agree(
        actor=request.auth, carrier_code=payload.carrier_code, merchant_code=payload.merchant_code
    )


@router.post(
    "/consolidation-agreements/{int:agreement_id}/end", response=AgreementOut, summary="Platform: end an agreement"
)
def end_agreement(request, agreement_id: int):
    return consolidation_end(actor=request.auth, agreement_id=agreement_id)
