from django.db import migrations

from firstmile.geo.loader import load_divisions


def load(apps, schema_editor):
    load_divisions(apps.get_model("geo", "Division"))


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    # Reverse is a no-op: the divisions are reference data the schema needs.
    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
