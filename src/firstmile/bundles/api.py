"""/api/v1/bundles: first-mile bundles (集包), as TikTok Shop's CreateFirstMileBundle and Shopee's binding know them."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import PDF, ZPL, file_response
from firstmile.core.types import Id, ParamId
from firstmile.shipping.api import ItemError

from .labels import bundle_label_zpl, label_data, render_bundle_label, render_manifest
from .models import MAX_PER_CALL, BundleStatus
from .selectors import bundle_get, bundle_list, bundle_parcels, bundle_printable, manifest_rows
from .services import bundle_bind, bundle_cancel, bundle_close, bundle_create, bundle_unbind

router = Router()

Number = Annotated[str, Field(max_length=40)]


class BundleOut(Schema):
    id: int
    number: str
    status: BundleStatus
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    handover_method: Literal["PICKUP", "DROP_OFF"]
    carrier: str | None = Field(None, description="the carrier of its parcels; null while empty")
    sorting_centre: str | None = Field(None, description="the sorting centre of its parcels; null while empty")
    collected_by: str | None = Field(None, description="the carrier that collected it (whoever served the area)")
    parcel_count: int
    missing_count: int = Field(..., description="parcels the sorting centre did not find when it checked the bundle")
    weight_kg: Decimal | None
    length_cm: int | None
    width_cm: int | None
    height_cm: int | None
    express_company: str
    express_tracking_no: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    collected_at: dt.datetime | None
    received_at: dt.datetime | None
    checked_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_carrier(obj) -> str | None:
        return obj.carrier.code if obj.carrier_id else None

    @staticmethod
    def resolve_sorting_centre(obj) -> str | None:
        return obj.sorting_centre.code if obj.sorting_centre_id else None

    @staticmethod
    def resolve_collected_by(obj) -> str | None:
        return obj.collected_by.code if obj.collected_by_id else None


class NumberResultOut(Schema):
    waybill_no: str
    ok: bool
    error: ItemError | None = None


class BundleWithResultsOut(Schema):
    bundle: BundleOut
    bound: int = Field(..., description="numbers that are in the bundle after this call")
    failed: int
    results: list[NumberResultOut]


class BundleCreateIn(Schema):
    warehouse_id: Id
    handover_method: Literal["PICKUP", "DROP_OFF"]
    waybill_nos: list[Number] = Field([], max_length=MAX_PER_CALL, description=f"bound at once, at most {MAX_PER_CALL}")
    express_company: str = Field("", max_length=40, description="DROP OFF by a domestic express company: its name")
    express_tracking_no: str = Field("", max_length=40, description="… its tracking number")
    sender_phone_tail: str = Field("", max_length=4, description="… and the last 4 digits of the sender's phone")


class NumbersIn(Schema):
    waybill_nos: list[Number] = Field(..., min_length=1, max_length=MAX_PER_CALL)


class BundleCloseIn(Schema):
    weight_kg: Decimal = Field(..., description="kilograms, above 0 and at most 5,000")
    length_cm: int | None = Field(None, description="centimetres, 1 to 500")
    width_cm: int | None = Field(None, description="centimetres, 1 to 500")
    height_cm: int | None = Field(None, description="centimetres, 1 to 500")
    express_company: str | None = Field(None, max_length=40)
    express_tracking_no: str | None = Field(None, max_length=40)
    sender_phone_tail: str | None = Field(None, max_length=4)


class BundleParcelOut(Schema):
    waybill_no: str = Field(..., alias="waybill.waybill_no")
    status: str = Field(..., alias="waybill.status")
    tracking_status: str = Field(..., alias="waybill.tracking_status")
    added_at: dt.datetime
    checked_at: dt.datetime | None
    missing: bool


def _with_results(bundle, results) -> dict:
    return {
        "bundle": bundle,
        "bound": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
        "results": [{"waybill_no": r.waybill_no, "ok": r.ok, "error": r.error} for r in results],
    }


@router.get("/bundles", response=list[BundleOut], summary="Bundles (merchant: its own; carrier: those it carries)")
@paginate(CursorPagination, ordering=("-id",))
def list_bundles(
    request,
    status: BundleStatus | None = None,
    warehouse_id: ParamId | None = None,
    q: str = Query("", max_length=40, description="a bundle number or its express tracking number"),
):
    return bundle_list(actor=request.auth, status=status, warehouse_id=warehouse_id, search=q)


@router.post(
    "/bundles",
    response={201: BundleWithResultsOut},
    summary="Merchant: open a bundle for a warehouse, binding waybills at once",
)
def create_bundle(request, payload: BundleCreateIn):
    bundle, results = bundle_create(actor=request.auth, **payload.dict())
    return 201, _with_results(bundle, results)


@router.get("/bundles/{int:bundle_id}", response=BundleOut, summary="A bundle")
def get_bundle(request, bundle_id: int):
    return bundle_get(actor=request.auth, bundle_id=bundle_id)


@router.get(
    "/bundles/{int:bundle_id}/parcels", response=list[BundleParcelOut], summary="The parcels in a bundle (its manifest)"
)
@paginate(CursorPagination, ordering=("id",))
def list_bundle_parcels(request, bundle_id: int):
    return bundle_parcels(bundle_get(actor=request.auth, bundle_id=bundle_id))


@router.post(
    "/bundles/{int:bundle_id}/bind",
    response=BundleWithResultsOut,
    summary=f"Merchant: bind up to {MAX_PER_CALL} waybills; each bound or refused on its own",
)
def bind_bundle(request, bundle_id: int, payload: NumbersIn):
    return _with_results(*bundle_bind(actor=request.auth, bundle_id=bundle_id, waybill_nos=payload.waybill_nos))


@router.post(
    "/bundles/{int:bundle_id}/unbind",
    response=BundleWithResultsOut,
    summary=f"Merchant: take up to {MAX_PER_CALL} waybills out of an open bundle",
)
def unbind_bundle(request, bundle_id: int, payload: NumbersIn):
    bundle, results = bundle_unbind(actor=request.auth, bundle_id=bundle_id, waybill_nos=payload.waybill_nos)
    out = _with_results(bundle, results)
    out["bound"] = 0  # nothing was bound by taking parcels out
    return out


@router.post("/bundles/{int:bundle_id}/close", response=BundleOut, summary="Merchant: close a bundle with its weight")
def close_bundle(request, bundle_id: int, payload: BundleCloseIn):
    return bundle_close(actor=request.auth, bundle_id=bundle_id, **payload.dict())


@router.post("/bundles/{int:bundle_id}/cancel", response=BundleOut, summary="Merchant: cancel a bundle before pickup")
def cancel_bundle(request, bundle_id: int):
    return bundle_cancel(actor=request.auth, bundle_id=bundle_id)


def _file(content: bytes, media_type: str, name: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    return response


@router.get(
    "/bundles/{int:bundle_id}/label.pdf",
    summary="A closed bundle's label: A6 PDF with its number as Code 128",
    response={200: None},
    openapi_extra=file_response(PDF, description="The bundle's label, one A6 page"),
)
def bundle_label_pdf(request, bundle_id: int):
    bundle = bundle_printable(actor=request.auth, bundle_id=bundle_id)
    return _file(render_bundle_label(label_data(bundle)), PDF, f"{bundle.number}.pdf", inline=True)


@router.get(
    "/bundles/{int:bundle_id}/label.zpl",
    summary="A closed bundle's label in ZPL II for a thermal printer at 203 dpi",
    response={200: None},
    openapi_extra=file_response(ZPL, description="The bundle's label in ZPL II, UTF-8"),
)
def bundle_label_zpl_file(request, bundle_id: int):
    bundle = bundle_printable(actor=request.auth, bundle_id=bundle_id)
    return _file(bundle_label_zpl(label_data(bundle)), ZPL, f"{bundle.number}.zpl", inline=False)


@router.get(
    "/bundles/{int:bundle_id}/manifest.pdf",
    summary="The bundle's manifest: A4 PDF listing every waybill in it",
    response={200: None},
    openapi_extra=file_response(PDF, description="The manifest, A4 pages"),
)
def bundle_manifest_pdf(request, bundle_id: int):
    bundle = bundle_get(actor=request.auth, bundle_id=bundle_id)
    content = render_manifest(label_data(bundle), manifest_rows(bundle))
    return _file(content, PDF, f"{bundle.number}-manifest.pdf", inline=True)
