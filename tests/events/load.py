"""Many webhook deliveries at once, for the kill tests and the delivery benchmark."""

from __future__ import annotations

from django.db import transaction

from firstmile.events.models import WebhookDelivery
from firstmile.events.services import event_record_bulk
from firstmile.pickup.models import Warehouse


def warehouse_events(merchant, count: int, start: int = 0) -> set[str]:
    """``count`` new warehouses of the merchant and one ``warehouse.updated`` event each; their webhook-ids."""
    Warehouse.objects.bulk_create(
        Warehouse(
            merchant=merchant.organisation,
            name=f"仓{n}",
            code=f"K{n:06d}",
            contact_name="陈",
            phone="+8613800138000",
            division_id="441900125",
            address_detail=f"{n}号",
        )
        for n in range(start, start + count)
    )
    before = WebhookDelivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        event_record_bulk(
            actor=None,
            kind="warehouse.updated",
            subjects=Warehouse.objects.filter(merchant=merchant.organisation, code__gte=f"K{start:06d}"),
            owner_field="merchant_id",
        )
    return {d.message_id for d in WebhookDelivery.objects.filter(id__gt=before)}
