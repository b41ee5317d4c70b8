"""Querysets whose SQL is built once per process, then run with new parameter values.

Profiling the hottest API reads (bench/api_get.py) showed Django spending more
time building and compiling a query than the database spends planning and running
it: about 3 ms of Python for the warehouse-with-pickup-facts query against 0.7 ms
in PostgreSQL. A read that runs on every request with the same shape can skip
that work: ``prepared(build)`` calls ``build`` once per database with marker
values, keeps the SQL Django compiled and where each marker landed among its
parameters, and afterwards only swaps the markers for the caller's values. Rows
are turned into model instances by Django's own iterable, so select_related and
annotations come back exactly as from the queryset.

Only parameters that reach the SQL unchanged are supported (ids, strings compared
for equality, datetimes, and lists of ids or codes through ``__in_array``, which
PostgreSQL takes as one array parameter); a marker that the ORM transforms (``icontains``
wraps it in ``%``) is refused when the query is first prepared, not silently
mis-bound. Where a backend spreads a list into one parameter per item (SQLite),
the queryset is simply built for each call.
"""

from __future__ import annotations

import copy
import threading
import typing
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.query import Query

_MARK_INT = 7_301_000_000_000_000
_MARK_TIME = datetime(1971, 3, 5, 7, 9, 11, 130_000, tzinfo=UTC)


def _marker(kind, index: int):
    if typing.get_origin(kind) is list and typing.get_args(kind) == (int,):
        return [_MARK_INT + 1000 * (index + 1) + k for k in range(3)]
    if typing.get_origin(kind) is list and typing.get_args(kind) == (str,):
        return [f"\ue000firstmile-parameter-{index}-{k}\ue000" for k in range(3)]
    if kind is int:
        return _MARK_INT + index
    if kind is datetime:
        return _MARK_TIME + timedelta(microseconds=index)
    if kind is str:
        return f"\ue000firstmile-parameter-{index}\ue000"
    raise TypeError(f"prepared queries take int, str, datetime, list[int] or list[str] parameters, not {kind!r}")


def _fits_bigint(value) -> bool:
    if isinstance(value, list):
        return all(map(_fits_bigint, value))
    return not isinstance(value, int) or -(2**63) <= value < 2**63


class _Prepared:
    def __init__(self, sql: str, slots: list, compiler) -> None:
        self.sql = sql
        self.slots = slots  # per SQL parameter: (name, adapt) for a caller's value, or (None, constant)
        self.compiler = compiler
        # The row converters of the select list, found once per connection: looking
        # them up walks every selected column's field and backend (~0.3 ms a call).
        self.converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.plans: dict[str, _InstancePlan] = {}


class _ServerBinding:
    """A connection whose cursors bind parameters on the server (PostgreSQL), so the statement can stay prepared.

    Everything else is the connection's own; the cursor is wrapped as Django wraps
    its own, so query logging, execute wrappers and error translation still apply.
    """

    def __init__(self, connection) -> None:
        self._connection = connection

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def cursor(self):
        from django.db.backends.postgresql.base import ServerBindingCursor

        connection = self._connection
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors:
            return connection._prepare_cursor(ServerBindingCursor(connection.connection))


def server_binding_cursor(connection):
    """A cursor that binds its parameters on the server where that is possible (PostgreSQL).

    A statement whose text does not change from call to call (arrays instead of
    one placeholder per value) is then prepared by psycopg after a few runs, so
    PostgreSQL parses and plans it once per connection; elsewhere the usual cursor.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    return _ServerBinding(connection).cursor()


class _PreparedQuery(Query):
    """Stands in for a Query: gives out a copy of the prepared compiler with this call's parameters."""

    def __init__(self, model, prepared: _Prepared, params: list) -> None:
        super().__init__(model)
        self._prepared = prepared
        self._params = params

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiler = copy.copy(self._prepared.compiler)
        connection = connection or connections[using]
        compiler.connection = _ServerBinding(connection) if connection.vendor == "postgresql" else connection
        compiler.using = using
        sql, params = self._prepared.sql, tuple(self._params)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        cache, find = self._prepared.converters, compiler.get_converters

        def get_converters(expressions):
            # The select list is the prepared one, so its converters are too.
            found = cache.get(connection)
            if found is None:
                found = cache[connection] = find(expressions)
            return found

        compiler.get_converters = get_converters
        return compiler


def plain_model(model: type[Model]) -> bool:
    """Whether an instance may be made by filling its __dict__: Django's own __init__ and from_db, no signals."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
    )


def _instances(prepared: _Prepared, model: type[Model], alias: str, params: list) -> list:
    """The rows of the prepared SQL as model instances, as the queryset would give them.

    Straight from one cursor: no QuerySet, Query or compiler copy per call, one
    fetchall rather than fetchmany until empty, and the row converters and related
    populators found once. The cursor is Django's wrapper all the same (query
    logging, execute wrappers, error translation).
    """
    connection = connections[alias]
    with server_binding_cursor(connection) as cursor:
        cursor.execute(prepared.sql, params)
        rows = cursor.fetchall()
    compiler = prepared.compiler
    if compiler.has_extra_select:
        rows = [row[: compiler.col_count] for row in rows]
    converters = prepared.converters.get(connection)
    if converters is None:
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = prepared.converters[connection] = compiler.get_converters(fields)
    if converters:
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters.items():
                value = row[position]
                for convert in functions:
                    value = convert(value, expression, connection)
                row[position] = value
            converted.append(row)
        rows = converted
    plan = prepared.plans.get(alias)
    if plan is None:
        plan = prepared.plans[alias] = _InstancePlan(compiler, model, alias)
    return plan.instances(rows)


class _InstancePlan:
    """Where each part of a row goes, worked out once per database (what ModelIterable works out per query).

    The main model's instances are made by filling __dict__ from the row: Model.__init__
    sets each field in turn through its descriptor, and for a page of 20
    warehouses that was a tenth of the page's Python. That is what from_db gives
    (fields left out of the select are deferred, as there); related rows
    (select_related) are made by Django's own populators.
    """

    def __init__(self, compiler, model: type[Model], alias: str) -> None:
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        self.model, self.alias = model, alias
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.names = [column[0].target.attname for column in select[self.start : self.end]]
        # An annotation named like something of the class (a property) is set through it, as Django does.
        self.annotations = [(n, p) for n, p in (annotation_col_map or {}).items() if not hasattr(model, n)]
        self.through_class = [(n, p) for n, p in (annotation_col_map or {}).items() if hasattr(model, n)]
        self.populators = get_related_populators(klass_info, select, alias)

    def instances(self, rows) -> list:
        model, alias, names, start, end = self.model, self.alias, self.names, self.start, self.end
        annotations, through_class, populators = self.annotations, self.through_class, self.populators
        new = model.__new__
        made = []
        for row in rows:
            obj = new(model)
            values = obj.__dict__
            values.update(zip(names, row[start:end], strict=True))
            for name, position in annotations:
                values[name] = row[position]
            state = obj._state = ModelState()
            state.adding = False
            state.db = alias
            for populator in populators:
                populator.populate(row, obj)
            for name, position in through_class:
                setattr(obj, name, row[position])
            made.append(obj)
        return made


class PreparedQuerySet:
    """Call with the build function's arguments; returns the rows as a list of model instances."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self._build = build
        hints = typing.get_type_hints(build)
        hints.pop("return", None)
        self._kinds = hints
        self._by_alias: dict[str, _Prepared] = {}
        self._lock = threading.Lock()
        self.__doc__ = build.__doc__

    def _prepare(self, alias: str) -> _Prepared | None:
        markers = {name: _marker(kind, i) for i, (name, kind) in enumerate(self._kinds.items())}
        queryset = self._build(**markers)
        connection = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots: list = []
        found = set()
        for param in params:
            for name, marker in markers.items():
                if param == marker:
                    slots.append((name, None))
                    break
                if isinstance(marker, datetime) and param == connection.ops.adapt_datetimefield_value(marker):
                    slots.append((name, connection.ops.adapt_datetimefield_value))
                    break
            else:
                spread = any(isinstance(marker, list) and param in marker for marker in markers.values())
                if isinstance(param, str) and "firstmile-parameter-" in param and not spread:
                    raise ValueError(f"{self._build.__name__}: a parameter reaches the SQL transformed: {param!r}")
                slots.append((None, param))
                continue
            found.add(slots[-1][0])
        lost = set(markers) - found
        if lost and all(isinstance(markers[name], list) for name in lost):
            return None  # this backend spreads the list into many parameters: no one SQL fits every call
        if lost:
            raise ValueError(f"{self._build.__name__}: parameters {sorted(lost)} do not reach the SQL as given")
        if queryset._prefetch_related_lookups or queryset._iterable_class is not ModelIterable:
            raise ValueError(f"{self._build.__name__}: only plain model querysets can be prepared")
        return _Prepared(sql, slots, compiler)

    def __call__(self, **values) -> list:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"{self._build.__name__}() takes {sorted(self._kinds)}, got {sorted(values)}")
        model = self._model()
        alias = router.db_for_read(model)
        if alias not in self._by_alias:
            with self._lock:
                if alias not in self._by_alias:
                    self._by_alias[alias] = self._prepare(alias)
        prepared = self._by_alias[alias]
        if prepared is None or not all(map(_fits_bigint, values.values())):
            # A list parameter on a backend without array parameters (SQLite), or
            # an integer no column can hold (which the ORM turns into "no rows"
            # rather than an overflow): the query is built for this call.
            return list(self._build(**values).using(alias))
        params = []
        for name, extra in prepared.slots:
            if name is None:
                params.append(extra)
            else:
                value = values[name]
                if value is None:
                    # The SQL was compiled for "= value"; None would need "IS NULL".
                    raise ValueError(f"{self._build.__name__}: parameter {name} is None")
                params.append(extra(value) if extra else value)
        if plain_model(model):
            return _instances(prepared, model, alias, params)
        # Its own __init__, from_db or init signals: Django makes the instances.
        return list(QuerySet(model=model, query=_PreparedQuery(model, prepared, params), using=alias))

    def _model(self):
        model = getattr(self, "_model_cls", None)
        if model is None:
            model = self._model_cls = self._build(
                **{name: _marker(kind, i) for i, (name, kind) in enumerate(self._kinds.items())}
            ).model
        return model


def prepared(build: Callable[..., QuerySet]) -> PreparedQuerySet:
    """Decorate a function that builds a queryset from typed keyword parameters (int, str, datetime)."""
    return PreparedQuerySet(build)
