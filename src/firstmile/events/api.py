from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import FileResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import StringConstraints

from firstmile.core.errors import NotFound
from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import CSV, PDF, XLSX, ZPL, file_response
from firstmile.core.types import Instant, ParamId

from . import catalogue, jobs, selectors, services
from .selectors import event_list

router = Router()
webhooks_router = Router()


class EventOut(Schema):
    id: int
    occurred_at: datetime
    kind: str
    subject_type: str
    subject_id: str
    from_state: str
    to_state: str
    payload: dict[str, Any]
    actor_label: str


@router.get("", response=list[EventOut], summary="Events the caller's organisation may see")
@paginate(CursorPagination, ordering=("-id",))
def list_events(request, subject_type: str | None = None, subject_id: str | None = None):
    return event_list(actor=request.auth, subject_type=subject_type, subject_id=subject_id)


# -- webhooks ---------------------------------------------------------------------------------


class EventTypeOut(Schema):
    type: str
    received_by: str
    meaning: str


class EndpointOut(Schema):
    id: int
    organisation: str = Field(..., alias="organisation.code")
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    disabled_at: datetime | None
    disabled_reason: str
    failing_since: datetime | None
    consecutive_failures: int
    previous_secret_expires_at: datetime | None
    created_at: datetime


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(..., description="The signing secret (whsec_…): shown this once, never again")


class EndpointIn(Schema):
    url: str = Field(..., max_length=500, description="http(s) URL that receives POSTed events")
    event_types: list[str] = Field(..., min_length=1, max_length=100, description="types from the catalogue, or *")
    description: str = Field("", max_length=200)


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=500)
    event_types: list[str] | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class ReplayRangeIn(Schema):
    since: Instant
    until: Instant
    only_failed: bool = True


class ReplayedOut(Schema):
    replayed: int


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: int
    event_type: str = Field(..., alias="event.kind")
    webhook_id: str = Field(..., alias="message_id")
    status: str
    attempt_count: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    created_at: datetime
    finished_at: datetime | None
    replayed_count: int


class AttemptOut(Schema):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str
    response_excerpt: str
    outcome: str


class DeliveryDetailOut(DeliveryOut):
    body: str
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_attempts(obj):
        return list(selectors.attempt_list(delivery=obj))


@webhooks_router.get("/webhook-event-types", response=list[EventTypeOut], summary="The catalogue of event types")
def list_event_types(request):
    return [
        {"type": kind, "received_by": parties, "meaning": str(meaning)}
        for kind, (parties, meaning) in catalogue.EVENT_TYPES.items()
    ]


@webhooks_router.get("/webhook-endpoints", response=list[EndpointOut], summary="The organisation's webhook endpoints")
def list_endpoints(request):
    return list(selectors.endpoint_list(actor=request.auth)[:1000])


@webhooks_router.post(
    "/webhook-endpoints",
    response={201: EndpointWithSecretOut},
    summary="Register a webhook endpoint (admins); its signing secret is shown once",
)
def create_endpoint(request, payload: EndpointIn):
    endpoint, secret = services.endpoint_create(
        actor=request.auth, url=payload.url, event_types=payload.event_types, description=payload.description
    )
    endpoint.secret = secret
    return 201, endpoint


@webhooks_router.get("/webhook-endpoints/{int:endpoint_id}", response=EndpointOut, summary="One webhook endpoint")
def get_endpoint(request, endpoint_id: ParamId):
    return selectors.endpoint_get(actor=request.auth, endpoint_id=endpoint_id)


@webhooks_router.patch(
    "/webhook-endpoints/{int:endpoint_id}",
    response=EndpointOut,
    summary="Change an endpoint's URL, event types or description, or switch it off and on (admins)",
)
def update_endpoint(request, endpoint_id: ParamId, payload: EndpointPatch):
    return services.endpoint_update(
        actor=request.auth,
        endpoint_id=endpoint_id,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        is_active=payload.is_active,
    )


@webhooks_router.delete(
    "/webhook-endpoints/{int:endpoint_id}", response={204: None}, summary="Delete a webhook endpoint (admins)"
)
def delete_endpoint(request, endpoint_id: ParamId):
    services.endpoint_delete(actor=request.auth, endpoint_id=endpoint_id)
    return 204, None


@webhooks_router.post(
    "/webhook-endpoints/{int:endpoint_id}/rotate-secret",
    response=EndpointWithSecretOut,
    summary="A new signing secret, shown once; the old one also signs for 24 hours (admins)",
)
def rotate_secret(request, endpoint_id: ParamId):
    endpoint, secret = services.endpoint_rotate_secret(actor=request.auth, endpoint_id=endpoint_id)
    endpoint.secret = secret
    return endpoint


@webhooks_router.post(
    "/webhook-endpoints/{int:endpoint_id}/replay",
    response=ReplayedOut,
    summary="Send again the finished (by default: failed) deliveries of events in a time range (admins)",
)
def replay_range(request, endpoint_id: ParamId, payload: ReplayRangeIn):
    count = services.deliveries_replay(
        actor=request.auth,
        endpoint_id=endpoint_id,
        since=payload.since,
        until=payload.until,
        only_failed=payload.only_failed,
    )
    return {"replayed": count}


@webhooks_router.get(
    "/webhook-deliveries", response=list[DeliveryOut], summary="The delivery log of the organisation's endpoints"
)
@paginate(CursorPagination, ordering=("-id",))
def list_deliveries(
    request,
    endpoint_id: ParamId | None = None,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    event_type: Annotated[str, StringConstraints(max_length=64)] | None = None,
):
    return selectors.delivery_list(actor=request.auth, endpoint_id=endpoint_id, status=status, event_type=event_type)


@webhooks_router.get(
    "/webhook-deliveries/{int:delivery_id}",
    response=DeliveryDetailOut,
    summary="One delivery with its body and every attempt",
)
def get_delivery(request, delivery_id: ParamId):
    return selectors.delivery_get(actor=request.auth, delivery_id=delivery_id)


@webhooks_router.post(
    "/webhook-deliveries/{int:delivery_id}/replay",
    response=DeliveryOut,
    summary="Send a finished delivery again, with the same webhook-id (admins)",
)
def replay_delivery(request, delivery_id: ParamId):
    return services.delivery_replay(actor=request.auth, delivery_id=delivery_id)


# -- background jobs ----------------------------------------------------------------------------

jobs_router = Router()

RESULT_MEDIA_TYPES = {"pdf": PDF, "zpl": ZPL, "xlsx": XLSX, "csv": CSV}


class JobOut(Schema):
    id: int
    kind: str
    title: str
    status: str = Field(..., description="queued, running, done, failed, or interrupted (resume it)")
    progress_done: int
    progress_total: int
    percent: int
    report: dict[str, Any]
    error: str
    result_name: str
    result_url: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_result_url(obj):
        return f"/api/v1/jobs/{obj.pk}/result" if obj.result_file else None


@jobs_router.get("/jobs", response=list[JobOut], summary="The organisation's background jobs, newest first")
@paginate(CursorPagination, ordering=("-id",))
def list_jobs(request, kind: Annotated[str, StringConstraints(max_length=64)] | None = None):
    return selectors.job_list(actor=request.auth, kind=kind)


@jobs_router.get("/jobs/{int:job_id}", response=JobOut, summary="A job's state, progress and report (poll it)")
def get_job(request, job_id: ParamId):
    return selectors.job_get(actor=request.auth, job_id=job_id)


@jobs_router.post(
    "/jobs/{int:job_id}/resume",
    response={202: JobOut},
    summary="Resume an interrupted job after its last completed step",
)
def resume_job(request, job_id: ParamId):
    return 202, jobs.job_resume(actor=request.auth, job_id=job_id)


@jobs_router.get(
    "/jobs/{int:job_id}/result",
    response={200: None},
    summary="Download a finished job's file",
    openapi_extra=file_response(
        PDF, ZPL, XLSX, CSV, description="The file the job made: labels (PDF or ZPL) or an export (.xlsx or .csv)"
    ),
)
def job_result(request, job_id: ParamId):
    job = selectors.job_get(actor=request.auth, job_id=job_id)
    if not job.result_file or job.status != "done":
        raise NotFound("job_result_not_found", "This job has no file to download (yet).", field="job_id")
    name = job.result_name or "result"
    media_type = RESULT_MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name, content_type=media_type)
