import datetime as dt
from typing import Annotated

from ninja import Field, Router, Schema
from pydantic import StringConstraints

from firstmile.core.types import Instant
from firstmile.events.api import JobOut

from .selectors import batch_dashboard, batch_timeline, push_failures, switchover_list
from .services import BATCH_MAX_AREAS, batch_cancel, batch_postpone, batch_push_start, batch_schedule, switchover_create

router = Router()


class SwitchoverIn(Schema):
    name: str = Field(..., max_length=100)
    from_carrier: str = Field(..., description="carrier code, e.g. JT")
    to_carrier: str = Field(..., description="carrier code, e.g. WS")


class BatchOut(Schema):
    id: int
    name: str
    cutover_at: Instant
    status: str
    areas: list[str]
    extension_days_before: int
    extension_days_after: int
    extension_days: int
    push_total: int
    push_done: int
    push_started_at: dt.datetime | None
    push_finished_at: dt.datetime | None

    @staticmethod
    def resolve_areas(obj):
        return sorted(a.division_id for a in obj.areas.all())


class SwitchoverOut(Schema):
    id: int
    name: str
    from_carrier: str = Field(..., alias="from_carrier.code")
    to_carrier: str = Field(..., alias="to_carrier.code")
    batches: list[BatchOut]

    @staticmethod
    def resolve_batches(obj):
        return list(obj.batches.all())


class BatchIn(Schema):
    name: str = Field(..., max_length=100)
    cutover_at: Instant = Field(..., description="ISO 8601 with offset, e.g. 2023-09-19T00:00:00+08:00")
    division_codes: list[Annotated[str, StringConstraints(max_length=12)]] = Field(
        ..., min_length=1, max_length=BATCH_MAX_AREAS
    )
    extension_days_before: int = Field(1, ge=0, le=7)
    extension_days_after: int = Field(0, ge=0, le=7)
    extension_days: int = Field(3, ge=0, le=30)


class PostponeIn(Schema):
    cutover_at: Instant


class DashboardOut(Schema):
    batch: BatchOut
    pushed: int
    failed: int
    approved: int
    rejected: int
    pending: int
    overdue: int
    withdrawn: int
    labels_since_cutover: dict[str, int]
    in_flight_uncollected: int
    cut_over: bool


class FailureOut(Schema):
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    reason: str


@router.get("/switchovers", response=list[SwitchoverOut], summary="Carrier switchovers and their batches")
def list_switchovers(request):
    return list(switchover_list(actor=request.auth))


@router.post("/switchovers", response={201: SwitchoverOut}, summary="Plan a switchover from one carrier to another")
def create_switchover(request, payload: SwitchoverIn):
    return 201, switchover_create(actor=request.auth, **payload.dict())


@router.post("/switchovers/{int:switchover_id}/batches", response={201: BatchOut}, summary="Schedule a batch")
def schedule(request, switchover_id: int, payload: BatchIn):
    return 201, batch_schedule(actor=request.auth, switchover_id=switchover_id, **payload.dict())


@router.get("/switchover-batches/{int:batch_id}", response=DashboardOut, summary="A batch's dashboard")
def dashboard(request, batch_id: int):
    return batch_dashboard(actor=request.auth, batch_id=batch_id)


class TimelineDayOut(Schema):
    day: dt.date = Field(..., description="Beijing day")
    pushed: int = Field(..., description="Pickup requests pushed to the incoming carrier so far")
    approved: int = Field(..., description="Of those, approved by it so far")
    collecting: int = Field(..., description="Warehouses it has collected a first parcel from since the cutover")


@router.get(
    "/switchover-batches/{int:batch_id}/timeline",
    response=list[TimelineDayOut],
    summary="A batch's progress day by day (running totals)",
)
def timeline(request, batch_id: int):
    return batch_timeline(actor=request.auth, batch_id=batch_id)


@router.get("/switchover-batches/{int:batch_id}/push-failures", response=list[FailureOut])
def failures(request, batch_id: int):
    return list(push_failures(actor=request.auth, batch_id=batch_id))


@router.post(
    "/switchover-batches/{int:batch_id}/push",
    response={202: JobOut},
    summary="Push addresses (again) on the worker; poll the job (GET /jobs/{id}) for progress and the report",
)
def push(request, batch_id: int):
    return 202, batch_push_start(actor=request.auth, batch_id=batch_id)


@router.post("/switchover-batches/{int:batch_id}/postpone", response=BatchOut, summary="Move the cutover")
def postpone(request, batch_id: int, payload: PostponeIn):
    return batch_postpone(actor=request.auth, batch_id=batch_id, cutover_at=payload.cutover_at)


@router.post("/switchover-batches/{int:batch_id}/cancel", response=BatchOut, summary="Call the batch off")
def cancel(request, batch_id: int):
    return batch_cancel(actor=request.auth, batch_id=batch_id)
