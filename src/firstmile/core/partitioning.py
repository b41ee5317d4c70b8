"""Monthly range partitions for the append-only tables, on PostgreSQL.

Events and scans are written once and read by owner and time; at ten million
parcels a day they are most of the database (docs/scale.md). Partitioned by month
on their timestamp, each month has its own small indexes, the planner prunes to
the months a query names, vacuum works a month at a time, and an old month leaves
the working set with one ``DETACH PARTITION`` instead of a billion-row ``DELETE``.

Django keeps seeing one table with an ``id`` primary key: ids come from one
sequence, so they stay unique although PostgreSQL can only enforce the pair
``(id, timestamp)`` on a partitioned table. A ``DEFAULT`` partition takes rows
outside every month (a clock far off, a back-dated import), so no insert ever
fails for want of a partition; creating a month moves its rows out of it first.

SQLite, the embedded single-machine default, keeps plain tables: everything here
is a no-op there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connections, transaction

# (table, partition key). The tables' models live in events and dispatch, above
# core; their names are all this module needs.
PARTITIONED_TABLES: tuple[tuple[str, str], ...] = (
    ("events_event", "occurred_at"),
    ("dispatch_scan", "created_at"),
)
MONTHS_AHEAD = 3  # created ahead of time, so the default partition stays empty
MONTHS_BEHIND = 1  # at conversion: last month too, for rows written late
ARCHIVE_SCHEMA = "firstmile_archive"
MIN_ARCHIVE_MONTHS = 3  # webhook deliveries, pending or logged, must never outlive their event

MAINTENANCE_LOCK = 0x46_4D_50_41  # an arbitrary advisory-lock key of our own ("FMPA")

_MONTH = re.compile(r"_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    month: date | None  # None: the default partition
    rows: int  # the planner's estimate (pg_class.reltuples), cheap on any size


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_of(moment: datetime) -> date:
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}{month.month:02d}"


def is_partitioned(table: str, *, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [table],
        )
        return cursor.fetchone() is not None


def partitions(table: str, *, using: str = "default") -> list[Partition]:
    """The table's attached partitions, months in order, the default last."""
    connection = connections[using]
    if not is_partitioned(table, using=using):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s AND p.relnamespace = current_schema()::regnamespace",
            [table],
        )
        found = []
        for name, rows in cursor.fetchall():
            match = _MONTH.search(name)
            month = date(int(match[1]), int(match[2]), 1) if match else None
            found.append(Partition(table, name, month, max(rows, 0)))
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def _definition(cursor, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The table's indexes (as CREATE INDEX statements) and its constraints other than the primary key."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = current_schema() "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')",
        [table, table],
    )
    index_defs = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'c', 'u') ORDER BY conname",
        [table],
    )
    return index_defs, cursor.fetchall()


def convert_to_partitioned(schema_editor, table: str, column: str, *, at: datetime) -> None:
    """Turn a plain table into one partitioned by month on ``column``, keeping rows, ids, indexes and constraints.

    Run from a migration: it copies every row once, so on a large table it is a
    maintenance-window step (docs/deploy.md, *Upgrades*). Foreign keys that point
    *into* the table must be gone first (a partitioned table cannot back them).
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    t, plain, default = _ident(table), _ident(f"{table}__plain"), _ident(f"{table}_default")
    seq = _ident(f"{table}_id_seq")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table we drop
        index_defs, constraints = _definition(cursor, table)
        # Continue the sequence where it stood, not after max(id): an id once
        # handed out (a webhook's message id) must never be handed out again.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (old_seq,) = cursor.fetchone()
        cursor.execute(f"SELECT last_value, is_called FROM {old_seq}")
        last_value, is_called = cursor.fetchone()

        cursor.execute(f"ALTER TABLE {t} RENAME TO {plain}")
        cursor.execute(f"CREATE TABLE {t} (LIKE {plain} INCLUDING DEFAULTS) PARTITION BY RANGE ({_ident(column)})")
        cursor.execute(f"CREATE TABLE {default} PARTITION OF {t} DEFAULT")
        cursor.execute(f"INSERT INTO {t} SELECT * FROM {plain}")
        cursor.execute(f"DROP TABLE {plain}")
        cursor.execute(f"CREATE SEQUENCE {seq} AS bigint OWNED BY {t}.id")
        cursor.execute("SELECT setval(%s, %s, %s)", [f"{table}_id_seq", last_value, is_called])
        cursor.execute(f"ALTER TABLE {t} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq'::regclass)")
        cursor.execute(f"ALTER TABLE {t} ADD CONSTRAINT {_ident(table + '_pkey')} PRIMARY KEY (id, {_ident(column)})")
        for index_def in index_defs:
            cursor.execute(index_def)
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {t} ADD CONSTRAINT {_ident(name)} {definition}")
    first = month_of(at)
    for n in range(-MONTHS_BEHIND, MONTHS_AHEAD + 1):
        create_month(table, column, _add_months(first, n), using=schema_editor.connection.alias)


def convert_to_plain(schema_editor, table: str, column: str) -> None:
    """The reverse migration: one plain table again with every attached row (archived months stay archived)."""
    if schema_editor.connection.vendor != "postgresql" or not is_partitioned(
        table, using=schema_editor.connection.alias
    ):
        return
    t, parted = _ident(table), _ident(f"{table}__parted")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table we drop
        index_defs, constraints = _definition(cursor, table)
        cursor.execute(f"SELECT last_value, is_called FROM {_ident(table + '_id_seq')}")
        last_value, is_called = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {t} RENAME TO {parted}")
        cursor.execute(f"CREATE TABLE {t} (LIKE {parted} INCLUDING DEFAULTS)")
        cursor.execute(f"ALTER TABLE {t} ALTER COLUMN id DROP DEFAULT")
        cursor.execute(f"INSERT INTO {t} SELECT * FROM {parted}")
        cursor.execute(f"DROP TABLE {parted} CASCADE")
        cursor.execute(f"ALTER TABLE {t} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)", [table, last_value, is_called])
        cursor.execute(f"ALTER TABLE {t} ADD CONSTRAINT {_ident(table + '_pkey')} PRIMARY KEY (id)")
        for index_def in index_defs:
            cursor.execute(index_def)
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {t} ADD CONSTRAINT {_ident(name)} {definition}")


def create_month(table: str, column: str, month: date, *, using: str = "default") -> bool:
    """Attach the month's partition if it is missing, moving its rows out of the default partition first."""
    name = partition_name(table, month)
    t, p, default = _ident(table), _ident(name), _ident(f"{table}_default")
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        # Inserts into the default partition wait for these few statements, so
        # no row of the month can land there between the move and the attach.
        cursor.execute(f"LOCK TABLE {default} IN EXCLUSIVE MODE")
        lower, upper = _bound(month), _bound(_add_months(month, 1))
        cursor.execute(f"CREATE TABLE {p} (LIKE {t} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {_ident(column)} >= %s AND {_ident(column)} < %s "
            f"RETURNING *) INSERT INTO {p} SELECT * FROM moved",
            [lower, upper],
        )
        cursor.execute(f"ALTER TABLE {t} ATTACH PARTITION {p} FOR VALUES FROM (%s) TO (%s)", [lower, upper])
    return True


@dataclass
class MaintenanceReport:
    created: list[str]
    archived: list[str]


def maintain(*, at: datetime, archive_after_months: int = 0, using: str = "default") -> MaintenanceReport:
    """Keep every partitioned table ready for the coming months and, if asked, move old months out.

    ``archive_after_months`` > 0 detaches months that ended that many months
    before ``at`` into the ``firstmile_archive`` schema: they leave timelines and
    queries at once and stay readable there until an operator dumps and drops them.
    """
    report = MaintenanceReport(created=[], archived=[])
    if connections[using].vendor != "postgresql":
        return report
    if 0 < archive_after_months < MIN_ARCHIVE_MONTHS:
        raise ValueError(f"archive_after_months must be 0 (keep everything) or at least {MIN_ARCHIVE_MONTHS}")
    with transaction.atomic(using=using):
        # Every worker calls this; one at a time does the work, the others skip.
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [MAINTENANCE_LOCK])
            if not cursor.fetchone()[0]:
                return report
        _maintain(report, at=at, archive_after_months=archive_after_months, using=using)
    return report


def _maintain(report: MaintenanceReport, *, at: datetime, archive_after_months: int, using: str) -> None:
    this_month = month_of(at)
    for table, column in PARTITIONED_TABLES:
        if not is_partitioned(table, using=using):
            continue
        for n in range(MONTHS_AHEAD + 1):
            month = _add_months(this_month, n)
            if create_month(table, column, month, using=using):
                report.created.append(partition_name(table, month))
        if archive_after_months:
            oldest_kept = _add_months(this_month, -archive_after_months)
            for partition in partitions(table, using=using):
                if partition.month is not None and partition.month < oldest_kept:
                    _archive(partition, using=using)
                    report.archived.append(partition.name)


def _archive(partition: Partition, *, using: str) -> None:
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction
        # must run before the table's constraints can change.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(ARCHIVE_SCHEMA)}")
        cursor.execute(f"ALTER TABLE {_ident(partition.table)} DETACH PARTITION {_ident(partition.name)}")
        # An archived row must not stop a user, waybill or organisation from being
        # deleted: the archive keeps the ids, not the constraints.
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [partition.name]
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {_ident(partition.name)} DROP CONSTRAINT {_ident(name)}")
        cursor.execute(f"ALTER TABLE {_ident(partition.name)} SET SCHEMA {_ident(ARCHIVE_SCHEMA)}")
