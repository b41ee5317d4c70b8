"""Insert many new rows in one statement whose size does not grow with the batch.

Django's bulk_create writes ``VALUES (%s, …), (%s, …), …``: one placeholder per
value, each value prepared and placed by the ORM's insert compiler, which in the
arrange-shipment profile cost more Python than the waybills' own logic. On
PostgreSQL the same rows go as one array per column through ``unnest``: the
statement has a fixed text (a column list and N array parameters), psycopg
dumps each array in one pass, and ``RETURNING id`` gives the instances their
primary keys as bulk_create does. Elsewhere this is bulk_create.
"""

from __future__ import annotations

from django.db import connections, router


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
    columns = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs] for f in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({names}) SELECT * FROM unnest({arrays}) RETURNING {quote(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias
