"""Reads that may come from a streaming replica, when one is configured.

`DATABASE_REPLICA_URL` adds a `replica` database. Only code that says so reads
from it: `with from_replica(): …` around a read that tolerates a few seconds of
lag (tab counts, exports, delivery logs, timelines). Everything else, and any
read inside a transaction on the primary (a service checking the current state
under a lock), stays on the primary. Without a replica the block changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("firstmile_from_replica", default=False)


@contextlib.contextmanager
def from_replica():
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def lagging(queryset):
    """The queryset read from the replica when one is configured (and outside a transaction)."""
    if REPLICA in settings.DATABASES and not connections["default"].in_atomic_block:
        return queryset.using(REPLICA)
    return queryset


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _wanted.get() and REPLICA in settings.DATABASES and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same rows, same ids

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
