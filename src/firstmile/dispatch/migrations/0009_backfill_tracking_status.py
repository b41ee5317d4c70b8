"""Give the parcels already in flight the tracking status their rows imply (docs/tracking.md).

Set-based, one UPDATE per status, in the order of precedence: later statements win.
Parcels written from here on get theirs from the services, in the change's own statement.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import Exists, F, OuterRef, Subquery


def backfill(apps, schema_editor):
    Waybill = apps.get_model("shipping", "Waybill")
    TaskParcel = apps.get_model("dispatch", "TaskParcel")
    HandoverLine = apps.get_model("dispatch", "HandoverLine")
    PickupFailure = apps.get_model("dispatch", "PickupFailure")
    db = schema_editor.connection.alias
    waybills = Waybill.objects.using(db)
    waybills.update(tracking_status="label_created", tracking_since=F("issued_at"))
    waybills.filter(status="issued", pickup_window__isnull=False).update(
        tracking_status="pickup_scheduled", tracking_since=F("updated_at")
    )
    links = TaskParcel.objects.using(db).filter(waybill=OuterRef("pk"))
    last_failure = (
        PickupFailure.objects.using(db)
        .filter(task__parcels__waybill=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    waybills.filter(status="issued").filter(Exists(links.filter(failed_attempts__gt=0))).update(
        tracking_status="pickup_failed", tracking_since=Subquery(last_failure)
    )
    waybills.filter(status="issued").filter(
        Exists(links.filter(failed_attempts__gte=settings.FIRSTMILE_PICKUP_FAILURE_LIMIT))
    ).update(tracking_status="exception")
    waybills.filter(status="collected").update(tracking_status="collected", tracking_since=F("collected_at"))
    signed = HandoverLine.objects.using(db).filter(waybill=OuterRef("pk"), missing=False, handover__status="confirmed")
    waybills.filter(status="collected").filter(Exists(signed)).update(
        tracking_status="handed_over",
        tracking_since=Subquery(signed.order_by("-handover_id").values("handover__confirmed_at")[:1]),
    )
    waybills.filter(status="received", collected_at__isnull=False).update(
        tracking_status="received", tracking_since=F("received_at")
    )
    waybills.filter(status="received", collected_at__isnull=True).update(
        tracking_status="drop_off_received", tracking_since=F("received_at")
    )
    waybills.filter(status="voided").update(tracking_status="voided", tracking_since=F("voided_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0008_stop_window"),
        ("shipping", "0010_waybill_tracking_status"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
