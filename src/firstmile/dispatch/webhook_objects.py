"""How pickup tasks appear in webhook payloads."""

from __future__ import annotations

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import PickupTask


def describe_tasks(ids: list[str]) -> dict[str, dict]:
    rows = PickupTask.objects.select_related("carrier", "warehouse__merchant", "shift__driver").filter(
        pk__in=int_ids(ids)
    )
    return {
        str(t.pk): {
            "task_id": t.pk,
            "date": t.date.isoformat(),
            "carrier": t.carrier.code,
            "warehouse_code": t.warehouse.code,
            "merchant": t.warehouse.merchant.code,
            "status": t.status,
            "stop": t.sequence,
            "driver": t.shift.driver.name if t.shift else None,
            "driver_phone": t.shift.driver.phone if t.shift else None,
            "closed_at": beijing_iso(t.closed_at),
            "waybill_nos": [p.waybill.waybill_no for p in t.parcels.all()],
        }
        for t in rows.prefetch_related("parcels__waybill")
    }


def register() -> None:
    subjects.register("dispatch.pickuptask", describe_tasks)
