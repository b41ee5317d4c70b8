"""How the cost of the set-based work grows with the data, at three sizes.

For each size (default 10,000 / 100,000 / 1,000,000 rows, each in a fresh
PostgreSQL database and process):

- push, review: seed warehouses with active J&T pickup (as
  bench/switchover_push.py), push them to Wanse (`batch_push`, chunk by chunk, the
  job's own steps), then Wanse approves every pushed request in actions of 10,000
  (`subscription_approve`);
- dayplan: that many issued PICK UP parcels waiting, a hundred per warehouse,
  J&T with a driver per 150 stops rostered on a route over Dongguan; `day_plan`
  makes the shifts, the day's tasks, links every parcel and assigns the stops;
- reverse: that many reverse orders of one merchant (bench/reverse_list.py's
  generator); the list's first page, a page 20 pages in by cursor, and the tab
  counts, medians of 20 calls.

Prints time, time per row and, against the size before, the growth factor of the
time divided by that of the data (1.00 = linear); list pages should not grow. For
the push, the review and day planning also the shared-buffer pages the step went
through (pg_stat_database, hits and reads) and their growth the same way: a count
the machine's speed and cache do not move, which separates work that grows faster
than the data from a step that merely ran slower.

    PYTHONPATH=. .venv/bin/python bench/growth.py [--sizes 10000,100000,1000000] [--work push,dayplan,reverse]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta

from _pg import fresh_database
from switchover_push import seed


def _clone(
    cursor, table: str, template_id: int, overrides: dict[str, str], source: str, params: dict, where: str = "TRUE"
) -> None:
    """INSERT … SELECT copies of one template row, with some columns computed per copy (set-based seeding)."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
        "ORDER BY ordinal_position",
        [table],
    )
    columns = [c for (c,) in cursor.fetchall()]
    select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {select} FROM {table} t, {source} WHERE t.id = %(template)s AND {where}",
        {**params, "template": template_id},
    )


def _pages_touched() -> int:
    """Shared-buffer pages this database has read or hit so far (pg_stat_database), flushed first.

    A count that the machine's speed does not move: how much data a step went
    through. Database-wide, so autovacuum's work in the same database counts too.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed as the backend goes idle after this
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT blks_hit + blks_read FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _timed(step) -> tuple[float, int, object]:
    """Wall seconds and pages touched by one step."""
    pages = _pages_touched()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    return seconds, _pages_touched() - pages, result


def _bytes_per_row(cursor, table: str) -> float:
    """Table and indexes, all partitions included, per row."""
    cursor.execute(
        # pg_partition_tree is empty for a plain table; a partitioned parent's own size is 0
        "SELECT pg_total_relation_size(%(t)s::regclass)"
        " + (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree(%(t)s::regclass)),"
        f" (SELECT count(*) FROM {table})",
        {"t": table},
    )
    size, rows = cursor.fetchone()
    return float(size) / max(rows, 1)


def measure_dayplan(n: int) -> dict[str, float]:
    with fresh_database(f"firstmile_bench_growth_dayplan_{n}"):
        from django.db import connection

        from firstmile.accounts.models import OrganisationKind, Role
        from firstmile.core.clock import beijing_today
        from firstmile.dispatch.services import day_plan, driver_create, roster_set, route_create
        from firstmile.pickup.models import Warehouse
        from firstmile.shipping.models import Order, Waybill
        from firstmile.shipping.services import order_create, shipment_arrange
        from tests import factories

        warehouses = max(n // 100, 1)  # a hundred parcels a warehouse
        jt, _ws, merchant_org = seed(warehouses)
        merchant = factories.actor(merchant_org, kind=OrganisationKind.MERCHANT)
        first = Warehouse.objects.order_by("pk").first()
        [template] = shipment_arrange(
            actor=merchant, order_ids=[order_create(actor=merchant, order_no="T0", warehouse_code=first.code).pk]
        )
        assert template.handover_method == "PICKUP", template.subscription_state
        ids = list(Warehouse.objects.order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cursor:
            _clone(
                cursor,
                "shipping_order",
                template.order_id,
                {"order_no": "'O' || g", "warehouse_id": "(%(warehouses)s::bigint[])[1 + g %% %(count)s]"},
                "generate_series(1, %(n)s) g",
                {"warehouses": ids, "count": len(ids), "n": n - 1},
            )
            _clone(
                cursor,
                "shipping_waybill",
                template.pk,
                {
                    "order_id": "o.id",
                    "waybill_no": "'JT9' || lpad(o.id::text, 12, '0')",
                    "warehouse_id": "o.warehouse_id",
                    "sender_division_id": "w.division_id",
                },
                "shipping_order o JOIN pickup_warehouse w ON w.id = o.warehouse_id",
                {"order": template.order_id},
                where="o.id <> %(order)s",
            )
            cursor.execute(
                "DELETE FROM shipping_waybill WHERE waybill_no LIKE 'JT9%%' AND order_id = %s", [template.order_id]
            )
            cursor.execute("VACUUM ANALYZE")
        assert Waybill.objects.count() == n == Order.objects.count()
        dispatcher = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
        route = route_create(actor=dispatcher, name="东莞", division_codes=["441900"])
        capacity = 150  # stops a driver makes in a day (the roster allows up to 200)
        for i in range(warehouses // capacity + 1):
            driver = driver_create(actor=dispatcher, name=f"师傅{i}", phone=f"139{i:08d}")
            for day_type in ("weekday", "weekend"):
                roster_set(
                    actor=dispatcher, driver_id=driver.pk, route_id=route.pk, day_type=day_type, capacity=capacity
                )
        seconds, pages, plan = _timed(lambda: day_plan(actor=dispatcher, day=beijing_today()))
        assert plan.parcels_linked == n and plan.tasks == warehouses and plan.unassigned == 0, plan
        sizes = {}
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            for table in ("shipping_order", "shipping_waybill", "dispatch_taskparcel", "events_event"):
                sizes[f"bytes_per_row_{table}"] = _bytes_per_row(cursor, table)
        return {"dayplan": seconds, "dayplan_pages": pages, **sizes}


def measure_reverse(n: int) -> dict[str, float]:
    with fresh_database(f"firstmile_bench_growth_reverse_{n}"):
        from reverse_list import generate

        from firstmile.accounts.actor import Actor
        from firstmile.accounts.models import Organisation
        from firstmile.reverse.selectors import ReverseFilters, page_after, reverse_list, tab_counts
        from tests import factories

        generate(n, 1)
        merchant = Organisation.objects.get(code="m000")
        actor = Actor.for_user(factories.user(merchant))
        filters = ReverseFilters.from_params({})
        cursor = None
        for _ in range(20):
            cursor = page_after(
                reverse_list(actor=actor, filters=filters), sort=filters.sort, cursor=cursor
            ).next_cursor

        def median_ms(call) -> float:
            call()
            samples = []
            for _ in range(20):
                started = time.perf_counter()
                call()
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

        return {
            "page1": median_ms(
                lambda: page_after(reverse_list(actor=actor, filters=filters), sort=filters.sort, cursor=None)
            ),
            "page21": median_ms(
                lambda: page_after(reverse_list(actor=actor, filters=filters), sort=filters.sort, cursor=cursor)
            ),
            "counts": median_ms(lambda: tab_counts(actor=actor, filters=filters)),
        }


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
        push, push_pages, report = _timed(lambda: batch_push(actor=ops, batch_id=batch.pk))
        assert report.pushed == n, report

        ws_staff = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER)
        ids = list(PickupSubscription.objects.filter(carrier=ws).order_by("pk").values_list("pk", flat=True))

        def review_all():
            for i in range(0, len(ids), 10_000):
                subscription_approve(actor=ws_staff, subscription_ids=ids[i : i + 10_000])

        review, review_pages, _ = _timed(review_all)
        return {"push": push, "push_pages": push_pages, "review": review, "review_pages": review_pages}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--work", default="push,dayplan,reverse")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in its own process
    args = parser.parse_args()
    measures = {"push": measure, "dayplan": measure_dayplan, "reverse": measure_reverse}
    if args.one:
        print(json.dumps(measures[args.work](args.one)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict] = {n: {} for n in sizes}
    for work in args.work.split(","):
        for n in sizes:
            # Each size in a fresh process: Django binds its database connection settings once per process.
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(n), "--work", work], capture_output=True, text=True
            )
            if out.returncode:
                sys.exit(out.stderr[-3000:])
            results[n].update(json.loads(out.stdout.strip().splitlines()[-1]))
    print("growth of the set-based work on PostgreSQL (each size in a fresh database)")
    labels = {
        "push": "switchover push",
        "review": "bulk review (actions of 10,000)",
        "dayplan": "day planning (parcels; a hundred per warehouse; a driver per 150 stops)",
        "page1": "reverse list, first page (one merchant's rows)",
        "page21": "reverse list, page 21 by cursor",
        "counts": "reverse list, tab counts",
    }
    for key, value in results[sizes[-1]].items():
        if key.startswith("bytes_per_row_"):
            print(f"  {key[len('bytes_per_row_') :]}: {value:.0f} bytes a row with its indexes (at {sizes[-1]:,})")
    for what, label in labels.items():
        if what not in results[sizes[0]]:
            continue
        print(f"  {label}")
        previous = None
        for n in sizes:
            seconds = results[n][what]
            pages = results[n].get(f"{what}_pages")
            line = f"    {n:>9,} rows  {seconds * 1000:9.1f} ms  {seconds / n * 1e6:7.2f} µs/row"
            if previous:
                (m, earlier, earlier_pages) = previous
                growth = seconds / earlier
                line += f"   growth {growth:5.2f}x for {n / m:.0f}x rows: {growth / (n / m):.2f} of linear"
            if pages is not None:
                line += f"   | {pages:>11,} pages {pages / n:6.2f}/row"
                if previous:
                    line += f"  {pages / earlier_pages / (n / m):.2f} of linear"
            print(line)
            previous = (n, seconds, pages)


if __name__ == "__main__":
    main()
