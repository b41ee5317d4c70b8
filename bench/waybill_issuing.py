"""Waybill issuing under concurrency: 8 worker processes on PostgreSQL.

Three figures from the same run, each with 8 workers issuing at once:
  - floor: raw `SELECT nextval(...)` calls, one number per round trip;
  - numbers: allocate_numbers() in batches, as arrange-shipment uses it;
  - waybills: shipment_arrange() end to end (lock the orders, coverage and
    subscription lookups, numbers, waybill rows, order updates, events) for
    batches of orders, each worker its own merchant.
Duplicates are counted over every number issued. Target: >= 5,000 numbers/s
in total and 0 duplicates.

    PYTHONPATH=. .venv/bin/python bench/waybill_issuing.py [--workers 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

from _pg import fresh_database


def _worker_floor(seconds: float, queue) -> None:
    from django.db import connection

    numbers, deadline = [], time.perf_counter() + seconds
    with connection.cursor() as cursor:
        while time.perf_counter() < deadline:
            cursor.execute("SELECT nextval('shipping_waybill_serial')")
            numbers.append(cursor.fetchone()[0])
    connection.close()
    queue.put(numbers)


def _worker_numbers(seconds: float, batch: int, queue) -> None:
    from django.db import connection, transaction

    from firstmile.shipping.numbers import allocate_numbers

    numbers, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with transaction.atomic():
            numbers.extend(allocate_numbers("WS", batch))
    connection.close()
    queue.put(numbers)


def _worker_arrange(merchant_user_id: int, order_ids: list[int], batch: int, queue) -> None:
    from django.db import connection

    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import User
    from firstmile.shipping.services import shipment_arrange

    actor = Actor.for_user(User.objects.select_related("organisation").get(pk=merchant_user_id))
    numbers, start = [], time.perf_counter()
    for i in range(0, len(order_ids), batch):
        numbers.extend(w.waybill_no for w in shipment_arrange(actor=actor, order_ids=order_ids[i : i + batch]))
    elapsed = time.perf_counter() - start
    connection.close()
    queue.put((numbers, elapsed))


def _run(target, args_per_worker) -> list:
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=target, args=(*args, queue)) for args in args_per_worker]
    for p in processes:
        p.start()
    results = [queue.get() for _ in processes]
    for p in processes:
        p.join()
    return results


def seed(workers: int, orders_each: int, history: int = 0):
    from firstmile.accounts.models import OrganisationKind
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create
    from firstmile.shipping.models import Order
    from firstmile.shipping.services import ship_by_for, shipment_arrange
    from tests import factories

    carrier = factories.carrier("WS")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    staff = factories.actor(carrier.organisation, kind=OrganisationKind.CARRIER)
    plan = []
    for w in range(workers):
        merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        warehouse = warehouse_create(
            actor=merchant,
            name=f"仓{w}",
            code=f"W{w}",
            contact_name="王",
            phone="13800138000",
            division_code="441900125",
            address_detail=f"工业路{w}号",
        ).warehouse
        subscription_approve(actor=staff, subscription_ids=[PickupSubscription.objects.get(warehouse=warehouse).pk])
        ship_by, base, extra, _ext = ship_by_for(warehouse.division_id, beijing(2023, 9, 1))
        orders = Order.objects.bulk_create(
            [
                Order(
                    merchant=merchant.organisation,
                    order_no=f"O{w}-{i}",
                    warehouse=warehouse,
                    handling_hours=base,
                    extension_hours=extra,
                    ship_by=ship_by,
                )
                for i in range(orders_each + history)
            ],
            batch_size=2000,
        )
        if history:
            shipment_arrange(actor=merchant, order_ids=[o.pk for o in orders[:history]])
        plan.append((merchant.user.pk, [o.pk for o in orders[history:]]))
    # Statistics, as autovacuum keeps them on a live database. Taken on empty tables
    # (or none at all) they mislead the planner for the whole run, which is too short
    # for autovacuum to come by: the orders lock went through the merchant's index
    # and filtered all its orders, and the waybills' events scanned every waybill of
    # the carrier. Hence a little history first: some waybills already issued.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=50, help="orders per arrange-shipment call")
    parser.add_argument("--orders", type=int, default=2500, help="orders per worker for the end-to-end run")
    parser.add_argument(
        "--history", type=int, default=200, help="orders per worker shipped before statistics are taken (not timed)"
    )
    args = parser.parse_args()
    with fresh_database("firstmile_bench_waybills"):
        plan = seed(args.workers, args.orders, args.history)
        every: list = []

        floor = _run(_worker_floor, [(args.seconds,)] * args.workers)
        floor_rate = sum(len(n) for n in floor) / args.seconds
        every += [n for ns in floor for n in ns]

        numbers = _run(_worker_numbers, [(args.seconds, args.batch)] * args.workers)
        numbers_rate = sum(len(n) for n in numbers) / args.seconds
        every += [n for ns in numbers for n in ns]

        arranged = _run(_worker_arrange, [(user, ids, args.batch) for user, ids in plan])
        issued = [n for ns, _t in arranged for n in ns]
        wall = max(t for _ns, t in arranged)
        arrange_rate = len(issued) / wall

        from firstmile.shipping.models import Waybill

        serials = every + [int(n[2:-1]) for n in issued]
        duplicates = len(serials) - len(set(serials))
        assert Waybill.objects.count() - args.workers * args.history == len(issued) == args.workers * args.orders
        print(f"waybill issuing on PostgreSQL, {args.workers} concurrent workers")
        print(f"  floor: SELECT nextval, one per round trip      {floor_rate:9.0f} numbers/s")
        print(f"  allocate_numbers, batches of {args.batch:<4}              {numbers_rate:9.0f} numbers/s")
        print(
            f"  shipment_arrange end to end, batches of {args.batch:<4}   {arrange_rate:9.0f} waybills/s"
            f"   ({len(issued)} waybills in {wall:.1f} s)"
        )
        print(f"  duplicates among {len(serials)} numbers: {duplicates}   (target: >= 5000/s, 0 duplicates)")


if __name__ == "__main__":
    main()
