"""Trigram indexes for "part of the product / goods / cargo owner name" (PostgreSQL only).

The list filters a name with Django's icontains, which PostgreSQL runs as
``UPPER(name::text) LIKE UPPER('%…%')``; a GIN trigram index on exactly that
expression answers it for patterns of three characters or more, so a search for a
rare name does not read all of a large merchant's orders. SQLite has no such index
and scans, which is fine at its scale.
"""

from django.db import migrations

COLUMNS = {
    "product_name": "reverse_product_name_trgm",
    "goods_name": "reverse_goods_name_trgm",
    "owner_name": "reverse_owner_name_trgm",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column, name in COLUMNS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON reverse_reverseorder USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reverse", "0003_list_cover_index")]

    operations = [migrations.RunPython(create, drop)]
