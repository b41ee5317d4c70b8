"""How switchover batches appear in webhook payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from firstmile.events import subjects
from firstmile.events.subjects import beijing_iso, int_ids

from .models import SwitchoverBatch


def describe_batches(ids: list[str]) -> dict[str, dict]:
    rows = SwitchoverBatch.objects.select_related("switchover__from_carrier", "switchover__to_carrier").filter(
        pk__in=int_ids(ids)
    )
    return {
        str(b.pk): {
            "batch_id": b.pk,
            "name": b.name,
            "from_carrier": b.switchover.from_carrier.code,
            "to_carrier": b.switchover.to_carrier.code,
            "cutover_at": beijing_iso(b.cutover_at),
            "status": b.status,
            "areas": sorted(b.areas.values_list("division_id", flat=True)),
            "extension": {
                "days_before": b.extension_days_before,
                "days_after": b.extension_days_after,
                "extra_days": b.extension_days,
            },
            "push_total": b.push_total,
            "push_done": b.push_done,
        }
        for b in rows
    }


class SwitchoverExtensionObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days_before: int
    days_after: int
    extra_days: int


class SwitchoverBatchObject(BaseModel):
    """A switchover batch (its areas change carrier at the cutover) in a webhook payload."""

    model_config = ConfigDict(extra="forbid")
    batch_id: int
    name: str
    from_carrier: str
    to_carrier: str
    cutover_at: datetime
    status: str
    areas: list[str]
    extension: SwitchoverExtensionObject
    push_total: int
    push_done: int


def register() -> None:
    subjects.register("switchover.switchoverbatch", describe_batches, SwitchoverBatchObject)
