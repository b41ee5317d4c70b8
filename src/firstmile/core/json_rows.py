"""A parent row's related rows, fetched inside the parent's own query (PostgreSQL).

A single-object read that needs a few child rows (a warehouse and its current
pickup subscriptions) otherwise costs a second round trip, which on the hottest
API read was a quarter of its time. ``rows_subquery`` turns a queryset of the
children, correlated to the parent with ``OuterRef``, into an array of JSON
objects selected with the parent; ``rows_to_instances`` makes them model
instances again, with their ``select_related`` parents. On other databases it
returns None and the caller queries the children as before.

The objects arrive as JSON text and are parsed by orjson in rows_to_instances:
Django's JSONField would parse each with the standard library's json, which was
a twentieth of a 20-row page's Python.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache, cached_property

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Func, Model, QuerySet, TextField
from django.db.models.base import ModelState
from django.db.models.functions import Cast, JSONObject


def _fields(model: type[Model], prefix: str = "", defer: tuple[str, ...] = ()) -> dict:
    return {
        f.attname: f"{prefix}{f.attname}"
        for f in model._meta.concrete_fields
        if f"{prefix}{f.attname}" not in defer or f.primary_key
    }


def rows_subquery(queryset: QuerySet, related: tuple[str, ...] = (), defer: tuple[str, ...] = ()):
    """An expression selecting ``queryset``'s rows (in its order) as a JSON array, or None off PostgreSQL.

    ``defer`` leaves fields out (``"created_at"``, ``"carrier__created_at"``): the
    instances have them deferred, as ``QuerySet.defer`` would, and PostgreSQL builds
    smaller objects (on a page of warehouses, building them was half the query).
    """
    if connection.vendor != "postgresql":
        return None
    model = queryset.model
    shape = _fields(model, defer=defer)
    for name in related:
        parent = model._meta.get_field(name).related_model
        shape[name] = _JSONObject(**_fields(parent, f"{name}__", defer))
    return _JSONTexts(queryset.values(row=_JSONObject(as_text=True, **shape)))


class _JSONObject(JSONObject):
    """``JSON_BUILD_OBJECT(…)``, ``::text`` for the outermost object: json, where JSONObject builds jsonb.

    jsonb is a binary value whose keys are sorted and deduplicated as it is built,
    and then printed back as text to be sent; json is the text as written. These
    objects are only ever sent and parsed (by orjson), and on a page of twenty
    warehouses building them as jsonb was a third of the query's time in
    PostgreSQL (0.45 ms of 1.4 ms). Values print the same way in both (instants
    in ISO 8601 with their offset).
    """

    def __init__(self, as_text: bool = False, **fields) -> None:
        super().__init__(**fields)
        self.as_text = as_text
        if as_text:
            self.output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        copy = self.copy()
        copy.set_source_expressions(
            [
                Cast(expression, TextField()) if index % 2 == 0 else expression  # keys, as JSONObject casts them
                for index, expression in enumerate(copy.get_source_expressions())
            ]
        )
        sql, params = Func.as_sql(copy, compiler, connection, function="JSON_BUILD_OBJECT", **extra_context)
        return (f"({sql})::text" if self.as_text else sql), params


class _JSONTexts(ArraySubquery):
    """ARRAY(SELECT json_build_object(…)::text …): the objects' texts, which no field parses."""

    @cached_property
    def output_field(self):
        return ArrayField(TextField())


def rows_to_instances(model: type[Model], rows: list[str], related: tuple[str, ...] = ()) -> list[Model]:
    """Instances from rows_subquery's objects (JSON texts)."""
    alias = connection.alias  # a proxy lookup: once, not per row
    fields = [model._meta.get_field(name) for name in related]
    instances = []
    for row in rows:
        values = orjson.loads(row)
        parent_rows = [values.pop(field.name) for field in fields]
        instance = _instance(model, values, alias)
        for field, parent_row in zip(fields, parent_rows, strict=True):
            # As select_related caches a parent: the foreign key's id is in the row already.
            field.set_cached_value(instance, _instance(field.related_model, parent_row, alias))
        instances.append(instance)
    return instances


_IDENTITY = {
    "AutoField", "BigAutoField", "SmallAutoField", "BooleanField", "CharField", "TextField", "SlugField",
    "EmailField", "URLField", "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "ForeignKey", "OneToOneField",
}  # fmt: skip


@cache
def _plan(model: type[Model]) -> tuple[frozenset[str], str, list]:
    """The concrete fields' attnames, the primary key's, and the fields whose JSON value needs converting, with how."""
    names, converters = [], []
    for field in model._meta.concrete_fields:
        kind = field.get_internal_type()
        names.append(field.attname)
        if kind in _IDENTITY:
            continue  # JSON gave the type already (strings, numbers, booleans, ids)
        if kind == "DateTimeField":
            converters.append((field.attname, datetime.fromisoformat))  # PostgreSQL's JSON: ISO 8601 with the offset
        elif kind == "DateField":
            converters.append((field.attname, date.fromisoformat))
        elif kind == "TimeField":
            converters.append((field.attname, time.fromisoformat))
        else:
            converters.append((field.attname, field.to_python))
    return frozenset(names), model._meta.pk.attname, converters


def _instance(model: type[Model], values: dict, alias: str) -> Model:
    """A model instance as Model.from_db makes it, without a setattr per field through __init__.

    The JSON object's keys are attnames (rows_subquery builds it so), so the row
    goes into the instance's __dict__ whole and only the few fields JSON cannot
    type (instants, dates) are converted one by one.
    """
    names, pk, converters = _plan(model)
    if not values.keys() <= names or pk not in values:
        raise ValueError(
            f"{model.__name__} row has fields {sorted(values)}, expected its primary key and some of {sorted(names)}"
        )
    instance = model.__new__(model)
    state = instance.__dict__
    state.update(values)  # a field the row leaves out is deferred: Django loads it on access
    for name, convert in converters:
        value = state.get(name)
        if value is not None:
            state[name] = convert(value)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = alias
    return instance
