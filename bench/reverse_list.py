"""The merchant's reverse-order list on 5,000,000 reverse orders of 200 merchants, on PostgreSQL.

Generates the data in the same run (one INSERT … SELECT per chunk, rows interleaved in
time order across merchants as they would arrive, merchant sizes skewed (Zipf, s = 0.5)
so the largest merchant holds about 3.7 % of all rows and the median one about 0.4 %),
then, for the largest and the median merchant, measures the two queries the list page
and the API run — the first page (`reverse_list` + `page_after`) and the tab counts
(`tab_counts`) — for each filter alone and for three common combinations:

  - wall time of the selector call through the ORM, p50 and p95 over --runs calls;
  - EXPLAIN ANALYZE of the very SQL the ORM sent (captured from that call), in the same run;

and for deep pages: page 1,000 (rows 49,951–50,000) against page 1, both by keyset cursor.
Targets: p95 <= 100 ms for the page and for the counts; page 1,000 <= 1.2x page 1.

    PYTHONPATH=. .venv/bin/python bench/reverse_list.py [--orders 5000000] [--merchants 200] [--runs 30]
    [--keep]  leave the database in place and print its name
    [--reuse NAME]  measure an existing database made by --keep (no generation)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import timedelta

from _pg import fresh_database

CHUNK = 500_000
PRODUCTS = [
    "蓝牙耳机",
    "LED台灯",
    "手机壳",
    "保温杯",
    "运动鞋",
    "连衣裙",
    "充电宝",
    "机械键盘",
    "瑜伽垫",
    "电动牙刷",
    "收纳盒",
    "宠物玩具",
    "羽绒服",
    "化妆刷",
    "智能手表",
    "咖啡机",
    "儿童积木",
    "户外帐篷",
    "太阳镜",
    "真丝围巾",
]


def zipf_cumulative(merchants: int, s: float = 0.5) -> list[float]:
    weights = [1 / (i + 1) ** s for i in range(merchants)]
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights[:-1]:
        running += w / total
        cumulative.append(running)
    return cumulative


def generate(orders: int, merchants: int) -> None:
    from django.db import connection

    from firstmile.accounts.models import Organisation, OrganisationKind
    from firstmile.core.clock import now
    from tests import factories

    carrier = factories.carrier("WS", with_centre_in="441900125")
    Organisation.objects.bulk_create(
        [Organisation(kind=OrganisationKind.MERCHANT, code=f"m{i:03d}", name=f"商家{i:03d}") for i in range(merchants)]
    )
    ids = list(
        Organisation.objects.filter(kind=OrganisationKind.MERCHANT, code__startswith="m")
        .order_by("code")
        .values_list("pk", flat=True)
    )
    cumulative = zipf_cumulative(merchants)
    end = now()
    span = timedelta(days=365)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2407)")
        for first in range(1, orders + 1, CHUNK):
            last = min(first + CHUNK - 1, orders)
            # Row g arrives at end - span + g * span / orders: time order interleaves merchants.
            cursor.execute(
                """
                INSERT INTO reverse_reverseorder (created_at, updated_at, reverse_no, merchant_id, carrier_id,
                    sales_return_no, order_no, product_id, product_name, goods_id, goods_name, warehouse_code,
                    warehouse_name, owner_id, owner_name, business_mode, reverse_type, disposition, status,
                    pickup_method, exception_state, completion_kind, completed_at, tracking_no, destruction_photo)
                SELECT r.created_at, LEAST(r.created_at + r.u * interval '20 days', %(end)s),
                    'RV' || lpad(r.g::text, 12, '0'), r.merchant_id, %(carrier)s,
                    CASE WHEN r.u < 0.7 THEN 'SR' || lpad(r.g::text, 12, '0') ELSE '' END,
                    'SO' || lpad(r.g::text, 12, '0'),
                    'P' || r.product, (%(products)s::text[])[1 + r.product %% 20] || ' 型号' || r.product,
                    'G' || r.goods, (%(products)s::text[])[1 + r.goods %% 20] || ' 货品' || r.goods,
                    'WH' || (r.g %% 6), '集货仓' || (r.g %% 6),
                    'OW' || (r.g %% 17), '货主' || (r.g %% 17),
                    CASE WHEN r.v < 0.5 THEN 'consignment_sale' WHEN r.v < 0.8 THEN 'consignment' ELSE 'pop' END,
                    r.reverse_type,
                    CASE WHEN r.reverse_type = 'customs_failed' AND r.w < 0.4 THEN 'destroy' ELSE 'return' END,
                    r.status,
                    CASE WHEN r.status = 'awaiting_merchant' THEN ''
                         WHEN r.reverse_type = 'customs_failed' AND r.w < 0.4 THEN ''
                         WHEN r.w > 0.75 THEN 'forward' ELSE 'self_pickup' END,
                    CASE WHEN r.x < 0.02 THEN 'open' WHEN r.x < 0.05 THEN 'closed' ELSE 'none' END,
                    CASE WHEN r.status <> 'completed' THEN ''
                         WHEN r.reverse_type = 'customs_failed' AND r.w < 0.4 THEN 'destroyed'
                         WHEN r.w > 0.75 THEN 'forwarded' ELSE 'handed_over' END,
                    CASE WHEN r.status = 'completed' THEN r.created_at + interval '5 days' END,
                    '', ''
                FROM (
                    SELECT g, u, v, w, x,
                        %(end)s - %(span)s + g * (%(span)s / %(orders)s) AS created_at,
                        (%(ids)s::bigint[])[1 + width_bucket(random(), %(cumulative)s::float8[])] AS merchant_id,
                        (random() * 4000)::int AS product, (random() * 6000)::int AS goods,
                        CASE WHEN v2 < 0.40 THEN 'customs_failed' WHEN v2 < 0.85 THEN 'intercept_refused'
                             ELSE 'warehouse_intercepted' END AS reverse_type,
                        CASE WHEN g > %(orders)s * 0.95 AND x2 < 0.5 THEN 'awaiting_merchant'
                             WHEN g > %(orders)s * 0.95 AND x2 < 0.75 THEN 'awaiting_pickup'
                             WHEN g > %(orders)s * 0.95 AND x2 < 0.85 THEN 'awaiting_destruction'
                             ELSE 'completed' END AS status
                    FROM (SELECT g, random() u, random() v, random() v2, random() w, random() x, random() x2
                          FROM generate_series(%(first)s, %(last)s) g) s
                ) r
                """,
                {
                    "end": end,
                    "span": span,
                    "orders": orders,
                    "carrier": carrier.pk,
                    "products": PRODUCTS,
                    "ids": ids,
                    "cumulative": cumulative,
                    "first": first,
                    "last": last,
                },
            )
            print(f"  generated {last:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute("VACUUM ANALYZE reverse_reverseorder")
    print(f"generation + VACUUM ANALYZE: {time.perf_counter() - started:.0f} s", flush=True)


def scenarios(merchant_id: int) -> list[tuple[str, dict]]:
    from firstmile.core.clock import now
    from firstmile.reverse.models import ReverseOrder

    mine = ReverseOrder.objects.filter(merchant_id=merchant_id)
    sample = mine.order_by("-created_at")[500]
    old = mine.order_by("created_at")[500]
    moment = now().astimezone()
    week_ago = (moment - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    month_ago = (moment - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    return [
        ("no filter (all tab)", {}),
        ("number: order no", {"number": sample.order_no}),
        ("number: sales return no", {"number": old.sales_return_no or old.order_no}),
        ("number: reverse no", {"number": old.reverse_no}),
        ("product id", {"product": sample.product_id}),
        ("product name part", {"product": "台灯"}),
        ("product name, rare", {"product": f"型号{sample.product_id[1:]}"}),
        ("goods id", {"goods": sample.goods_id}),
        ("goods name part", {"goods": "咖啡机"}),
        ("warehouse", {"warehouse": "WH3"}),
        ("created: last 7 days", {"created_from": week_ago}),
        ("created: a week a year ago", {"created_from": "2025-12-01", "created_to": "2025-12-08"}),
        ("updated: last 7 days", {"updated_from": week_ago}),
        ("pickup method: forwarding", {"pickup_method": "forward"}),
        ("exception: pending", {"exception_state": "open"}),
        ("owner id", {"owner": "OW5"}),
        ("owner name part", {"owner": "货主1"}),
        ("business mode: pop", {"business_mode": "pop"}),
        ("tab: customs failed", {"tab": "customs_failed"}),
        ("tab: return", {"tab": "return"}),
        ("tab: destroy", {"tab": "destroy"}),
        ("tab: refused", {"tab": "intercept_refused"}),
        ("tab: warehouse-intercepted", {"tab": "warehouse_intercepted"}),
        ("sort: updated, newest first", {"sort": "-updated_at"}),
        (
            "combo: destroy tab + no exception + last 30 days",
            {"tab": "destroy", "exception_state": "none", "created_from": month_ago},
        ),
        (
            "combo: warehouse + self-pickup + last 30 days",
            {"warehouse": "WH2", "pickup_method": "self_pickup", "created_from": month_ago},
        ),
        ("combo: owner + consignment + return tab", {"owner": "OW3", "business_mode": "consignment", "tab": "return"}),
    ]


def explain_ms(sqls: list[str]) -> float:
    """Planning + execution time PostgreSQL reports for the call's statements, summed."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
    return total


def timed(call, runs: int) -> tuple[list[float], list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    sqls = [q["sql"] for q in captured.captured_queries]
    call()  # warm
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, sqls


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]


def measure_merchant(label: str, merchant_id: int, runs: int) -> tuple[list[dict], object]:
    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import Organisation, Role, User
    from firstmile.reverse.models import ReverseOrder
    from firstmile.reverse.selectors import ReverseFilters, page_after, reverse_list, tab_counts
    from tests import factories

    org = Organisation.objects.get(pk=merchant_id)
    user = User.objects.filter(organisation=org).first() or factories.user(org, Role.ADMIN)
    actor = Actor.for_user(user)
    size = ReverseOrder.objects.filter(merchant_id=merchant_id).count()
    print(f"\n{label}: {org.code}, {size:,} reverse orders")
    print(
        f"{'filter':<50} {'rows':>8} {'page p50':>9} {'page p95':>9} {'SQL':>7} "
        f"{'counts p50':>10} {'counts p95':>10} {'SQL':>7}"
    )
    results = []
    for name, params in scenarios(merchant_id):
        filters = ReverseFilters.from_params(params)
        page_samples, page_sql = timed(
            lambda f=filters: page_after(reverse_list(actor=actor, filters=f), sort=f.sort, cursor=None), runs
        )
        counts = tab_counts(actor=actor, filters=filters)
        count_samples, count_sql = timed(lambda f=filters: tab_counts(actor=actor, filters=f), runs)
        row = {
            "merchant": label,
            "filter": name,
            "rows": counts[filters.tab],
            "page_p50": statistics.median(page_samples),
            "page_p95": p95(page_samples),
            "page_sql": explain_ms(page_sql),
            "counts_p50": statistics.median(count_samples),
            "counts_p95": p95(count_samples),
            "counts_sql": explain_ms(count_sql),
        }
        results.append(row)
        print(
            f"{name:<50} {row['rows']:>8,} {row['page_p50']:>7.1f}ms {row['page_p95']:>7.1f}ms "
            f"{row['page_sql']:>5.1f}ms {row['counts_p50']:>8.1f}ms {row['counts_p95']:>8.1f}ms "
            f"{row['counts_sql']:>5.1f}ms",
            flush=True,
        )
    return results, actor


def measure_deep(actor, runs: int) -> list[dict]:
    from firstmile.reverse.selectors import ReverseFilters, page_after, reverse_list

    print(
        f"\n{'deep pages (50 a page), by keyset cursor':<40} {'p1 p50':>8} {'p1000 p50':>8} {'ratio':>6} "
        f"{'p1 p95':>8} {'p1000 p95':>8} {'ratio':>6} {'SQL p1':>7} {'SQL p1000':>8} {'p2 p50':>8} {'p1000/p2':>8}"
    )
    out = []
    for name, params in [
        ("no filter, newest first", {}),
        ("tab: refused, newest first", {"tab": "intercept_refused"}),
        ("no filter, updated newest first", {"sort": "-updated_at"}),
        ("no filter, oldest first", {"sort": "created_at"}),
        ("owner name part, newest first", {"owner": "货主1"}),
    ]:
        filters = ReverseFilters.from_params(params)
        cursor = second = None
        for page in range(1, 1000):
            rows = reverse_list(actor=actor, filters=filters)
            cursor = page_after(rows, sort=filters.sort, cursor=cursor).next_cursor
            second = second or cursor
            if cursor is None:
                raise SystemExit(f"{name}: only {page} pages; page 1,000 needs a larger merchant")
        first_call = lambda f=filters: page_after(  # noqa: E731
            reverse_list(actor=actor, filters=f), sort=f.sort, cursor=None
        )
        deep_call = lambda f=filters, c=cursor: page_after(  # noqa: E731
            reverse_list(actor=actor, filters=f), sort=f.sort, cursor=c
        )
        second_call = lambda f=filters, c=second: page_after(  # noqa: E731
            reverse_list(actor=actor, filters=f), sort=f.sort, cursor=c
        )
        _, first_sql = timed(first_call, 1)
        _, deep_sql = timed(deep_call, 1)
        # Interleaved, so drift on a busy machine hits all alike.
        first, deep, page2 = [], [], []
        for _ in range(runs * 5):
            for call, samples in ((first_call, first), (deep_call, deep), (second_call, page2)):
                started = time.perf_counter()
                call()
                samples.append((time.perf_counter() - started) * 1000)
        row = {
            "case": name,
            "p1_p50": statistics.median(first),
            "p1000_p50": statistics.median(deep),
            "p1": p95(first),
            "p1000": p95(deep),
            "sql_p1": explain_ms(first_sql),
            "sql_p1000": explain_ms(deep_sql),
        }
        row["ratio"] = row["p1000_p50"] / row["p1_p50"]
        row["ratio_p95"] = row["p1000"] / row["p1"]
        row["p2_p50"] = statistics.median(page2)
        row["ratio_p2"] = row["p1000_p50"] / row["p2_p50"]
        out.append(row)
        print(
            f"{name:<40} {row['p1_p50']:>6.1f}ms {row['p1000_p50']:>6.1f}ms {row['ratio']:>5.2f}x "
            f"{row['p1']:>6.1f}ms {row['p1000']:>6.1f}ms {row['ratio_p95']:>5.2f}x "
            f"{row['sql_p1']:>5.2f}ms {row['sql_p1000']:>6.2f}ms {row['p2_p50']:>6.1f}ms {row['ratio_p2']:>5.2f}x",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse")
    args = parser.parse_args()

    if args.reuse:
        server = os.environ.get("FIRSTMILE_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        os.environ["DATABASE_URL"] = f"{server}/{args.reuse}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        context = nullcontext(args.reuse)
    else:
        context = fresh_database("bench_reverse", keep=args.keep)

    with context as name:
        from django.db import connection

        if not args.reuse:
            generate(args.orders, args.merchants)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute(
                """SELECT merchant_id, count(*) FROM reverse_reverseorder GROUP BY merchant_id ORDER BY 2 DESC"""
            )
            sizes = cursor.fetchall()
        total = sum(n for _, n in sizes)
        print(f"PostgreSQL {version}; database {name}; {total:,} reverse orders, {len(sizes)} merchants")
        largest = sizes[0][0]
        median = sizes[len(sizes) // 2][0]
        rows, actor = measure_merchant("largest merchant", largest, args.runs)
        median_rows, _ = measure_merchant("median merchant", median, args.runs)
        deep = measure_deep(actor, args.runs)
        everything = rows + median_rows
        worst_page = max(everything, key=lambda r: r["page_p95"])
        worst_counts = max(everything, key=lambda r: r["counts_p95"])
        print(
            f"\nworst first page p95: {worst_page['page_p95']:.1f} ms "
            f"({worst_page['merchant']}, {worst_page['filter']})"
            f"\nworst tab counts p95: {worst_counts['counts_p95']:.1f} ms "
            f"({worst_counts['merchant']}, {worst_counts['filter']})"
            f"\nworst page 1,000 / page 1 (p50): {max(r['ratio'] for r in deep):.2f}x"
        )
        failed = [r for r in everything if r["page_p95"] > 100 or r["counts_p95"] > 100]
        failed += [r for r in deep if r["ratio"] > 1.2]
        print("targets met" if not failed else f"targets missed: {len(failed)}")
        if args.keep:
            print(f"kept database {name}; measure again with --reuse {name}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
