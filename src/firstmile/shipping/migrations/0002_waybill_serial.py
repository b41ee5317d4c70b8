from django.db import migrations

SEQUENCE = "shipping_waybill_serial"


def create_serial(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START 1")
    else:
        apps.get_model("shipping", "WaybillCounter").objects.get_or_create(id=1, defaults={"value": 0})


def drop_serial(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]
    operations = [migrations.RunPython(create_serial, drop_serial)]
