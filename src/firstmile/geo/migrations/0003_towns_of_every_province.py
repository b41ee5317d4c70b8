from django.db import migrations

from firstmile.geo.loader import load_divisions


def load_missing(apps, schema_editor):
    # divisions.csv now holds the towns and streets of every province, not only
    # Guangdong's; an installation migrated before gets the rows it lacks.
    load_divisions(apps.get_model("geo", "Division"))


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_load_divisions")]

    operations = [migrations.RunPython(load_missing, migrations.RunPython.noop)]
