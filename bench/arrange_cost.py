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
    write WAL too; on an idle server that is a few hundred bytes per run.

    PYTHONPATH=. .venv/bin/python bench/arrange_cost.py [--batches 20] [--batch 50]
"""

from __future__ import annotations

import argparse
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20, help="timed arrange-shipment calls")
    parser.add_argument("--batch", type=int, default=50, help="orders per call")
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
        [(user, order_ids)] = seed(1, (warm + args.batches) * args.batch, history=200)
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
        connection.close()
    waybills = args.batches * args.batch
    print(f"\narrange shipment, {args.batches} calls of {args.batch} orders, one client, PostgreSQL")
    print(f"  Python instructions per waybill (callgrind)   {total / waybills:>12,.0f}")
    print(f"  WAL bytes per waybill                          {(wal[1] - wal[0]) / waybills:>12,.0f}")


if __name__ == "__main__":
    main()
