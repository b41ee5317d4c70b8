from datetime import datetime
from functools import partial

from ninja import Field, File, Router, Schema, UploadedFile
from ninja.pagination import paginate

from firstmile.core.pagination import CursorPagination
from firstmile.core.schemas import PlainOut
from firstmile.core.types import id_list
from firstmile.events.api import EventOut, JobOut
from firstmile.geo.selectors import division_full_name

from .imports import warehouse_import_start
from .models import RejectReason
from .selectors import (
    WAREHOUSE_PAGE,
    pickup_state,
    pickup_states,
    review_queue,
    state_labels,
    subscription_get,
    warehouse_get,
    warehouse_list,
    warehouse_page,
)
from .selectors import warehouse_timeline as timeline
from .services import (
    MAX_BULK,
    subscription_approve,
    subscription_cancel,
    subscription_reject,
    warehouse_create,
    warehouse_update,
)

router = Router()


class SubscriptionOut(PlainOut):
    id: int
    carrier: str
    status: str
    requested_at: datetime
    review_due_at: datetime
    decided_at: datetime | None
    reject_reason: str
    reject_note: str


class PickupOut(PlainOut):
    supports_pickup: bool = Field(..., description="支持揽收: labels print PICK UP")
    state: str = Field(..., description="active, pending, overdue, rejected, cancelled, not_covered or none")
    label: str
    handover_method: str = Field(..., description="PICKUP or DROP_OFF for a label printed now")
    carrier: str | None
    carrier_hotline: str | None
    subscription: SubscriptionOut | None


class WarehouseOut(PlainOut):
    id: int
    name: str
    code: str
    contact_name: str
    phone: str
    division_code: str
    region: str
    address_detail: str
    is_default: bool
    address_version: int
    updated_at: datetime
    pickup: PickupOut


class WarehouseIn(Schema):
    name: str = Field(..., max_length=100)
    code: str = Field(..., max_length=40)
    contact_name: str = Field(..., max_length=50)
    phone: str = Field(..., max_length=32, description="Chinese mobile or landline, e.g. 13800138000")
    division_code: str = Field(..., max_length=12, description="the lowest-level division, e.g. 441900125")
    address_detail: str = Field(..., max_length=200)
    is_default: bool = False


class SavedOut(Schema):
    warehouse: WarehouseOut
    address_changed: bool
    pickup_requested: bool


class ImportRowError(Schema):
    row: int
    field: str | None
    code: str
    message: str


class RequestOut(Schema):
    id: int
    status: str
    warehouse_id: int
    warehouse_name: str = Field(..., alias="warehouse.name")
    warehouse_code: str = Field(..., alias="warehouse.code")
    merchant: str = Field(..., alias="warehouse.merchant.name")
    contact_name: str
    phone: str
    division_code: str = Field(..., alias="division_id")
    region: str
    address_detail: str
    requested_at: datetime
    review_due_at: datetime
    decided_at: datetime | None
    reject_reason: str
    reject_note: str

    @staticmethod
    def resolve_region(obj):
        return division_full_name(obj.division)


class DecideIn(Schema):
    subscription_ids: id_list(MAX_BULK)


class RejectIn(DecideIn):
    reason: RejectReason
    note: str = Field("", max_length=200)


class DecidedOut(Schema):
    decided: int


def _out(state, labels: dict[str, str] | None = None) -> dict:
    """The response row of a warehouse and its pickup state; a page passes ``labels`` (state_labels()) once."""
    w = state.warehouse
    carrier = state.carrier
    return {
        "id": w.id,
        "name": w.name,
        "code": w.code,
        "contact_name": w.contact_name,
        "phone": w.phone,
        "division_code": w.division_id,
        "region": division_full_name(w.division_id),
        "address_detail": w.address_detail,
        "is_default": w.is_default,
        "address_version": w.address_version,
        "updated_at": w.updated_at,
        "pickup": {
            "supports_pickup": state.supports_pickup,
            "state": state.kind,
            "label": labels[state.kind] if labels else state.label,
            "handover_method": state.handover_method,
            "carrier": carrier.code if carrier else None,
            "carrier_hotline": carrier.hotline if carrier else None,
            "subscription": _subscription_out(state.subscription, carrier),
        },
    }


def _subscription_out(sub, carrier) -> dict | None:
    if sub is None:
        return None
    return {
        "id": sub.id,
        "carrier": carrier.code,
        "status": sub.status,
        "requested_at": sub.requested_at,
        "review_due_at": sub.review_due_at,
        "decided_at": sub.decided_at,
        "reject_reason": sub.reject_reason,
        "reject_note": sub.reject_note,
    }


class _WarehousePage(CursorPagination):
    """Cursor pages whose rows carry their pickup state, fetched for the page at once.

    A merchant's plain forward pages of the default size (what an ERP sync walks)
    are read by one prepared query with the pickup facts in each row; any other
    page (a search, another size, a backward cursor) goes through the generic
    paginator. Both give the same rows and cursors.
    """

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        # The view hands over how to build its queryset, not the queryset: building
        # it (filters compiled into a Query) was a tenth of a prepared page's Python.
        page = self._prepared_page(pagination, request) or super().paginate_queryset(
            queryset(), pagination, request=request, **params
        )
        labels = state_labels()
        page["results"] = [_out(s, labels) for s in pickup_states(page["results"])]
        return page

    def _prepared_page(self, pagination, request) -> dict | None:
        actor = request.auth
        size = self._get_page_size(pagination.page_size)
        if not actor.is_merchant or request.GET.get("search") or size != WAREHOUSE_PAGE:
            return None
        cursor = self.Cursor.from_encoded_param(pagination.cursor)
        if cursor.r or cursor.o or not (cursor.p is None or (cursor.p.isdigit() and len(cursor.p) < 19)):
            return None
        rows = warehouse_page(actor=actor, from_id=int(cursor.p or 0))
        results = rows[:WAREHOUSE_PAGE]
        further = str(rows[WAREHOUSE_PAGE].pk) if len(rows) > WAREHOUSE_PAGE else None
        return self.page(request, cursor, results, further)


@router.get("/warehouses", response=list[WarehouseOut], summary="Your warehouses with their pickup state (ERP sync)")
@paginate(_WarehousePage, ordering=("id",))
def list_warehouses(request, search: str | None = None):
    return partial(warehouse_list, actor=request.auth, search=search)  # built by _WarehousePage if it needs it


@router.post("/warehouses", response={201: SavedOut}, summary="Add a warehouse; a covered address requests pickup")
def create_warehouse(request, payload: WarehouseIn):
    saved = warehouse_create(actor=request.auth, **payload.dict())
    return 201, {
        "warehouse": _out(pickup_state(saved.warehouse)),
        "address_changed": True,
        "pickup_requested": bool(saved.decision and saved.decision.subscription_id),
    }


@router.get("/warehouses/{int:warehouse_id}", response=WarehouseOut)
def get_warehouse(request, warehouse_id: int):
    return _out(pickup_state(warehouse_get(actor=request.auth, warehouse_id=warehouse_id)))


@router.put(
    "/warehouses/{int:warehouse_id}",
    response=SavedOut,
    summary="Save a warehouse; a changed address, contact or phone is a new pickup request",
)
def update_warehouse(request, warehouse_id: int, payload: WarehouseIn):
    saved = warehouse_update(actor=request.auth, warehouse_id=warehouse_id, **payload.dict())
    return {
        "warehouse": _out(pickup_state(saved.warehouse)),
        "address_changed": saved.address_changed,
        "pickup_requested": bool(saved.decision and saved.decision.subscription_id),
    }


@router.post("/warehouses/{int:warehouse_id}/cancel-pickup", response=WarehouseOut, summary="Give up pickup: self-send")
def cancel_pickup(request, warehouse_id: int):
    subscription = subscription_cancel(actor=request.auth, warehouse_id=warehouse_id)
    return _out(pickup_state(subscription.warehouse))


@router.get("/warehouses/{int:warehouse_id}/events", response=list[EventOut], summary="The warehouse's pickup history")
def warehouse_events(request, warehouse_id: int):
    warehouse = warehouse_get(actor=request.auth, warehouse_id=warehouse_id)
    return list(timeline(actor=request.auth, warehouse=warehouse)[:200])


@router.post(
    "/warehouses/import",
    response={202: JobOut},
    summary="Import warehouses from an .xlsx or .csv file on the worker; poll the job for the row report",
)
def import_warehouses(request, file: File[UploadedFile]):
    return 202, warehouse_import_start(actor=request.auth, filename=file.name or "", content=file.read())


@router.get("/pickup-requests", response=list[RequestOut], summary="The carrier's pickup requests (review queue)")
@paginate(CursorPagination, ordering=("id",))
def list_requests(
    request,
    status: str | None = "pending_review",
    area: str | None = None,
    overdue: bool | None = None,
    older_than_hours: int | None = None,
):
    return review_queue(
        actor=request.auth, status=status or None, area=area, overdue=overdue, older_than_hours=older_than_hours
    )


@router.get("/pickup-requests/{int:subscription_id}", response=RequestOut)
def get_request(request, subscription_id: int):
    return subscription_get(actor=request.auth, subscription_id=subscription_id)


@router.post("/pickup-requests/approve", response=DecidedOut, summary="Approve one or many pending requests")
def approve(request, payload: DecideIn):
    return {"decided": subscription_approve(actor=request.auth, subscription_ids=payload.subscription_ids)}


@router.post("/pickup-requests/reject", response=DecidedOut, summary="Reject one or many pending requests")
def reject(request, payload: RejectIn):
    decided = subscription_reject(
        actor=request.auth, subscription_ids=payload.subscription_ids, reason=payload.reason, note=payload.note
    )
    return {"decided": decided}
