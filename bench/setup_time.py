"""How long a fresh installation takes to set up: migrations and the demo, on SQLite and PostgreSQL.

Each step runs as a new user runs it, in its own process on an empty database:

- ``firstmile migrate`` on a new SQLite file and on a new PostgreSQL database;
- ``firstmile demo --no-serve`` on a new SQLite file (what ``make demo`` does
  before it serves: migrate, load the demo data, print the logins);
- reloading the divisions table into an emptied table (what a test whose database
  is flushed pays in its ``divisions`` fixture).

With ``--against PATH`` (another checkout's ``src``, e.g. a git worktree of the
commit before a change), every step also runs on that code, interleaved in the
same run, and the ratio is printed.

    .venv/bin/python bench/setup_time.py [--rounds 3] [--against /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("FIRSTMILE_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

RELOAD = """
import time, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from firstmile.geo.models import Division
from firstmile.geo.loader import load_divisions
from firstmile.geo import addresses
from django.db import connection
with connection.cursor() as c:
    c.execute("DELETE FROM geo_division")
started = time.perf_counter()
n = load_divisions(Division)
loaded = time.perf_counter() - started
started = time.perf_counter()
addresses.clear_cache()
addresses.parse_address("广东省东莞市洪梅镇洪屋涡村工业路3号")
print(f"{n} {loaded:.3f} {time.perf_counter() - started:.3f}")
"""


def _env(src: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTMILE_") and k != "DATABASE_URL"}
    return {**env, "PYTHONPATH": str(src), "DJANGO_SETTINGS_MODULE": "firstmile.settings", **extra}


def _timed(args: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(run.stdout + run.stderr)
    return elapsed, run.stdout


def sqlite_migrate(src: Path) -> float:
    with tempfile.TemporaryDirectory() as data:
        return _timed([sys.executable, "-m", "firstmile.cli", "migrate", "-v0"], _env(src, FIRSTMILE_DATA_DIR=data))[0]


def sqlite_demo(src: Path) -> float:
    with tempfile.TemporaryDirectory() as data:
        env = _env(src, FIRSTMILE_DATA_DIR=data)
        return _timed([sys.executable, "-m", "firstmile.cli", "demo", "--no-serve"], env)[0]


def pg_migrate(src: Path) -> float:
    name = f"bench_setup_{os.getpid()}_{time.time_ns()}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        env = _env(src, DATABASE_URL=f"{PG}/{name}")
        return _timed([sys.executable, "-m", "firstmile.cli", "migrate", "-v0"], env)[0]
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def reload(src: Path) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as data:
        out = _timed([sys.executable, "-c", RELOAD], _env(src, FIRSTMILE_DATA_DIR=data))[1].split()
    return int(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout's src/ to compare with")
    parser.add_argument("--reload-only", action="store_true", help="only the divisions reload")
    args = parser.parse_args()
    sources = {"this": ROOT / "src"}
    if args.against:
        sources["against"] = args.against.resolve()
    steps = {
        "migrate (SQLite)": sqlite_migrate,
        "demo --no-serve (SQLite)": sqlite_demo,
        "migrate (PostgreSQL)": pg_migrate,
    }
    if args.reload_only:
        steps = {}
    times: dict[tuple[str, str], list[float]] = {}
    reloads: dict[str, list[tuple[int, float, float]]] = {}
    for _round in range(args.rounds):
        for label, src in sources.items():  # interleaved, so a slow stretch of the machine hits both
            for step, run in steps.items():
                times.setdefault((step, label), []).append(run(src))
            reloads.setdefault(label, []).append(reload(src))
    print(f"median of {args.rounds} rounds, seconds (min–max)")
    for step in steps:
        line = f"  {step:<26}"
        for label in sources:
            t = times[step, label]
            line += f"  {label}: {statistics.median(t):6.2f} ({min(t):.2f}–{max(t):.2f})"
        if "against" in sources:
            line += f"  ratio {statistics.median(times[step, 'this']) / statistics.median(times[step, 'against']):.2f}"
        print(line)
    for label, runs in reloads.items():
        rows = runs[0][0]
        print(
            f"  reload divisions ({label}): {rows} rows in {statistics.median(r[1] for r in runs):.2f} s; "
            f"address reader's first parse {statistics.median(r[2] for r in runs) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
