"""How orders and waybills appear in webhook payloads."""

from __future__ import annotations

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


def register() -> None:
    subjects.register("shipping.order", describe_orders)
    subjects.register("shipping.waybill", describe_waybills)
