"""How switchover batches appear in webhook payloads."""

from __future__ import annotations

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


def register() -> None:
    subjects.register("switchover.switchoverbatch", describe_batches)
