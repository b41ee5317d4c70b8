from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from firstmile.core.clock import now
from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import PlainOut
from firstmile.core.types import Date, Instant, TimeOfDay
from firstmile.geo.selectors import division_get

from .selectors import (
    carrier_get,
    carrier_list,
    coverage_list,
    coverage_request_list,
    coverage_serving,
    pickup_closures,
    pickup_windows,
    with_active_centres,
)
from .services import (
    carrier_settings_update,
    coverage_assign,
    coverage_request_decide,
    coverage_request_submit,
    pickup_closure_add,
    pickup_closure_remove,
    pickup_window_create,
    pickup_window_withdraw,
)

router = Router()


class SortingCentreOut(PlainOut):
    code: str
    name: str
    name_en: str
    division_code: str = Field(..., validation_alias="division_id")
    address_detail: str


class CarrierOut(PlainOut):
    code: str
    name_zh: str
    name_en: str
    waybill_prefix: str
    hotline: str
    service_hours: str
    sorting_centres: list[SortingCentreOut] = Field(..., validation_alias="active_sorting_centres")


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
    return carrier_list(actor=request.auth)


@router.get("/carriers/{code}", response=CarrierOut)
def get_carrier(request, code: str):
    return with_active_centres([carrier_get(code)])[0]


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
    service_opens: TimeOfDay
    service_closes: TimeOfDay
    service_weekdays: str = Field("1234567", max_length=7, description="digits 1 (Monday) to 7 (Sunday)")


@router.put(
    "/carriers/{code}/settings", response=CarrierOut, summary="A carrier's hotline and service hours (its admin)"
)
def update_settings(request, code: str, payload: CarrierSettingsIn):
    return with_active_centres([carrier_settings_update(actor=request.auth, carrier_code=code, **payload.dict())])[0]


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


class PickupWindowIn(Schema):
    division_code: str = Field(..., max_length=12, description="the area: a city, county or town code (GB/T 2260)")
    weekdays: list[int] = Field(..., min_length=1, max_length=7, description="ISO weekdays: 1 = Monday … 7 = Sunday")
    starts_at: str = Field(..., max_length=5, description="HH:MM, Beijing time", examples=["09:00"])
    ends_at: str = Field(..., max_length=5, description="HH:MM, Beijing time", examples=["12:00"])
    capacity: int = Field(..., description="parcels the window takes on one date")
    cutoff_minutes: int = Field(120, description="booking, change and cancel close this long before the start")


class PickupWindowOut(Schema):
    id: int
    carrier: str = Field(..., alias="carrier.code")
    division_code: str = Field(..., alias="division_id")
    division_name: str = Field(..., alias="division.name")
    weekday: int
    starts_at: TimeOfDay
    ends_at: TimeOfDay
    capacity: int
    cutoff_minutes: int
    is_active: bool


class PickupClosureIn(Schema):
    date: Date
    division_code: str = Field("", max_length=12, description="empty: no pickups anywhere that day")
    reason: str = Field(..., max_length=200)


class PickupClosureOut(Schema):
    id: int
    carrier: str = Field(..., alias="carrier.code")
    date: Date
    division_code: str | None = Field(None, alias="division_id")
    reason: str


@router.get("/pickup-windows", response=list[PickupWindowOut], summary="Pickup windows (carrier: its own)")
@paginate(CursorPagination, ordering=("id",))
def list_pickup_windows(request, include_withdrawn: bool = False):
    return pickup_windows(actor=request.auth, include_withdrawn=include_withdrawn)


@router.post(
    "/pickup-windows",
    response={201: list[PickupWindowOut]},
    summary="Publish a pickup window in an area on some weekdays, with its capacity and booking cut-off",
)
def create_pickup_windows(request, payload: PickupWindowIn):
    return 201, pickup_window_create(actor=request.auth, **payload.dict())


@router.post(
    "/pickup-windows/{int:window_id}/withdraw",
    response=PickupWindowOut,
    summary="Stop offering a window; parcels already booked on it keep their booking",
)
def withdraw_pickup_window(request, window_id: int):
    return pickup_window_withdraw(actor=request.auth, window_id=window_id)


@router.get("/pickup-closures", response=list[PickupClosureOut], summary="Upcoming dates without pickups")
def list_pickup_closures(request):
    return list(pickup_closures(actor=request.auth))


@router.post("/pickup-closures", response={201: PickupClosureOut}, summary="Close a date for pickups (holiday)")
def add_pickup_closure(request, payload: PickupClosureIn):
    closure = pickup_closure_add(
        actor=request.auth, day=payload.date, reason=payload.reason, division_code=payload.division_code
    )
    return 201, closure


@router.delete("/pickup-closures/{int:closure_id}", response={204: None}, summary="Reopen a closed date")
def remove_pickup_closure(request, closure_id: int):
    pickup_closure_remove(actor=request.auth, closure_id=closure_id)
    return 204, None
