from django.db import migrations
from django.utils import timezone

from firstmile.core import partitioning


def forwards(apps, schema_editor):
    partitioning.convert_to_partitioned(schema_editor, "dispatch_scan", "created_at", at=timezone.now())


def backwards(apps, schema_editor):
    partitioning.convert_to_plain(schema_editor, "dispatch_scan", "created_at")


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0003_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
