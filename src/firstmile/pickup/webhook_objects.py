"""How warehouses and pickup subscriptions appear in webhook payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import PickupSubscription, Warehouse


def _warehouse(w: Warehouse) -> dict:
    return {
        "warehouse_code": w.code,
        "name": w.name,
        "merchant": w.merchant.code,
        "contact_name": w.contact_name,
        "phone": w.phone,
        "division_code": w.division_id,
        "address_detail": w.address_detail,
        "address_version": w.address_version,
        "is_default": w.is_default,
    }


def describe_warehouses(ids: list[str]) -> dict[str, dict]:
    rows = Warehouse.objects.select_related("merchant").filter(pk__in=int_ids(ids))
    return {str(w.pk): _warehouse(w) for w in rows}


def describe_subscriptions(ids: list[str]) -> dict[str, dict]:
    rows = PickupSubscription.objects.select_related("warehouse__merchant", "carrier").filter(pk__in=int_ids(ids))
    return {
        str(s.pk): {
            "subscription_id": s.pk,
            "status": s.status,
            "carrier": s.carrier.code,
            "warehouse_code": s.warehouse.code,
            "merchant": s.warehouse.merchant.code,
            "address_version": s.address_version,
            "division_code": s.division_id,
            "address_detail": s.address_detail,
            "contact_name": s.contact_name,
            "phone": s.phone,
            "origin": s.origin,
            "requested_at": beijing_iso(s.requested_at),
            "review_due_at": beijing_iso(s.review_due_at),
            "decided_at": beijing_iso(s.decided_at),
            "reject_reason": s.reject_reason,
            "effective_from": beijing_iso(s.effective_from),
            "ended_at": beijing_iso(s.ended_at),
        }
        for s in rows
    }


class WarehouseObject(BaseModel):
    """A warehouse in a webhook payload (``data.object``)."""

    model_config = ConfigDict(extra="forbid")
    warehouse_code: str
    name: str
    merchant: str
    contact_name: str
    phone: str
    division_code: str
    address_detail: str
    address_version: int
    is_default: bool


class PickupSubscriptionObject(BaseModel):
    """A pickup subscription (one address version's request to a carrier) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    subscription_id: int
    status: str
    carrier: str
    warehouse_code: str
    merchant: str
    address_version: int
    division_code: str
    address_detail: str
    contact_name: str
    phone: str
    origin: str
    requested_at: datetime | None
    review_due_at: datetime | None
    decided_at: datetime | None
    reject_reason: str
    effective_from: datetime | None
    ended_at: datetime | None


def register() -> None:
    subjects.register("pickup.warehouse", describe_warehouses, WarehouseObject)
    subjects.register("pickup.pickupsubscription", describe_subscriptions, PickupSubscriptionObject)
