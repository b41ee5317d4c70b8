"""How the cost of the set-based work grows with the data: the switchover push and the bulk review at three sizes.

For each size (default 10,000 / 100,000 / 1,000,000 warehouses, each in a fresh
PostgreSQL database): seed warehouses with active J&T pickup (as
bench/switchover_push.py), push them to Wanse (`batch_push`, chunk by chunk, the
job's own steps), then Wanse approves every pushed request in actions of 10,000
(`subscription_approve`). Prints time, time per row and, against the size before,
the growth factor of the time divided by the growth factor of the data (1.00 =
linear; above 1 = faster than linear).

    PYTHONPATH=. .venv/bin/python bench/growth.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import timedelta

from _pg import fresh_database
from switchover_push import seed


def measure(n: int) -> dict[str, float]:
    with fresh_database(f"firstmile_bench_growth_{n}"):
        from firstmile.accounts.models import OrganisationKind
        from firstmile.core.clock import now
        from firstmile.pickup.models import PickupSubscription
        from firstmile.pickup.services import subscription_approve
        from firstmile.switchover.services import batch_push, batch_schedule, switchover_create
        from tests import factories

        _jt, ws, _merchant = seed(n)
        ops = factories.actor(kind=OrganisationKind.PLATFORM)
        switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
        batch = batch_schedule(
            actor=ops,
            switchover_id=switchover.pk,
            name="东莞",
            cutover_at=now() + timedelta(days=1),
            division_codes=["441900"],
        )
        started = time.perf_counter()
        report = batch_push(actor=ops, batch_id=batch.pk)
        push = time.perf_counter() - started
        assert report.pushed == n, report

        ws_staff = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER)
        ids = list(PickupSubscription.objects.filter(carrier=ws).order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        for i in range(0, len(ids), 10_000):
            subscription_approve(actor=ws_staff, subscription_ids=ids[i : i + 10_000])
        review = time.perf_counter() - started
        return {"push": push, "review": review}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in its own process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    # Each size in a fresh process: Django binds its database connection settings once per process.
    results = {
        n: json.loads(
            subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        for n in sizes
    }
    print("growth of the set-based work on PostgreSQL (each size in a fresh database)")
    for what, label in (("push", "switchover push"), ("review", "bulk review (actions of 10,000)")):
        print(f"  {label}")
        previous = None
        for n in sizes:
            seconds = results[n][what]
            line = f"    {n:>9,} rows  {seconds * 1000:9.0f} ms  {seconds / n * 1e6:7.1f} µs/row"
            if previous:
                (m, earlier) = previous
                growth = seconds / earlier
                line += f"   growth {growth:5.2f}x for {n / m:.0f}x rows: {growth / (n / m):.2f} of linear"
            print(line)
            previous = (n, seconds)


if __name__ == "__main__":
    main()
