"""How reverse orders appear in webhook payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import PickupRegistration, ReverseOrder


def _registration(r: PickupRegistration | None) -> dict | None:
    if r is None:
        return None
    return {
        "method": r.method,
        "expected_pickup_at": beijing_iso(r.expected_pickup_at),
        "person_name": r.person_name,
        "recipient_name": r.recipient_name,
        "phone": r.phone,
        "division_code": r.division_id,
        "address_detail": r.address_detail,
        "note": r.note,
    }


def describe_reverse_orders(ids: list[str]) -> dict[str, dict]:
    rows = ReverseOrder.objects.select_related("merchant", "carrier").filter(pk__in=int_ids(ids))
    registrations = {r.reverse_order_id: r for r in PickupRegistration.objects.filter(reverse_order__in=rows)}
    return {
        str(o.pk): {
            "reverse_no": o.reverse_no,
            "order_no": o.order_no,
            "sales_return_no": o.sales_return_no,
            "merchant": o.merchant.code,
            "carrier": o.carrier.code,
            "reverse_type": o.reverse_type,
            "disposition": o.disposition,
            "status": o.status,
            "exception_state": o.exception_state,
            "pickup_method": o.pickup_method,
            "warehouse_code": o.warehouse_code,
            "owner_id": o.owner_id,
            "product_id": o.product_id,
            "goods_id": o.goods_id,
            "created_at": beijing_iso(o.created_at),
            "updated_at": beijing_iso(o.updated_at),
            "destruction_confirmed_at": beijing_iso(o.destruction_confirmed_at),
            "completion_kind": o.completion_kind,
            "completed_at": beijing_iso(o.completed_at),
            "tracking_no": o.tracking_no,
            "registration": _registration(registrations.get(o.pk)),
        }
        for o in rows
    }


class PickupRegistrationObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(..., description="self_pickup or forward")
    expected_pickup_at: datetime | None
    person_name: str
    recipient_name: str
    phone: str
    division_code: str | None
    address_detail: str
    note: str


class ReverseOrderObject(BaseModel):
    """A reverse order (逆向管理单) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    reverse_no: str
    order_no: str
    sales_return_no: str
    merchant: str
    carrier: str
    reverse_type: str
    disposition: str
    status: str
    exception_state: str
    pickup_method: str
    warehouse_code: str
    owner_id: str
    product_id: str
    goods_id: str
    created_at: datetime
    updated_at: datetime
    destruction_confirmed_at: datetime | None
    completion_kind: str
    completed_at: datetime | None
    tracking_no: str
    registration: PickupRegistrationObject | None


def register() -> None:
    subjects.register("reverse.reverseorder", describe_reverse_orders, ReverseOrderObject)
