"""Insert many new rows in one statement whose size does not grow with the batch.

Django's bulk_create writes ``VALUES (%s, …), (%s, …), …``: one placeholder per
value, each value prepared and placed by the ORM's insert compiler, which in the
arrange-shipment profile cost more Python than the waybills' own logic. On
PostgreSQL the same rows go as one array per column through ``unnest``: the
statement has a fixed text (a column list and N array parameters), psycopg
dumps each array in one pass, and ``RETURNING id`` gives the instances their
primary keys as bulk_create does. Elsewhere this is bulk_create.

Both statements here keep one text whatever the batch, and run on a cursor that
binds on the server, so psycopg prepares them on the connection after a few
calls: PostgreSQL stops parsing and planning them too.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import DateField, DateTimeField, Field, Model, TimeField
from django.db.models.base import ModelState

from .prepared import plain_model, server_binding_cursor


class _Blank:
    """A new instance's field values before the caller's: each field's default, worked out once per model."""

    def __init__(self, model: type[Model]) -> None:
        fields = model._meta.concrete_fields
        self.names = frozenset(f.attname for f in fields)
        # Defaults that are callables (a fresh dict, a new uuid) are called for each instance, as Model.__init__ does.
        self.called = [(f.attname, f.default) for f in fields if f.has_default() and callable(f.default)]
        called = {name for name, _default in self.called}
        self.constant = {f.attname: f.get_default() for f in fields if f.attname not in called}


_blanks: dict[type[Model], _Blank] = {}


def new_instances(model: type[Model], rows: list[dict]) -> list[Model]:
    """``[model(**row) for row in rows]`` for rows of concrete fields' attnames, not yet saved.

    Model.__init__ sets every field through its descriptor, one by one; for the
    fifty waybills of an arrange-shipment call that was a quarter of its Python
    (cProfile; bench/arrange_cost.py counts it). A new instance of a plain model (Django's own
    __init__, no init signals) is the same thing as its defaults overlaid with
    the caller's values in its __dict__, which is what this builds.
    """
    if not plain_model(model):
        return [model(**row) for row in rows]
    blank = _blanks.get(model)
    if blank is None:
        blank = _blanks[model] = _Blank(model)
    constant, called, names = blank.constant, blank.called, blank.names
    new = model.__new__
    made = []
    for row in rows:
        if not names.issuperset(row):
            unknown = sorted(set(row) - names)
            raise TypeError(f"{model.__name__} has no field {unknown[0]!r}")
        obj = new(model)
        values = obj.__dict__
        values.update(constant)
        for name, default in called:
            values[name] = default()
        values.update(row)
        obj._state = ModelState()
        made.append(obj)
    return made


def bulk_insert(model, objs: list, batch_size: int = 10_000) -> list:
    """Save ``objs`` (new instances of ``model``, without primary keys) and set their ids."""
    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model.objects.using(alias).bulk_create(objs, batch_size=500)
    for start in range(0, len(objs), batch_size):
        _insert_unnest(model, objs[start : start + batch_size], alias, connection)
    return objs


def _insert_unnest(model, objs: list, alias: str, connection) -> None:
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
    columns = [_column(f, objs, connection) for f in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%b::{f.cast_db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({names}) SELECT * FROM unnest({arrays}) RETURNING {quote(opts.pk.column)}"
    )
    with server_binding_cursor(connection) as cursor:
        cursor.execute(sql, columns)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


# pre_save methods that return the attribute as it is, unless the field reads the clock (auto_now, auto_now_add).
_PRE_SAVE_OF_ATTRIBUTE_OR_CLOCK = frozenset(
    {Field.pre_save, DateField.pre_save, DateTimeField.pre_save, TimeField.pre_save}
)


def _column(field, objs: list, connection) -> list:
    """One column's values, prepared for the database as bulk_create would."""
    own_pre_save = type(field).pre_save not in _PRE_SAVE_OF_ATTRIBUTE_OR_CLOCK
    if not own_pre_save and (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)):
        # One instant for the rows of one statement, as a single save would give
        # them (bulk_create reads the clock once per row): prepared once below.
        instant = field.pre_save(objs[0], True)
        for obj in objs:
            setattr(obj, field.attname, instant)
        raw = [instant] * len(objs)
    elif not own_pre_save:
        raw = [getattr(obj, field.attname) for obj in objs]  # what pre_save would return
    else:
        raw = [field.pre_save(obj, True) for obj in objs]  # the field's own pre_save may set the value
    prep = field.get_db_prep_save
    try:
        distinct = {(type(value), value) for value in raw}
    except TypeError:  # unhashable values (a dict for a JSON field)
        return [prep(value, connection) for value in raw]
    if len(distinct) == len(raw):
        return [prep(value, connection) for value in raw]
    # The rows of a batch share most values (one carrier, one warehouse, one
    # instant): each distinct value is prepared once.
    prepared = {key: prep(key[1], connection) for key in distinct}
    return [prepared[(type(value), value)] for value in raw]


def update_by_ids(model, ids: list[int], **values) -> int:
    """``UPDATE … SET field = value, … WHERE id = ANY(ids)``; the number of rows changed.

    The same rows as ``model.objects.filter(pk__in=ids).update(**values)`` for
    plain values (no expressions), in a statement whose text does not change from
    call to call, so PostgreSQL keeps it prepared; elsewhere it is that update.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model.objects.using(alias).filter(pk__in=ids).update(**values)
    opts, quote = model._meta, connection.ops.quote_name
    fields = [opts.get_field(name) for name in values]
    assignments = ", ".join(f"{quote(f.column)} = %s::{f.cast_db_type(connection)}" for f in fields)
    where = f"{quote(opts.pk.column)} = ANY(%s::{opts.pk.cast_db_type(connection)}[])"
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {where}"
    params = [f.get_db_prep_save(value, connection) for f, value in zip(fields, values.values(), strict=True)]
    with server_binding_cursor(connection) as cursor:
        cursor.execute(sql, [*params, list(ids)])
        return cursor.rowcount
