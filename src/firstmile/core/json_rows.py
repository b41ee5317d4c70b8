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

from django.db import connection
from django.db.models import Model, QuerySet
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
    instances = []
    for row in rows:
        values = dict(row)
        parents = {name: values.pop(name) for name in related}
        instance = _instance(model, values)
        for name, parent_row in parents.items():
            parent_model = model._meta.get_field(name).related_model
            setattr(instance, name, _instance(parent_model, parent_row))
        instances.append(instance)
    return instances


def _instance(model: type[Model], values: dict) -> Model:
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias,
        [f.attname for f in fields],
        [f.to_python(values[f.attname]) if values[f.attname] is not None else None for f in fields],
    )
