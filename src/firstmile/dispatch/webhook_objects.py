"""How pickup tasks and handover lists appear in webhook payloads."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import HandoverLine, HandoverList, PickupTask


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


def describe_handovers(ids: list[str]) -> dict[str, dict]:
    rows = list(
        HandoverList.objects.select_related("carrier", "merchant", "warehouse", "sorting_centre", "driver").filter(
            pk__in=int_ids(ids)
        )
    )
    numbers: dict[int, dict[bool, list[str]]] = {h.pk: {False: [], True: []} for h in rows}
    lines = HandoverLine.objects.filter(handover_id__in=numbers).order_by("waybill__waybill_no")
    for handover_id, missing, waybill_no in lines.values_list("handover_id", "missing", "waybill__waybill_no"):
        numbers[handover_id][missing].append(waybill_no)
    return {
        str(h.pk): {
            "handover_id": h.pk,
            "number": h.number,
            "kind": h.kind,
            "status": h.status,
            "date": h.date.isoformat(),
            "carrier": h.carrier.code,
            "merchant": h.merchant.code,
            "warehouse_code": h.warehouse.code if h.warehouse else None,
            "task_id": h.task_id,
            "sorting_centre": h.sorting_centre.code if h.sorting_centre else None,
            "driver": h.driver.name if h.driver else None,
            "parcel_count": h.parcel_count,
            "missing_count": h.missing_count,
            "weight_kg": str(h.weight_kg) if h.weight_kg is not None else None,
            "signed_by": h.signer_name or None,
            "confirmed_at": beijing_iso(h.confirmed_at),
            "waybill_nos": numbers[h.pk][False],
            "missing_waybill_nos": numbers[h.pk][True],
        }
        for h in rows
    }


class PickupTaskObject(BaseModel):
    """A pickup task (one warehouse's stop on one day) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    task_id: int
    date: date
    carrier: str
    warehouse_code: str
    merchant: str
    status: str
    stop: int
    driver: str | None
    driver_phone: str | None
    closed_at: datetime | None
    waybill_nos: list[str]


class HandoverListObject(BaseModel):
    """A signed handover list (交接单) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    handover_id: int
    number: str
    kind: str
    status: str
    date: date
    carrier: str
    merchant: str
    warehouse_code: str | None
    task_id: int | None
    sorting_centre: str | None
    driver: str | None
    parcel_count: int
    missing_count: int
    weight_kg: str | None = Field(..., description="a decimal number of kilograms, as text")
    signed_by: str | None
    confirmed_at: datetime | None
    waybill_nos: list[str]
    missing_waybill_nos: list[str]


def register() -> None:
    subjects.register("dispatch.pickuptask", describe_tasks, PickupTaskObject)
    subjects.register("dispatch.handoverlist", describe_handovers, HandoverListObject)
