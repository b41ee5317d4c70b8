"""How orders and waybills appear in webhook payloads."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import Order, Waybill


def describe_orders(ids: list[str]) -> dict[str, dict]:
    rows = Order.objects.select_related("merchant", "warehouse").filter(pk__in=int_ids(ids))
    return {
        str(o.pk): {
            "order_no": o.order_no,
            "merchant": o.merchant.code,
            "warehouse_code": o.warehouse.code,
            "status": o.status,
            "created_at": beijing_iso(o.created_at),
            "ship_by": beijing_iso(o.ship_by),
            "extension_hours": o.extension_hours,
            "shipped_at": beijing_iso(o.shipped_at),
            "waybill_nos": [w.waybill_no for w in o.waybills.all()],
        }
        for o in rows.prefetch_related("waybills")
    }


def describe_waybills(ids: list[str]) -> dict[str, dict]:
    rows = Waybill.objects.select_related(
        "order", "merchant", "carrier", "sorting_centre", "warehouse", "pickup_window"
    ).filter(pk__in=int_ids(ids))
    return {
        str(w.pk): {
            "waybill_no": w.waybill_no,
            "order_no": w.order.order_no,
            "merchant": w.merchant.code,
            "carrier": w.carrier.code,
            "handover_method": w.handover_method,
            "sorting_centre": w.sorting_centre.code,
            "sorting_centre_name": w.sorting_centre.name,
            "warehouse_code": w.warehouse.code,
            "status": w.status,
            "issued_at": beijing_iso(w.issued_at),
            "collected_at": beijing_iso(w.collected_at),
            "received_at": beijing_iso(w.received_at),
            "voided_at": beijing_iso(w.voided_at),
            "pickup_slot": {
                "window_id": w.pickup_window_id,
                "date": w.pickup_date.isoformat(),
                "from": f"{w.pickup_window.starts_at:%H:%M}",
                "until": f"{w.pickup_window.ends_at:%H:%M}",
            }
            if w.pickup_window_id
            else None,
        }
        for w in rows
    }


class OrderObject(BaseModel):
    """An order in a webhook payload (``data.object``)."""

    model_config = ConfigDict(extra="forbid")
    order_no: str
    merchant: str
    warehouse_code: str
    status: str
    created_at: datetime
    ship_by: datetime | None
    extension_hours: int
    shipped_at: datetime | None
    waybill_nos: list[str]


class PickupSlotObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_id: int
    date: date
    from_: str = Field(..., alias="from", description="HH:MM, Beijing time")
    until: str = Field(..., description="HH:MM, Beijing time")


class WaybillObject(BaseModel):
    """A waybill (a parcel's label) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    waybill_no: str
    order_no: str
    merchant: str
    carrier: str
    handover_method: str = Field(..., description="PICKUP or DROP_OFF")
    sorting_centre: str
    sorting_centre_name: str
    warehouse_code: str
    status: str
    issued_at: datetime | None
    collected_at: datetime | None
    received_at: datetime | None
    voided_at: datetime | None
    pickup_slot: PickupSlotObject | None


def register() -> None:
    subjects.register("shipping.order", describe_orders, OrderObject)
    subjects.register("shipping.waybill", describe_waybills, WaybillObject)
