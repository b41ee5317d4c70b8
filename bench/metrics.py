"""Tracking and performance figures at scale, on PostgreSQL (issue 28).

Generates, set-based, ``--waybills`` parcels (10,000,000 by default) of one merchant's
``--waybills / 5000`` (or ``--warehouses``) Dongguan warehouses printed over the last ``--days`` days (90), with
their orders and their events as the services write them: every label's
``waybill.issued``; 95 % collected (``waybill.collected``) a few hours after printing,
5 % after a failed first attempt (``waybill.pickup_failed``, reasons spread); 92 %
received at the sorting centre (``waybill.received``) 2–30 hours after collection; the
rest still on the way. Then:

  - rebuilds the 90 days of figures from the records (``rollup_rebuild``), timed;
  - the carrier's 90-day performance page: ``performance()`` and ``GET /api/v1/metrics/performance``,
    p50/p95 over --runs calls (target p95 <= 150 ms), and the portal page itself;
  - a parcel's tracking, ``GET /api/v1/waybills/{no}/tracking`` for random parcels (target p95 <= 20 ms);
  - the public page, ``POST /track/`` with the number and the phone's last four digits (target p95 <= 30 ms);
  - one day of ``--big-day`` parcels (1,000,000) printed, collected and received three days ago,
    then rolled up by ``rollup_run`` in this one process (target <= 60 s); with --big-day-today
    also a day of them over the last 24 hours, whose hourly sums are kept as well;
  - the incremental rollup of one hour at three sizes (--hours, parcels in the hour), to show
    its cost follows the hour's events, not the table's size.

    PYTHONPATH=. .venv/bin/python bench/metrics.py [--waybills 10000000] [--days 90] [--warehouses N]
        [--big-day 1000000]
        [--big-day-today] [--hours 10000,50000,200000] [--runs 50] [--keep] [--reuse NAME [--rebuild]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import timedelta

from _pg import fresh_database
from growth import _clone
from switchover_push import seed

REASONS = ["merchant_closed", "not_ready", "refused", "address_wrong", "over_capacity", "no_contact"]


def _ms(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)] * 1000, 2),
    }


def _parcels(cursor, *, template, first: int, count: int, start, spread_seconds: int, warehouses: list[int]) -> None:
    """``count`` orders and waybills numbered from ``first``, printed over [start, start + spread), and their events."""
    params = {
        "first": first,
        "last": first + count - 1,
        "start": start,
        "spread": spread_seconds,
        "warehouses": warehouses,
        "count": len(warehouses),
        "parcels": count,
        "reasons": REASONS,
    }
    _clone(
        cursor,
        "shipping_order",
        template.order_id,
        {"order_no": "'B' || g", "warehouse_id": "(%(warehouses)s::bigint[])[1 + g %% %(count)s]"},
        "generate_series(%(first)s, %(last)s) g",
        params,
    )
    # Per parcel: printed at its point of the spread; collected 1–8 h later (95 %, the 5 % failed
    # once first and collected a day later); received 2–30 h after that (92 % of the collected).
    # Printed in number order, as labels are: a waybill's id and number follow its print time.
    printed = "(%(start)s::timestamptz + ((g - %(first)s)::float8 * %(spread)s / %(parcels)s) * interval '1 second')"
    fate = "((hashint4((g + 7)::int) & 2147483647) %% 100)"
    collected = f"CASE WHEN {fate} < 95 THEN {printed} + (1 + {fate} %% 8) * interval '1 hour' END"
    failed = f"({fate} < 5)"
    collected = f"CASE WHEN {failed} THEN {printed} + interval '1 day' ELSE {collected} END"
    received = f"CASE WHEN {fate} < 88 THEN ({collected}) + (2 + {fate} %% 29) * interval '1 hour' END"
    cursor.execute(
        "CREATE TEMP TABLE bench_plan ON COMMIT DROP AS "
        f"SELECT g, o.id AS order_id, o.warehouse_id, {printed} AS printed, {collected} AS collected, "
        f"{received} AS received, {failed} AS failed, {fate} AS fate "
        "FROM generate_series(%(first)s, %(last)s) g JOIN shipping_order o ON o.order_no = 'B' || g",
        params,
    )
    cursor.execute("ANALYZE bench_plan")
    _clone(
        cursor,
        "shipping_waybill",
        template.pk,
        {
            "order_id": "p.order_id",
            "waybill_no": "'JT8' || lpad(p.g::text, 12, '0')",
            "warehouse_id": "p.warehouse_id",
            "sender_division_id": "w.division_id",
            "issued_at": "p.printed",
            "created_at": "p.printed",
            "updated_at": "coalesce(p.received, p.collected, p.printed)",
            "collect_by": "p.printed + interval '20 hours'",
            "collected_at": "p.collected",
            "inbound_by": "p.collected + interval '24 hours'",
            "received_at": "p.received",
            "status": "CASE WHEN p.received IS NOT NULL THEN 'received' "
            "WHEN p.collected IS NOT NULL THEN 'collected' ELSE 'issued' END",
            "tracking_status": "CASE WHEN p.received IS NOT NULL THEN 'received' "
            "WHEN p.collected IS NOT NULL THEN 'collected' WHEN p.failed THEN 'pickup_failed' ELSE 'label_created' END",
            "tracking_since": "coalesce(p.received, p.collected, p.printed)",
            "pickup_window_id": "NULL",
            "pickup_date": "NULL",
        },
        "bench_plan p JOIN pickup_warehouse w ON w.id = p.warehouse_id",
        params,
        # Ids in print order, as in production (the rollup takes parcels in id order).
        where="TRUE ORDER BY p.g",
    )
    events = [
        ("waybill.issued", "p.printed", "TRUE", "''", "'issued'", "'{}'::jsonb"),
        (
            "waybill.pickup_failed",
            "p.printed + interval '9 hours'",
            "p.failed",
            "''",
            "''",
            "jsonb_build_object('reason', (%(reasons)s::text[])[1 + p.g %% 6], 'task_id', NULL)",
        ),
        ("waybill.collected", "p.collected", "p.collected IS NOT NULL", "'issued'", "'collected'", "'{}'::jsonb"),
        ("waybill.received", "p.received", "p.received IS NOT NULL", "'collected'", "'received'", "'{}'::jsonb"),
    ]
    for kind, at, where, source, target, payload in events:
        cursor.execute(
            "INSERT INTO events_event (occurred_at, kind, subject_type, subject_id, from_state, to_state, payload, "
            "actor_label, owner_id, counterparty_id) "
            f"SELECT {at}, '{kind}', 'shipping.waybill', w.id::text, {source}, {target}, {payload}, '', "
            "w.merchant_id, %(carrier_org)s FROM bench_plan p JOIN shipping_waybill w ON w.order_id = p.order_id "
            f"WHERE {where} ORDER BY {at}",
            {**params, "carrier_org": template.carrier.organisation_id},
        )
    cursor.execute("DROP TABLE bench_plan")


def generate(args) -> dict:
    from django.db import connection, transaction

    from firstmile.accounts.models import OrganisationKind
    from firstmile.core import partitioning
    from firstmile.core.clock import now
    from firstmile.pickup.models import Warehouse
    from firstmile.shipping.services import order_create, shipment_arrange
    from tests import factories

    started = time.perf_counter()
    jt, _ws, merchant_org = seed(args.warehouses or max(args.waybills // 5000, 20))
    merchant = factories.actor(merchant_org, kind=OrganisationKind.MERCHANT)
    first = Warehouse.objects.order_by("pk").first()
    [template] = shipment_arrange(
        actor=merchant, order_ids=[order_create(actor=merchant, order_no="T0", warehouse_code=first.code).pk]
    )
    warehouses = list(Warehouse.objects.order_by("pk").values_list("pk", flat=True))
    moment = now()
    for months_back in range(args.days // 28 + 2):
        month = partitioning.month_of(moment - timedelta(days=28 * months_back))
        for table, column in partitioning.PARTITIONED_TABLES:
            partitioning.create_month(table, column, month)
    chunk = 1_000_000
    start = moment - timedelta(days=args.days)
    per_day = args.waybills / args.days
    for first_no in range(1, args.waybills + 1, chunk):
        count = min(chunk, args.waybills - first_no + 1)
        # Each chunk covers its share of the days, so rows arrive in time order as they would.
        offset = timedelta(days=(first_no - 1) / per_day)
        with transaction.atomic(), connection.cursor() as cursor:
            _parcels(
                cursor,
                template=template,
                first=first_no,
                count=count,
                start=start + offset,
                spread_seconds=int(count / per_day * 86400),
                warehouses=warehouses,
            )
        print(f"  {first_no + count - 1:,} parcels", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "generate_s": round(time.perf_counter() - started, 1),
        "template": template.pk,
        "jt": jt.pk,
        "merchant": merchant_org.pk,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waybills", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--warehouses", type=int, help="the merchant's warehouses (default: one per 5,000 parcels)")
    parser.add_argument("--big-day", type=int, default=1_000_000)
    parser.add_argument("--big-day-today", action="store_true", help="also roll up a big day of the last 24 hours")
    parser.add_argument("--hours", default="10000,50000,200000")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse")
    parser.add_argument(
        "--rebuild", action="store_true", help="with --reuse: empty the figures and time their rebuild again"
    )
    args = parser.parse_args()
    if args.reuse:
        os.environ["DATABASE_URL"] = (
            f"{os.environ.get('FIRSTMILE_BENCH_PG_URL', 'postgres://postgres@127.0.0.1:5432')}/{args.reuse}"
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
        import django

        django.setup()
        context = nullcontext(args.reuse)
    else:
        context = fresh_database("firstmile_bench_metrics", keep=args.keep)
    with context as name:
        results = run(args, reuse=bool(args.reuse))
        results["database"] = name
        print(json.dumps(results, indent=2, ensure_ascii=False))


def run(args, *, reuse: bool) -> dict:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client

    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import Role
    from firstmile.core.clock import beijing_today, now
    from firstmile.events.models import Event
    from firstmile.metrics.models import RollupState
    from firstmile.metrics.selectors import parse_filters, performance
    from firstmile.metrics.services import STATE, rollup_rebuild, rollup_run
    from firstmile.pickup.models import Warehouse
    from firstmile.shipping.models import Waybill
    from tests import factories

    settings.ALLOWED_HOSTS = ["*"]
    settings.FIRSTMILE_PUBLIC_TRACK_LIMIT = 10**9
    results: dict = {"waybills": args.waybills, "days": args.days}
    if not reuse or args.rebuild:
        if not reuse:
            results.update(generate(args))
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE metrics_contribution, metrics_dailyfigure, metrics_hourlyfigure, metrics_cityfigure"
                )
        started = time.perf_counter()
        today = beijing_today()
        rollup_rebuild(first_day=today - timedelta(days=args.days + 1), last_day=today, slack_days=0)
        newest = Event.objects.order_by("-id").values_list("id", flat=True).first()
        RollupState.objects.update_or_create(name=STATE, defaults={"settled_event_id": newest})
        results["rebuild_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    template = Waybill.objects.order_by("pk").first()
    jt = template.carrier
    # A name of its own: a reused database already has the first run's users.
    staff = factories.user(jt.organisation, Role.STAFF, username=f"bench-staff-{os.getpid()}-{time.time_ns()}")
    carrier_actor = Actor.for_user(staff)
    client = Client()
    client.force_login(carrier_actor.user)
    token = factories.token(jt.organisation)
    api = Client(headers={"authorization": f"Bearer {token}"})

    # The 90-day page and its API.
    filters = parse_filters({"days": "90"})
    samples = []
    for _ in range(args.runs):
        t = time.perf_counter()
        performance(actor=carrier_actor, filters=filters)
        samples.append(time.perf_counter() - t)
    results["performance_selector_90d"] = _ms(samples)
    for label, call in (
        ("performance_api_90d", lambda: api.get("/api/v1/metrics/performance?days=90")),
        ("performance_api_90d_weekly", lambda: api.get("/api/v1/metrics/performance?days=90&grain=week")),
        ("performance_page_90d", lambda: client.get("/carrier/performance/?days=90")),
    ):
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            response = call()
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200, response.content[:300]
        results[label] = _ms(samples)
    results["figures_90d_labels"] = api.get("/api/v1/metrics/performance?days=90").json()["totals"]["figures"]["labels"]

    # A parcel's tracking, and the public page.
    top = Waybill.objects.order_by("-pk").values_list("pk", flat=True).first()
    numbers = []
    while len(numbers) < args.runs:
        row = Waybill.objects.filter(pk__gte=random.randint(1, top)).order_by("pk").values("waybill_no").first()
        if row:
            numbers.append(row["waybill_no"])
    phone = "".join(c for c in template.sender_phone if c.isdigit())[-4:]
    samples, public = [], []
    for number in numbers:
        t = time.perf_counter()
        response = api.get(f"/api/v1/waybills/{number}/tracking")
        samples.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content[:300]
        anonymous = Client()
        t = time.perf_counter()
        response = anonymous.post("/track/", {"waybill_no": number, "phone_last4": phone})
        public.append(time.perf_counter() - t)
        assert response.status_code == 200 and number.encode() in response.content
    results["tracking_api"] = _ms(samples)
    results["public_track"] = _ms(public)

    # One big day, then hours of three sizes: printed, collected, received, rolled up.
    warehouses = list(Warehouse.objects.order_by("pk").values_list("pk", flat=True))
    serial = Waybill.objects.count() + 10
    RollupState.objects.filter(name=STATE).update(
        settled_event_id=Event.objects.order_by("-id").values_list("id", flat=True).first()
    )

    def timed_rollup(parcels: int, spread_seconds: int, days_ago: float = 3) -> dict:
        nonlocal serial
        with transaction.atomic(), connection.cursor() as cursor:
            _parcels(
                cursor,
                template=template,
                first=serial,
                count=parcels,
                start=now() - timedelta(days=days_ago),
                spread_seconds=spread_seconds,
                warehouses=warehouses,
            )
            serial += parcels
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        events = Event.objects.filter(id__gt=RollupState.objects.get(name=STATE).settled_event_id).count()
        cpu, t = time.process_time(), time.perf_counter()
        report = rollup_run(at=now() + timedelta(days=30))
        wall = time.perf_counter() - t
        return {
            "parcels": report.parcels,
            "events": events,
            "wall_s": round(wall, 2),
            "python_cpu_s": round(time.process_time() - cpu, 2),
            "us_per_event": round(wall / max(events, 1) * 1e6, 1),
        }

    hours = [int(n) for n in args.hours.split(",") if n]
    results["hourly_rollup"] = [timed_rollup(n, 3600) for n in hours]
    # A day gone by (three days ago: no hourly sums are kept for it) and, with --big-day-today,
    # the last 24 hours, whose hours are kept too.
    if args.big_day:  # --big-day 0: the reads alone, on a database kept from an earlier run
        results["big_day_rollup"] = timed_rollup(args.big_day, 86400)
    if args.big_day and args.big_day_today:
        results["big_day_today_rollup"] = timed_rollup(args.big_day, 86400, days_ago=1)
    return results


if __name__ == "__main__":
    main()
