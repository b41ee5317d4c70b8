from django.db import migrations, models
from django.utils import timezone

import django.db.models.deletion
from firstmile.core import partitioning


def forwards(apps, schema_editor):
    partitioning.convert_to_partitioned(schema_editor, "events_event", "occurred_at", at=timezone.now())


def backwards(apps, schema_editor):
    partitioning.convert_to_plain(schema_editor, "events_event", "occurred_at")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_drop_indexes_composites_cover"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookdelivery",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="events.event",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
