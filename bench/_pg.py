"""A throwaway PostgreSQL database for one benchmark run, migrated and dropped after."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


@contextlib.contextmanager
def fresh_database(prefix: str, keep: bool = False):
    server = os.environ.get("FIRSTMILE_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    name = f"{prefix}_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{server}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    try:
        yield name
    finally:
        connections.close_all()
        if not keep:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
