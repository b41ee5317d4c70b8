"""Keeping the figures: the incremental rollup the worker runs, and the rebuild of a range.

Both work on sets of parcels: a parcel's old contribution rows are taken out of the
daily and hourly sums, its rows are written afresh from what its waybill, its events and
its handover lines now record, and the new rows are added back — a handful of
``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` statements per chunk of parcels
and per batch of chunks, on PostgreSQL and SQLite alike. Taking a parcel in twice changes nothing, so the worker
may look at an event twice but never misses one (see ``rollup_run``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, ExtractHour, TruncDate

from firstmile.core.clock import BEIJING, beijing_day_bounds, beijing_today, now
from firstmile.core.lookups import IdArray
from firstmile.dispatch.models import HandoverKind, HandoverLine, HandoverStatus, PickupTask, TaskParcel
from firstmile.events.models import Event
from firstmile.shipping.models import HandoverMethod, Order, Waybill, WaybillStatus

from .models import (
    CITY_CODE_LENGTH,
    CITY_DIMENSIONS,
    DIMENSIONS,
    LEAD_BINS,
    MEASURES,
    CityFigure,
    Contribution,
    DailyFigure,
    HourlyFigure,
    RollupState,
)

logger = logging.getLogger(__name__)

CHUNK = 20_000  # parcels per statement
# Parcels per transaction: their sums are applied to the figures once. A day of 1,000,000
# parcels over 2,000 warehouses: 65 s in batches of 100,000, 56 s in batches of 500,000
# (the hourly keys a batch touches repeat less); a batch holds its locks about 30 s.
BATCH = 500_000
EVENT_SLICE = 50_000  # events read per step when gathering the parcels that changed
SETTLE = timedelta(minutes=5)  # an event older than this has surely committed
# Hourly sums are kept from yesterday on (Beijing): the pages read today's hours only, and
# a day's hours cost as much to keep as its daily sums several times over. Yesterday stays
# so that a page open across midnight, or a late scan, still finds its hours.
HOURLY_DAYS = 2
STATE = "figures"


class Minutes(Func):
    """Whole minutes from ``start`` to ``end`` (both timestamps), on either database."""

    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"CAST((julianday({end}) - julianday({start})) * 1440 AS INTEGER)", (*end_params, *start_params)

    def as_postgresql(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        # date_part answers a float; EXTRACT a numeric, several times slower over a chunk's rows.
        return f"CAST(FLOOR(date_part('epoch', {end} - {start}) / 60) AS INTEGER)", (*end_params, *start_params)


def _one(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _rows(queryset: QuerySet, columns: dict) -> QuerySet:
    """The queryset with each contribution column as an ``x_``-prefixed annotation.

    Prefixed because several column names are also fields of the source models
    (``carrier_id`` of a waybill, ``missing`` of a handover line).
    """
    return queryset.annotate(**{f"x_{name}": value for name, value in columns.items()})


def _when(field: str) -> dict:
    return {"day": TruncDate(field, tzinfo=BEIJING), "hour": ExtractHour(field, tzinfo=BEIJING)}


def _parcel_dims(prefix: str = "") -> dict:
    return {
        "carrier_id": F(f"{prefix}carrier_id"),
        "merchant_id": F(f"{prefix}merchant_id"),
        "warehouse_id": F(f"{prefix}warehouse_id"),
        "division_id": F(f"{prefix}sender_division_id"),
    }


def _collector(*, collected_only: bool = False) -> dict:
    """The driver and route of the stop that collected the parcel (none before it is collected).

    Read through the parcel's task link, which collection points at the collecting stop; a
    stop given another driver later dirties its parcels (``pickup_task.assigned``).
    """
    route = F("task_link__task__shift__route_id")
    driver = F("task_link__task__shift__driver_id")
    if collected_only:
        collected = Q(collected_at__isnull=False)
        route = Case(When(collected, then=route), default=Value(0), output_field=BigIntegerField())
        driver = Case(When(collected, then=driver), default=Value(0), output_field=BigIntegerField())
    return {
        "route_id": Coalesce(route, Value(0), output_field=BigIntegerField()),
        "driver_id": Coalesce(driver, Value(0), output_field=BigIntegerField()),
    }


def _labels(waybills: QuerySet) -> QuerySet:
    return _rows(
        waybills,
        {
            "waybill_id": F("pk"),
            **_when("issued_at"),
            **_parcel_dims(),
            "labels": Value(1),
            # A lookup per parcel, not a join: PostgreSQL hashed the whole order table for a chunk.
            "late_labels": _one(
                Q(issued_at__gt=Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("ship_by")))
            ),
        },
    )


def _due(waybills: QuerySet) -> QuerySet:
    # A PICK UP parcel the merchant brought to the counter instead was not the carrier's to collect.
    due = (
        waybills.filter(handover_method=HandoverMethod.PICKUP, collect_by__isnull=False)
        .exclude(status=WaybillStatus.VOIDED)
        .exclude(status=WaybillStatus.RECEIVED, collected_at__isnull=True)
    )
    on_time = Q(collected_at__isnull=False, collected_at__lte=F("collect_by"))
    return _rows(
        due,
        {
            "waybill_id": F("pk"),
            **_when("collect_by"),
            **_parcel_dims(),
            **_collector(collected_only=True),
            "due": Value(1),
            "due_on_time": _one(on_time),
            "due_slotted": _one(Q(pickup_window__isnull=False)),
            "slotted_on_time": _one(on_time & Q(pickup_window__isnull=False)),
        },
    )


def _above(index: int) -> Q:
    return Q(lead__gt=LEAD_BINS[index - 1][0]) if index else Q()


def _collected(waybills: QuerySet) -> QuerySet:
    received = Q(received_at__isnull=False)
    bins = {name: _one(received & Q(lead__lte=limit) & _above(i)) for i, (limit, name) in enumerate(LEAD_BINS)}
    return _rows(
        waybills.filter(collected_at__isnull=False).annotate(lead=Minutes(F("received_at"), F("collected_at"))),
        {
            "waybill_id": F("pk"),
            **_when("collected_at"),
            **_parcel_dims(),
            **_collector(),
            "collected": Value(1),
            "first_attempt_ok": _one(Q(task_link__failed_attempts=0) | Q(task_link__isnull=True)),
            "inbound": _one(received),
            "inbound_on_time": _one(received & Q(received_at__lte=F("inbound_by"))),
            "lead_minutes": Coalesce(F("lead"), Value(0)),
            **bins,
            "lead_more": _one(received & Q(lead__gt=LEAD_BINS[-1][0])),
        },
    )


def _dropped_off(waybills: QuerySet) -> QuerySet:
    return _rows(
        waybills.filter(status=WaybillStatus.RECEIVED, collected_at__isnull=True),
        {"waybill_id": F("pk"), **_when("received_at"), **_parcel_dims(), "dropped_off": Value(1)},
    )


def _failures(events: QuerySet) -> QuerySet:
    parcel = Waybill.objects.filter(pk=Cast(OuterRef("subject_id"), BigIntegerField()))
    task = PickupTask.objects.filter(pk=Cast(KeyTextTransform("task_id", OuterRef("payload")), BigIntegerField()))
    earlier = Event.objects.filter(
        kind="waybill.pickup_failed",
        subject_type="shipping.waybill",
        subject_id=OuterRef("subject_id"),
        id__lt=OuterRef("id"),
    )
    return _rows(
        events,
        {
            "waybill_id": Cast("subject_id", BigIntegerField()),
            **_when("occurred_at"),
            **{dim: Subquery(parcel.values(column.name)[:1]) for dim, column in _parcel_dims().items()},
            "route_id": Coalesce(
                Subquery(task.values("shift__route_id")[:1]), Value(0), output_field=BigIntegerField()
            ),
            "driver_id": Coalesce(
                Subquery(task.values("shift__driver_id")[:1]), Value(0), output_field=BigIntegerField()
            ),
            "reason": Coalesce(Cast(KeyTextTransform("reason", "payload"), CharField()), Value("")),
            "failed_attempts": Value(1),
            "first_attempt_failed": _one(~Exists(earlier)),
        },
    )


def _handover_lines(lines: QuerySet) -> QuerySet:
    return _rows(
        lines,
        {
            "waybill_id": F("waybill_id"),
            **_when("handover__confirmed_at"),
            **_parcel_dims("waybill__"),
            "route_id": Coalesce(F("handover__task__shift__route_id"), Value(0), output_field=BigIntegerField()),
            "driver_id": Coalesce(F("handover__driver_id"), Value(0), output_field=BigIntegerField()),
            "listed": Value(1),
            "missing": _one(Q(missing=True)),
        },
    )


def _sources(ids: IdArray | list[int] | None, waybills: QuerySet | None = None, *, since=None) -> list[QuerySet]:
    """Every contribution row of the given parcels, as SELECTs.

    ``since``: the earliest label among them; no attempt to collect a parcel precedes its
    label, so the failure events are read from there (the partitions before are skipped).
    """
    if waybills is None:
        waybills = Waybill.objects.filter(pk__in_ids=ids)
    events = Event.objects.filter(kind="waybill.pickup_failed", subject_type="shipping.waybill").order_by()
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    lines = HandoverLine.objects.filter(handover__status=HandoverStatus.CONFIRMED, handover__kind=HandoverKind.PICKUP)
    if ids is not None:
        events = events.filter(subject_id__in_ids=ids)
        lines = lines.filter(waybill__pk__in_ids=ids)
    else:
        events = events.filter(subject_id__in=waybills.annotate(t=Cast("pk", CharField())).values("t"))
        lines = lines.filter(waybill__in=waybills)
    return [
        _labels(waybills),
        _due(waybills),
        _collected(waybills),
        _dropped_off(waybills),
        _failures(events),
        _handover_lines(lines),
    ]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


CONTRIBUTION_COLUMNS = ("waybill_id", "day", "hour", *DIMENSIONS, *MEASURES)


def _insert_contributions(source: QuerySet, keep_days: tuple[date, date] | None = None) -> None:
    """Write these contribution rows; on PostgreSQL also add their sums to the delta table.

    On PostgreSQL one statement (``WITH new AS (INSERT … RETURNING …) INSERT INTO`` the delta):
    the rows just written are summed as they are written, not looked up again by parcel.
    Rows on ``keep_days`` stay out of the delta (the rebuild sums those days whole).
    """
    given = {name[2:] for name in source.query.annotations if name.startswith("x_")}
    select = []
    for column in CONTRIBUTION_COLUMNS:
        if column in given:
            select.append(f"s.{_q('x_' + column)}")
        else:
            select.append("''" if column == "reason" else "0")
    inner = source.values(*[f"x_{c}" for c in CONTRIBUTION_COLUMNS if c in given])
    sql, params = inner.query.sql_with_params()
    table = _q(Contribution._meta.db_table)
    columns = ", ".join(_q(c) for c in CONTRIBUTION_COLUMNS)
    insert = f"INSERT INTO {table} ({columns}) SELECT {', '.join(select)} FROM ({sql}) s"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(insert, params)
            return
        keys = ", ".join(f"n.{_q(k)}" for k in DELTA_KEYS)
        sums = ", ".join(f"SUM(n.{_q(m)})" for m in MEASURES)
        where = ""
        if keep_days is not None:
            where = f"WHERE NOT (n.{_q('day')} BETWEEN %s AND %s)"
            params = (*params, *keep_days)
        returning = ", ".join(_q(c) for c in (*DELTA_KEYS, *MEASURES))
        cursor.execute(
            f"WITH new AS ({insert} RETURNING {returning}) "
            f"INSERT INTO {DELTA} ({returning}) SELECT {keys}, {sums} FROM new n {where} GROUP BY {keys}",
            params,
        )


DELTA = "metrics_delta"  # a temporary table: the sums a chunk of parcels moves, per hour and dimensions
DELTA_KEYS = ("day", "hour", *DIMENSIONS)


def _delta_table(cursor) -> None:
    """Create the connection's delta table unless it has one (temporary: gone with the session)."""
    types = {"day": "date", "hour": "smallint", "division_id": "varchar(12)", "reason": "varchar(20)"}
    columns = ", ".join(f"{_q(c)} {types.get(c, 'bigint')} NOT NULL" for c in (*DELTA_KEYS, *MEASURES))
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {DELTA} ({columns})")


def _into_delta(rows: QuerySet, *, sign: int) -> None:
    """Add (sign 1) or take out (sign -1) these contribution rows' sums, grouped, into the delta table."""
    grouped = rows.values(*DELTA_KEYS).annotate(**{f"s_{m}": Sum(m) for m in MEASURES}).order_by()
    sql, params = grouped.query.sql_with_params()
    columns = ", ".join(_q(c) for c in (*DELTA_KEYS, *MEASURES))
    select = ", ".join([*(f"s.{_q(k)}" for k in DELTA_KEYS), *(f"{sign} * s.{_q('s_' + m)}" for m in MEASURES)])
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # A chunk's rows are found by parcel id in a table of millions. With statistics
            # behind a growing table (a rebuild from nothing) PostgreSQL chose a parallel scan
            # of every contribution row instead: 3 s a chunk at 10,000,000 parcels.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"INSERT INTO {DELTA} ({columns}) SELECT {select} FROM ({sql}) s", params)
        if postgresql:
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")


def _take_out(ids: IdArray, rows: QuerySet, keep_days: tuple[date, date] | None) -> None:
    """Delete the parcels' contribution rows, their sums (outside ``keep_days``) going negative into the delta.

    On PostgreSQL one statement (``WITH gone AS (DELETE … RETURNING …) INSERT …``): the
    rows are found once, not once to sum and again to delete; at 10,000,000 parcels each
    finding cost about 0.3 s a chunk.
    """
    if connection.vendor != "postgresql":
        _into_delta(rows, sign=-1)
        Contribution.objects.filter(waybill_id__in_ids=ids).delete()
        return
    table = _q(Contribution._meta.db_table)
    columns = ", ".join(_q(c) for c in (*DELTA_KEYS, *MEASURES))
    keys = ", ".join(f"g.{_q(k)}" for k in DELTA_KEYS)
    sums = ", ".join(f"-SUM(g.{_q(m)})" for m in MEASURES)
    where, params = "", [ids.literal]
    if keep_days is not None:
        where = f"WHERE NOT (g.{_q('day')} BETWEEN %s AND %s)"
        params += list(keep_days)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as in _into_delta
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} WHERE {_q('waybill_id')} = ANY(%s::bigint[]) RETURNING *) "
            f"INSERT INTO {DELTA} ({columns}) SELECT {keys}, {sums} FROM gone g {where} GROUP BY {keys}",
            params,
        )
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")


def _upsert(
    model, keys: dict[str, str], source: str, params=(), *, moved_only: bool, since: date | None = None
) -> set[date]:
    """Add ``source``'s rows, summed by ``keys`` (column → expression), to ``model``'s sums; the days touched.

    With ``moved_only`` the groups whose sums net to nothing (a parcel taken out and put back
    unchanged) are left out: no write for what did not move. With ``since`` only the rows of
    that day and later are added.
    """
    table = _q(model._meta.db_table)
    key_columns = ", ".join(_q(k) for k in keys)
    measures = ", ".join(_q(m) for m in MEASURES)
    having = " OR ".join(f"SUM(r.{_q(m)}) <> 0" for m in MEASURES)
    grouped = (
        f"SELECT {', '.join(f'{expr} AS {_q(k)}' for k, expr in keys.items())}, "
        f"{', '.join(f'SUM(r.{_q(m)}) AS {_q(m)}' for m in MEASURES)} FROM {source} r "
        + (f"WHERE r.{_q('day')} >= %s " if since else "")
        + f"GROUP BY {', '.join(keys.values())}"
        + (f" HAVING {having}" if moved_only else "")
    )
    update = ", ".join(f"{_q(m)} = {table}.{_q(m)} + excluded.{_q(m)}" for m in MEASURES)
    if since:
        params = (*params, since)
    with connection.cursor() as cursor:
        # "WHERE true": SQLite's parser needs it between a SELECT's FROM and ON CONFLICT.
        cursor.execute(
            f"INSERT INTO {table} ({key_columns}, {measures}) SELECT * FROM ({grouped}) s WHERE true"
            f" ON CONFLICT ({key_columns}) DO UPDATE SET {update} RETURNING {_q('day')}",
            params,
        )
        days = {row[0] for row in cursor.fetchall()}
    return {d if isinstance(d, date) else date.fromisoformat(d) for d in days}  # SQLite answers with text


def _figure_keys() -> list[tuple[type, dict[str, str]]]:
    same = {c: f"r.{_q(c)}" for c in ("day", *DIMENSIONS)}
    city = {c: f"r.{_q(c)}" for c in ("day", *CITY_DIMENSIONS) if c != "city_id"}
    city["city_id"] = f"substr(r.{_q('division_id')}, 1, {CITY_CODE_LENGTH})"
    return [(DailyFigure, same), (HourlyFigure, {"hour": f"r.{_q('hour')}", **same}), (CityFigure, city)]


def hourly_from() -> date:
    """The first day whose hourly sums are kept (see HOURLY_DAYS)."""
    return beijing_today() - timedelta(days=HOURLY_DAYS - 1)


def _apply(source: str, params=(), *, moved_only: bool) -> set[date]:
    days: set[date] = set()
    for model, keys in _figure_keys():
        since = hourly_from() if model is HourlyFigure else None
        days |= _upsert(model, keys, source, params, moved_only=moved_only, since=since)
    return days


def _prune_hours() -> None:
    """Hourly sums of days gone out of HOURLY_DAYS are deleted (their days' daily sums stay)."""
    HourlyFigure.objects.filter(day__lt=hourly_from()).delete()


def _drop_empty(days: set[date], *, day_range: tuple[date, date] | None = None) -> None:
    """Sums that came back to nothing are deleted, so the tables hold only what counts."""
    if not days and day_range is None:
        return
    where = Q(day__range=day_range) if day_range else Q(day__in=sorted(days))
    empty = Q(**{m: 0 for m in MEASURES})
    for model in (DailyFigure, HourlyFigure, CityFigure):
        model.objects.filter(empty, where).delete()


def _retake(ids: list[int], *, keep_days: tuple[date, date] | None = None) -> int:
    """Take these parcels' figures out, rewrite their rows, put them back (one transaction).

    The old rows' sums go negative into the delta table, the new rows' positive, and only
    what nets to a change reaches the figures, once for all the parcels given: a batch's
    parcels share most of their days and hours, so the sums are written once, not once per
    chunk. The rows are rewritten a chunk of parcels at a time (plans and sorts stay those
    of a chunk). With ``keep_days`` the sums of those days are left alone (the rebuild
    rewrites them whole).
    """
    if connection.vendor == "postgresql":
        # The chunk's GROUP BYs sort some 60,000 rows: in memory, not in temporary files.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Every chunk statement passed jit_above_cost and was compiled first (8 ms of a 170 ms
            # label read, EXPLAIN ANALYZE); the figures in docs/benchmarks.md are with it off.
            cursor.execute("SET LOCAL jit = off")
    with connection.cursor() as cursor:
        _delta_table(cursor)
        cursor.execute(f"DELETE FROM {DELTA}")
    for n in range(0, len(ids), CHUNK):
        part = IdArray(ids[n : n + CHUNK])
        rows = Contribution.objects.filter(waybill_id__in_ids=part)
        if keep_days is not None:
            rows = rows.exclude(day__range=keep_days)
        _take_out(part, rows, keep_days)
        earliest = Waybill.objects.filter(pk__in_ids=part).aggregate(t=Min("issued_at"))["t"]
        for source in _sources(part, since=earliest):
            _insert_contributions(source, keep_days)
        if connection.vendor != "postgresql":
            _into_delta(rows, sign=1)
    # Only a sum something was taken from can have come back to nothing.
    negative = " OR ".join(f"{_q(m)} < 0" for m in MEASURES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {_q('day')} FROM {DELTA} WHERE {negative}")
        lowered = {d if isinstance(d, date) else date.fromisoformat(d) for (d,) in cursor.fetchall()}
    _apply(DELTA, moved_only=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DELTA}")
    _drop_empty(lowered)
    return len(ids)


def _changed_parcels(first_id: int, last_id: int) -> set[int]:
    """The parcels whose figures the events (first_id, last_id] may change."""
    events = Event.objects.filter(id__gt=first_id, id__lte=last_id)
    ids = {
        int(i) for i in events.filter(subject_type="shipping.waybill").values_list("subject_id", flat=True).distinct()
    }
    # A signed list's missing parcels have no event of their own.
    handovers = [int(i) for i in events.filter(kind="handover.confirmed").values_list("subject_id", flat=True)]
    if handovers:
        ids |= set(HandoverLine.objects.filter(handover_id__in=handovers).values_list("waybill_id", flat=True))
    # A stop given another driver moves its collected parcels to that driver's figures.
    tasks = [int(i) for i in events.filter(kind="pickup_task.assigned").values_list("subject_id", flat=True)]
    if tasks:
        ids |= set(
            TaskParcel.objects.filter(task_id__in=tasks, waybill__collected_at__isnull=False).values_list(
                "waybill_id", flat=True
            )
        )
    return ids


@dataclass(frozen=True)
class RollupReport:
    events_from: int
    events_to: int
    parcels: int
    settled: int


def rollup_run(*, at: datetime | None = None, limit: int | None = None) -> RollupReport:
    """Bring the figures up to the events: the worker calls it every minute or so.

    Events are read from just after the settled mark to the newest. The mark then moves
    only up to the first event younger than SETTLE: on PostgreSQL ids are handed out when a
    row is written, not when its transaction commits, so a slow transaction's event can
    appear below ids already read; reading the unsettled tail again next time catches it,
    and taking a parcel in twice changes nothing.
    """
    at = at or now()
    state, _created = RollupState.objects.get_or_create(name=STATE)
    start = state.settled_event_id
    newest = Event.objects.filter(id__gt=start).order_by("-id").values_list("id", flat=True).first() or start
    if limit is not None:
        newest = min(newest, start + limit)
    unsettled = (
        Event.objects.filter(id__gt=start, id__lte=newest, occurred_at__gt=at - SETTLE)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    changed: set[int] = set()
    low = start
    while low < newest:
        high = min(low + EVENT_SLICE, newest)
        changed |= _changed_parcels(low, high)
        low = high
    ids = sorted(changed)
    parcels = 0
    for n in range(0, len(ids), BATCH):
        with transaction.atomic():
            RollupState.objects.select_for_update().get(name=STATE)  # one rollup at a time
            parcels += _retake(ids[n : n + BATCH])
    with transaction.atomic():
        _prune_hours()
    mark = newest if unsettled is None else max(start, unsettled - 1)
    RollupState.objects.filter(name=STATE).update(settled_event_id=mark, ran_at=at, parcels=parcels)
    return RollupReport(events_from=start, events_to=newest, parcels=parcels, settled=mark)


def rollup_rebuild(*, first_day: date, last_day: date, slack_days: int = 30) -> int:
    """Rewrite the figures of ``first_day``–``last_day`` from the parcels' records.

    Every parcel with a row in the range, or printed up to ``slack_days`` before it, has
    its rows rewritten; the range's sums are then summed afresh from the rows. Sums of
    other days move only by what those parcels changed there.
    """
    start, _ = beijing_day_bounds(first_day - timedelta(days=slack_days))
    _, end = beijing_day_bounds(last_day)
    printed = Waybill.objects.filter(issued_at__gte=start, issued_at__lt=end).values_list("pk", flat=True)
    ids = set(printed) | set(
        Contribution.objects.filter(day__range=(first_day, last_day)).values_list("waybill_id", flat=True).distinct()
    )
    ordered = sorted(ids)
    for n in range(0, len(ordered), BATCH):
        with transaction.atomic():
            _retake(ordered[n : n + BATCH], keep_days=(first_day, last_day))
    with transaction.atomic():
        for model in (DailyFigure, HourlyFigure, CityFigure):
            model.objects.filter(day__range=(first_day, last_day)).delete()
        in_range = Contribution.objects.filter(day__range=(first_day, last_day)).values(*DELTA_KEYS, *MEASURES)
        sql, params = in_range.query.sql_with_params()
        _apply(f"({sql})", params, moved_only=False)
        _drop_empty(set(), day_range=(first_day, last_day))
        _prune_hours()
    return len(ordered)
