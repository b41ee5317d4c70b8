"""The migrated database holds every constraint and index the models declare.

Django's AlterField drops a column's indexes by matching the column, so a
migration that removes a foreign key's own index can silently take a partial
unique constraint on the same column with it; this walks every model instead of
trusting each migration.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def _declared():
    for model in apps.get_models():
        if not model.__module__.startswith("firstmile.") or not model._meta.managed or model._meta.proxy:
            continue
        names = [c.name for c in model._meta.constraints] + [i.name for i in model._meta.indexes]
        if names:
            yield model, names


def test_every_declared_constraint_and_index_exists():
    missing = []
    with connection.cursor() as cursor:
        for model, names in _declared():
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            missing += [f"{model._meta.db_table}.{name}" for name in names if name not in present]
    assert missing == []


def test_every_foreign_key_has_an_index_leading_with_it_unless_declared_otherwise():
    """A key without an index of its own is still the first column of another one (deletes and joins use it)."""
    unindexed = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("firstmile.") or not model._meta.managed or model._meta.proxy:
                continue
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            leading = {
                c["columns"][0]
                for c in constraints.values()
                if c["columns"] and (c["index"] or c["unique"] or c["primary_key"])
            }
            for field in model._meta.concrete_fields:
                if field.is_relation and field.column not in leading:
                    unindexed.append(f"{model._meta.db_table}.{field.column}")
    assert unindexed == [], unindexed
