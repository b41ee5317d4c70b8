"""Timestamps read on PostgreSQL come back exactly as Django's own loader gives them, parsed in C."""

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

VALUES = [
    "2026-01-02 03:04:05.123+08",
    "2026-12-03 05:31:04.620073+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1999-06-30 23:59:60+00",  # a leap second, which PostgreSQL rounds into the next minute
    "2026-03-08 12:00:00-05:30",
]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("timestamptz loaders are PostgreSQL's")


@pytest.mark.django_db
def test_the_compiled_loader_is_registered_and_reads_what_djangos_reads(postgres_only):
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    from firstmile.core.pg_adapters import COMPILED, UtcTimestamptzLoader

    connection.ensure_connection()
    assert COMPILED  # psycopg[binary] is a requirement: without it nothing here is faster
    assert connection.connection.adapters.get_loader(1184, 0) is UtcTimestamptzLoader
    placeholders = ", ".join(["%s::timestamptz"] * len(VALUES))
    as_text = ", ".join(["%s::timestamptz::text"] * len(VALUES))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {placeholders}, NULL::timestamptz", VALUES)
        ours = cursor.fetchone()
        cursor.execute(f"SELECT {as_text}", VALUES)
        texts = [value.encode() for value in cursor.fetchone()]
    django_loader = type("Reference", (BaseTzLoader,), {"timezone": UTC})(1184, connection.connection)
    assert list(ours[:-1]) == [django_loader.load(text) for text in texts]
    assert all(value.tzinfo is UTC for value in ours[:-1]) and ours[-1] is None


@pytest.mark.parametrize(
    ("vendor", "zone", "registered"),
    [("postgresql", UTC, True), ("postgresql", ZoneInfo("Asia/Shanghai"), False), ("sqlite", UTC, False)],
)
def test_only_a_postgresql_connection_in_utc_gets_the_compiled_loader(vendor, zone, registered):
    from firstmile.core.pg_adapters import COMPILED, UtcTimestamptzLoader, use_compiled_timestamptz_loader

    calls = []

    class Adapters:
        def register_loader(self, oid, loader):
            calls.append((oid, loader))

    # A zone other than UTC is a database with TIME_ZONE set: Django's loader converts to it, so it stays.
    class Connection:
        def __init__(self):
            self.vendor, self.timezone = vendor, zone
            self.connection = type("Psycopg", (), {"adapters": Adapters()})()

    use_compiled_timestamptz_loader(sender=None, connection=Connection())
    assert calls == ([(1184, UtcTimestamptzLoader)] if registered and COMPILED else [])
