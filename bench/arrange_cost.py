"""What one waybill of arrange-shipment costs, in figures the machine's noise does not move.

bench/waybill_issuing.py gives the rate under 8 concurrent clients, and that rate
swings with the machine's speed from one run to the next. This bench splits the
cost of one waybill between the two processes that pay it:
  - the web or worker process: Python instructions per waybill, counted by
    callgrind while one client arranges batches of orders (shipment_arrange,
    batches of 50, as the rate bench);
  - PostgreSQL: WAL bytes written per waybill (the waybill row, the orders'
    new row versions, two events, and every index entry of each), read from
    pg_current_wal_lsn() around the same batches. Other databases on the server
    write WAL too; on an idle server that is a few hundred bytes per run;
  - PostgreSQL: its backend's CPU time per waybill (utime + stime from
    /proc/<backend pid>/stat, so only when the server runs on this machine),
    over a second, longer series of batches without callgrind. A CPU time moves
    with the machine's speed, though far less than a rate under load does:
    compare it only within one run or between runs back to back;
  - PostgreSQL: its backend's instructions per waybill, over the same series,
    when the server runs under callgrind (--server-callgrind): a figure as
    steady as the Python one, for comparing changes on the database's side.
    Such a server, on its own port (slow, for measuring only):

      su postgres -c "initdb -D /tmp/pgcg/data -A trust -U postgres"
      su postgres -c "valgrind --tool=callgrind --trace-children=yes \\
          --callgrind-out-file=/tmp/pgcg/cg.%p postgres -D /tmp/pgcg/data -p 5433 \\
          -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp/pgcg -c autovacuum=off"
      FIRSTMILE_BENCH_PG_URL=postgres://postgres@127.0.0.1:5433 PYTHONPATH=. \\
          .venv/bin/python bench/arrange_cost.py --server-callgrind /tmp/pgcg

    PYTHONPATH=. .venv/bin/python bench/arrange_cost.py [--batches 20] [--batch 50]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _callgrind import count as count_instructions  # noqa: E402
from _callgrind import require_valgrind  # noqa: E402


def child(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    os.environ["DATABASE_URL"] = config["database_url"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
    sys.path.insert(0, str(BENCH.parent / "src"))
    sys.path.insert(0, str(BENCH.parent))
    import django

    django.setup()
    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import User
    from firstmile.shipping.services import shipment_arrange

    actor = Actor.for_user(User.objects.select_related("organisation").get(pk=config["user"]))
    ids, batch, warm = config["order_ids"], config["batch"], config["warm"]
    for start in range(0, warm * batch, batch):  # prepared statements, caches, imports
        shipment_arrange(actor=actor, order_ids=ids[start : start + batch])
    ready, go = Path(config["ready"]), Path(config["go"])
    ready.touch()
    while not go.exists():
        time.sleep(0.02)
    for start in range(warm * batch, len(ids), batch):
        shipment_arrange(actor=actor, order_ids=ids[start : start + batch])
    os._exit(0)  # nothing more counted: no teardown


def wal_lsn() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_cpu_seconds() -> float | None:
    """CPU time the PostgreSQL backend serving this connection has used, if it runs here."""
    pid = backend_pid()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # fields[0] is the state (field 3 of proc(5)); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20, help="timed arrange-shipment calls")
    parser.add_argument("--batch", type=int, default=50, help="orders per call")
    parser.add_argument("--cpu-batches", type=int, default=200, help="calls timed for PostgreSQL's CPU")
    parser.add_argument(
        "--server-callgrind",
        metavar="DIR",
        help="the server runs under callgrind writing DIR/cg.<pid>: count its backend's instructions too",
    )
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    require_valgrind()
    from _pg import fresh_database
    from waybill_issuing import seed

    warm = 5
    with tempfile.TemporaryDirectory() as scratch, fresh_database("firstmile_bench_arrange_cost"):
        counted = (warm + args.batches) * args.batch
        # with --server-callgrind, a short series of warm batches comes first
        extra = warm * args.batch if args.server_callgrind else 0
        [(user, order_ids)] = seed(1, counted + extra + (warm + args.cpu_batches) * args.batch, history=200)
        order_ids, cpu_order_ids = order_ids[:counted], order_ids[counted:]
        from django.db import connection

        config = {
            "database_url": os.environ["DATABASE_URL"],
            "user": user,
            "order_ids": order_ids,
            "batch": args.batch,
            "warm": warm,
            "ready": f"{scratch}/ready",
            "go": f"{scratch}/go",
        }
        config_path = f"{scratch}/config.json"
        Path(config_path).write_text(json.dumps(config))
        wal = []
        total = count_instructions([__file__, "--child", config_path], scratch, on_start=lambda: wal.append(wal_lsn()))
        wal.append(wal_lsn())
        if args.server_callgrind:
            backend_cpu, python_cpu = None, None
            instructions = backend_instructions(user, cpu_order_ids, args.batch, warm, args.server_callgrind)
        else:
            backend_cpu, python_cpu = cpu_per_waybill(user, cpu_order_ids, args.batch, warm)
            instructions = None
        connection.close()
    waybills = args.batches * args.batch
    print(f"\narrange shipment, {args.batches} calls of {args.batch} orders, one client, PostgreSQL")
    print(f"  Python instructions per waybill (callgrind)   {total / waybills:>12,.0f}")
    print(f"  WAL bytes per waybill                          {(wal[1] - wal[0]) / waybills:>12,.0f}")
    cpu_waybills = args.cpu_batches * args.batch
    if instructions is not None:
        print(f"\n{args.cpu_batches} calls of {args.batch} orders, one client, the server under callgrind")
        print(f"  PostgreSQL backend instructions per waybill   {instructions / cpu_waybills:>12,.0f}")
        return
    print(f"\n{args.cpu_batches} calls of {args.batch} orders, one client, without callgrind")
    if backend_cpu is None:
        print("  PostgreSQL backend CPU per waybill             n/a (the server is not on this machine)")
    else:
        print(f"  PostgreSQL backend CPU µs per waybill          {backend_cpu / cpu_waybills * 1e6:>12,.1f}")
    print(f"  Python process CPU µs per waybill              {python_cpu / cpu_waybills * 1e6:>12,.1f}")


def _arrange_series(user_id: int, order_ids: list[int], batch: int) -> None:
    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import User
    from firstmile.shipping.services import shipment_arrange

    actor = Actor.for_user(User.objects.select_related("organisation").get(pk=user_id))
    for start in range(0, len(order_ids), batch):
        shipment_arrange(actor=actor, order_ids=order_ids[start : start + batch])


def cpu_per_waybill(user_id: int, order_ids: list[int], batch: int, warm: int) -> tuple[float | None, float]:
    """CPU seconds of PostgreSQL's backend and of this process over the batches after ``warm``."""
    _arrange_series(user_id, order_ids[: warm * batch], batch)
    backend_before, python_before = backend_cpu_seconds(), time.process_time()
    _arrange_series(user_id, order_ids[warm * batch :], batch)
    python_after, backend_after = time.process_time(), backend_cpu_seconds()
    backend = None if backend_before is None else backend_after - backend_before
    return backend, python_after - python_before


def backend_instructions(user_id: int, order_ids: list[int], batch: int, warm: int, server_callgrind: str) -> int:
    """The backend instructions of the batches after the first ``warm``, on a server under callgrind.

    Each backend's count covers its whole life (start, catalogue caches, warm-up),
    so two fresh connections run a short series (``warm`` batches) and a long one
    (``order_ids`` less those) and the difference is what the extra batches cost.
    """
    from django.db import connection

    counts = []
    short = warm * batch
    for series in (order_ids[:short], order_ids[short:]):
        connection.close()
        pid = backend_pid()
        _arrange_series(user_id, series, batch)
        connection.close()  # the backend exits and writes its counts
        counts.append(_callgrind_totals(Path(server_callgrind, f"cg.{pid}")))
    return counts[1] - counts[0]


def _callgrind_totals(path: Path) -> int:
    for _ in range(600):
        if path.exists():
            found = re.search(r"^totals: (\d+)", path.read_text(), re.MULTILINE)
            if found:
                return int(found.group(1))
        time.sleep(0.1)
    sys.exit(f"{path}: no callgrind counts from the server's backend")


if __name__ == "__main__":
    main()
