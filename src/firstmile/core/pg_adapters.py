"""Read timestamptz columns with psycopg's compiled loader rather than Django's Python one.

Django registers, on every PostgreSQL connection, a loader for timestamptz that
subclasses psycopg's pure-Python loader: a regular expression and a datetime built
field by field, then ``replace(tzinfo=UTC)``. With psycopg's C extension installed
(``psycopg[binary]``, which Firstmile requires) the same text is parsed in C, and
the datetime comes back aware in the session's time zone. Django pins every
session to UTC (USE_TZ), and psycopg maps a UTC session to ``datetime.timezone.utc``:
the very value Django's loader sets. So where the connection is in UTC, the C
loader gives identical datetimes; elsewhere (a TIME_ZONE set on the database, or
no C extension) Django's loader stays.

Measured with bench/api_instructions.py: every datetime of every row read costs
less, which a page of twenty warehouses with their subscriptions feels most.
"""

from __future__ import annotations

from datetime import UTC

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

_TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid
_compiled = psycopg.adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)


# psycopg's own modules hold the pure-Python loaders; the C extension's live elsewhere.
COMPILED = not _compiled.__module__.startswith("psycopg.")


class UtcTimestamptzLoader(Loader):
    """Django's loader for a UTC connection, parsing in C.

    The C loader cannot be subclassed, and Django's create_cursor reads a
    ``timezone`` off the registered loader (to see whether a cursor needs one of
    its own): this carries that attribute and hands each value to the C loader's
    own ``load``, which psycopg's row loader then calls directly.
    """

    timezone = UTC

    def __init__(self, oid: int, context=None) -> None:
        super().__init__(oid, context)
        self.load = _compiled(oid, context).load

    def load(self, data):  # replaced on each instance by the C loader's
        raise NotImplementedError


def use_compiled_timestamptz_loader(sender, connection, **kwargs) -> None:
    """connection_created receiver: the C loader, where it gives what Django's would."""
    if not COMPILED or connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    connection.connection.adapters.register_loader(_TIMESTAMPTZ, UtcTimestamptzLoader)
