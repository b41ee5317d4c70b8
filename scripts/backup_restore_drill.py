#!/usr/bin/env python3
"""Back the database up, restore the copy into a new database, and prove the copy is whole.

    DATABASE_URL=postgres://… .venv/bin/python scripts/backup_restore_drill.py [--out backup.dump] [--keep]

PostgreSQL: `pg_dump --format=custom` of the live database (a consistent snapshot
while it serves), `pg_restore` into a fresh database, then every table's row count
and the applied migrations compared, and Django's checks run against the restored
copy. SQLite (the demo): the online backup API into a new file, compared the same
way. Exits 1 on any difference. Run it on a schedule against a replica or the
primary: a backup nobody has restored is a hope, not a backup.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg


def _tables_pg(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _tables_sqlite(path: str) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        conn.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drill_postgres(url: str, out: Path, keep: bool) -> tuple[dict, dict, str]:
    started = time.perf_counter()
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", url], check=True)
    dumped = time.perf_counter() - started
    restored_name = f"{urlsplit(url).path.lstrip('/')}_restore_{int(time.time())}"
    admin = _with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{restored_name}"')
    restored = _with_database(url, restored_name)
    try:
        started = time.perf_counter()
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(out)], check=True)
        restoring = time.perf_counter() - started
        before, after = _tables_pg(url), _tables_pg(restored)
        _django_check(restored)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
    size = out.stat().st_size
    return before, after, f"pg_dump {dumped:.1f} s, {size / 1e6:.1f} MB; pg_restore {restoring:.1f} s; {restored_name}"


def drill_sqlite(path: str, out: Path) -> tuple[dict, dict, str]:
    source, copy = sqlite3.connect(path), sqlite3.connect(out)
    try:
        started = time.perf_counter()
        source.backup(copy)  # consistent while the demo keeps writing
        took = time.perf_counter() - started
    finally:
        source.close()
        copy.close()
    _django_check(f"sqlite:///{out.resolve()}")
    return _tables_sqlite(path), _tables_sqlite(str(out)), f"sqlite backup {took:.2f} s into {out}"


def _django_check(url: str) -> None:
    """The restored copy is one this code can run on: no migration missing, no system check failing."""
    env = {**os.environ, "DATABASE_URL": url}
    firstmile = [sys.executable, "-m", "firstmile.cli"]
    subprocess.run([*firstmile, "migrate", "--check", "--verbosity=0"], env=env, check=True)
    subprocess.run([*firstmile, "check", "--database=default", "--verbosity=0"], env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="where the backup goes (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the restored PostgreSQL database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as scratch:
        if url.startswith(("postgres://", "postgresql://")):
            out = args.out or Path(scratch) / "firstmile.dump"
            before, after, how = drill_postgres(url, out, args.keep)
        else:
            path = url.removeprefix("sqlite:///") if url else str(Path.cwd() / "var" / "firstmile.sqlite3")
            out = args.out or Path(scratch) / "firstmile-backup.sqlite3"
            before, after, how = drill_sqlite(path, out)
    differing = {
        t: (before.get(t), after.get(t)) for t in before.keys() | after.keys() if before.get(t) != after.get(t)
    }
    print(f"backup and restore drill: {how}")
    print(
        f"  {len(before)} tables, {sum(before.values())} rows in the source; restored copy: {sum(after.values())} rows"
    )
    for table, (was, now) in sorted(differing.items()):
        print(f"  DIFFERS {table}: source {was}, restored {now}")
    print("  result: " + ("the restored copy is whole" if not differing else "FAILED"))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
