"""How bundles appear in webhook payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import Bundle, BundleParcel


def describe_bundles(ids: list[str]) -> dict[str, dict]:
    rows = list(
        Bundle.objects.select_related("merchant", "warehouse", "carrier", "sorting_centre", "collected_by").filter(
            pk__in=int_ids(ids)
        )
    )
    numbers: dict[int, dict[bool, list[str]]] = {b.pk: {False: [], True: []} for b in rows}
    lines = BundleParcel.objects.filter(bundle_id__in=numbers, removed_at__isnull=True).order_by("waybill__waybill_no")
    for bundle_id, missing, waybill_no in lines.values_list("bundle_id", "missing", "waybill__waybill_no"):
        numbers[bundle_id][missing].append(waybill_no)
    return {
        str(b.pk): {
            "bundle_id": b.pk,
            "number": b.number,
            "status": b.status,
            "merchant": b.merchant.code,
            "warehouse_code": b.warehouse.code,
            "handover_method": b.handover_method,
            "carrier": b.carrier.code if b.carrier else None,
            "sorting_centre": b.sorting_centre.code if b.sorting_centre else None,
            "collected_by": b.collected_by.code if b.collected_by else None,
            "parcel_count": b.parcel_count,
            "missing_count": b.missing_count,
            "weight_kg": str(b.weight_kg) if b.weight_kg is not None else None,
            "express_company": b.express_company or None,
            "express_tracking_no": b.express_tracking_no or None,
            "closed_at": beijing_iso(b.closed_at),
            "collected_at": beijing_iso(b.collected_at),
            "received_at": beijing_iso(b.received_at),
            "waybill_nos": numbers[b.pk][False] + numbers[b.pk][True],
            "missing_waybill_nos": numbers[b.pk][True],
        }
        for b in rows
    }


class BundleObject(BaseModel):
    """A first-mile bundle (集包) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    bundle_id: int
    number: str
    status: str
    merchant: str
    warehouse_code: str
    handover_method: str
    carrier: str | None
    sorting_centre: str | None
    collected_by: str | None = Field(..., description="the carrier that collected it (the one serving the area)")
    parcel_count: int
    missing_count: int
    weight_kg: str | None = Field(..., description="a decimal number of kilograms, as text")
    express_company: str | None
    express_tracking_no: str | None
    closed_at: datetime | None
    collected_at: datetime | None
    received_at: datetime | None
    waybill_nos: list[str]
    missing_waybill_nos: list[str] = Field(..., description="not found when the sorting centre checked the bundle")


def register() -> None:
    subjects.register("bundles.bundle", describe_bundles, BundleObject)
