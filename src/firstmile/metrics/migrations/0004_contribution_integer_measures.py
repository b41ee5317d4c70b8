from django.db import migrations, models

MEASURES = (
    "labels late_labels due due_on_time due_slotted slotted_on_time collected first_attempt_ok first_attempt_failed "
    "failed_attempts listed missing inbound inbound_on_time lead_minutes lead_h2 lead_h4 lead_h8 lead_h12 lead_h24 "
    "lead_h48 lead_h72 lead_more dropped_off"
).split()


def narrow(apps, schema_editor):
    # One ALTER TABLE for all columns: PostgreSQL rewrites the table once, not once per column.
    # SQLite stores both as INTEGER: nothing to do there.
    if schema_editor.connection.vendor == "postgresql":
        changes = ", ".join(f"ALTER COLUMN {m} TYPE integer" for m in MEASURES)
        schema_editor.execute(f"ALTER TABLE metrics_contribution {changes}")


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        changes = ", ".join(f"ALTER COLUMN {m} TYPE bigint" for m in MEASURES)
        schema_editor.execute(f"ALTER TABLE metrics_contribution {changes}")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_drill_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="contribution", name=m, field=models.IntegerField(default=0))
                for m in MEASURES
            ],
            database_operations=[migrations.RunPython(narrow, widen)],
        ),
    ]
