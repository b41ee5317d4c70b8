from datetime import datetime, time
from typing import Literal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from firstmile.core.clock import now
from firstmile.core.pagination import CursorPagination
from firstmile.core.types import Instant
from firstmile.geo.selectors import division_get

from .selectors import (
    carrier_get,
    carrier_list,
    coverage_list,
    coverage_request_list,
    coverage_serving,
    sorting_centre_list,
)
from .services import carrier_settings_update, coverage_assign, coverage_request_decide, coverage_request_submit

router = Router()


class SortingCentreOut(Schema):
    code: str
    name: str
    division_code: str = Field(..., alias="division_id")
    address_detail: str


class CarrierOut(Schema):
    code: str
    name_zh: str
    name_en: str
    waybill_prefix: str
    hotline: str
    service_hours: str
    sorting_centres: list[SortingCentreOut]

    @staticmethod
    def resolve_sorting_centres(obj):
        # carrier_list brings them along; a single carrier reads its own
        if hasattr(obj, "active_sorting_centres"):
            return obj.active_sorting_centres
        return list(sorting_centre_list(carrier=obj))


class CarrierRef(Schema):
    code: str
    name_zh: str
    name_en: str
    waybill_prefix: str
    hotline: str
    service_hours: str


class CoverageOut(Schema):
    id: int
    division_code: str = Field(..., alias="division_id")
    division_name: str = Field(..., alias="division.name")
    carrier: str = Field(..., alias="carrier.code")
    valid_from: datetime
    valid_to: datetime | None


class ServingOut(Schema):
    division_code: str
    at: datetime
    covered: bool
    carrier: CarrierRef | None = None
    coverage: CoverageOut | None = None


class CoverageIn(Schema):
    division_code: str
    carrier: str = Field(..., description="carrier code, e.g. WS")
    valid_from: Instant = Field(..., description="ISO 8601 with offset, e.g. 2023-09-19T00:00:00+08:00")


@router.get("/carriers", response=list[CarrierOut], summary="Pickup carriers, with hotline, hours and sorting centres")
def list_carriers(request):
    return list(carrier_list(actor=request.auth))


@router.get("/carriers/{code}", response=CarrierOut)
def get_carrier(request, code: str):
    return carrier_get(code)


@router.get("/coverage/serving", response=ServingOut, summary="Which carrier serves a division at an instant")
def serving(request, division: str, at: Instant | None = None):
    division_get(division)
    at = at or now()
    coverage = coverage_serving(division, at)
    return {
        "division_code": division,
        "at": at,
        "covered": coverage is not None,
        "carrier": coverage.carrier if coverage else None,
        "coverage": coverage,
    }


@router.get("/coverage", response=list[CoverageOut], summary="Coverage rows (platform: all; carrier: its own)")
@paginate(CursorPagination, ordering=("id",))
def list_coverage(request, carrier: str | None = None, at: Instant | None = None):
    return coverage_list(actor=request.auth, carrier_code=carrier, at=at)


@router.post("/coverage", response={201: CoverageOut}, summary="Assign an area to a carrier from an instant (platform)")
def assign_coverage(request, payload: CoverageIn):
    coverage = coverage_assign(
        actor=request.auth,
        division_code=payload.division_code,
        carrier=carrier_get(payload.carrier),
        valid_from=payload.valid_from,
    )
    return 201, coverage


class CarrierSettingsIn(Schema):
    hotline: str = Field(..., max_length=32)
    service_opens: time
    service_closes: time
    service_weekdays: str = Field("1234567", max_length=7, description="digits 1 (Monday) to 7 (Sunday)")


@router.put(
    "/carriers/{code}/settings", response=CarrierOut, summary="A carrier's hotline and service hours (its admin)"
)
def update_settings(request, code: str, payload: CarrierSettingsIn):
    return carrier_settings_update(actor=request.auth, carrier_code=code, **payload.dict())


class CoverageRequestIn(Schema):
    division_code: str = Field(..., max_length=12)
    valid_from: Instant = Field(..., description="ISO 8601 with offset, in the future")
    note: str = Field("", max_length=300)


class CoverageDecisionIn(Schema):
    reason: str = Field("", max_length=300, description="required when rejecting")


class CoverageRequestOut(Schema):
    id: int
    carrier: str = Field(..., alias="carrier.code")
    division_code: str = Field(..., alias="division_id")
    division_name: str = Field(..., alias="division.name")
    valid_from: datetime
    note: str
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None


@router.get("/coverage-requests", response=list[CoverageRequestOut], summary="Coverage requests (carrier: its own)")
@paginate(CursorPagination, ordering=("-id",))
def list_coverage_requests(request, status: Literal["pending", "approved", "rejected"] | None = None):
    return coverage_request_list(actor=request.auth, status=status)


@router.post(
    "/coverage-requests",
    response={201: CoverageRequestOut},
    summary="Carrier admin: ask to cover an area",
)
def submit_coverage_request(request, payload: CoverageRequestIn):
    return 201, coverage_request_submit(actor=request.auth, **payload.dict())


@router.post(
    "/coverage-requests/{int:request_id}/approve", response=CoverageRequestOut, summary="Platform: assign the area"
)
def approve_coverage_request(request, request_id: int, payload: CoverageDecisionIn):
    return coverage_request_decide(actor=request.auth, request_id=request_id, approve=True, reason=payload.reason)


@router.post(
    "/coverage-requests/{int:request_id}/reject", response=CoverageRequestOut, summary="Platform: refuse with a reason"
)
def reject_coverage_request(request, request_id: int, payload: CoverageDecisionIn):
    return coverage_request_decide(actor=request.auth, request_id=request_id, approve=False, reason=payload.reason)
