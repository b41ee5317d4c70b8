"""A parent row's related rows, fetched inside the parent's own query (PostgreSQL).

A single-object read that needs a few child rows (a warehouse and its current
pickup subscriptions) otherwise costs a second round trip, which on the hottest
API read was a quarter of its time. ``rows_subquery`` turns a queryset of the
children, correlated to the parent with ``OuterRef``, into an array of JSON
objects selected with the parent; ``rows_to_instances`` makes them model
instances again, with their ``select_related`` parents, through each field's own
``to_python``. On other databases it returns None and the caller queries the
children as before.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.functions import JSONObject


def _fields(model: type[Model], prefix: str = "") -> dict:
    return {f.attname: f"{prefix}{f.attname}" for f in model._meta.concrete_fields}


def rows_subquery(queryset: QuerySet, related: tuple[str, ...] = ()):
    """An expression selecting ``queryset``'s rows (in its order) as a JSON array, or None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    from django.contrib.postgres.expressions import ArraySubquery

    model = queryset.model
    shape = _fields(model)
    for name in related:
        parent = model._meta.get_field(name).related_model
        shape[name] = JSONObject(**_fields(parent, f"{name}__"))
    return ArraySubquery(queryset.values(row=JSONObject(**shape)))


def rows_to_instances(model: type[Model], rows: list[dict], related: tuple[str, ...] = ()) -> list[Model]:
    alias = connection.alias  # a proxy lookup: once, not per row
    parents = {name: model._meta.get_field(name).related_model for name in related}
    instances = []
    for row in rows:
        values = dict(row)
        parent_rows = {name: values.pop(name) for name in related}
        instance = _instance(model, values, alias)
        for name, parent_row in parent_rows.items():
            setattr(instance, name, _instance(parents[name], parent_row, alias))
        instances.append(instance)
    return instances


_IDENTITY = {
    "AutoField", "BigAutoField", "SmallAutoField", "BooleanField", "CharField", "TextField", "SlugField",
    "EmailField", "URLField", "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "ForeignKey", "OneToOneField",
}  # fmt: skip


@cache
def _plan(model: type[Model]) -> tuple[list[str], list]:
    """Each concrete field's attname and how its JSON value becomes a Python one (None: as it is)."""
    names, converters = [], []
    for field in model._meta.concrete_fields:
        kind = field.get_internal_type()
        names.append(field.attname)
        if kind in _IDENTITY:
            converters.append(None)  # JSON gave the type already (strings, numbers, booleans, ids)
        elif kind == "DateTimeField":
            converters.append(datetime.fromisoformat)  # PostgreSQL's JSON: ISO 8601 with the offset
        elif kind == "DateField":
            converters.append(date.fromisoformat)
        else:
            converters.append(field.to_python)
    return names, converters


def _instance(model: type[Model], values: dict, alias: str) -> Model:
    """A model instance as Model.from_db makes it, without a setattr per field through __init__."""
    names, converters = _plan(model)
    instance = model.__new__(model)
    instance.__dict__.update(
        (name, value if convert is None or value is None else convert(value))
        for name, convert, value in zip(names, converters, (values[name] for name in names), strict=True)
    )
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = alias
    return instance
