"""Bulk approval of 10,000 pending pickup requests in one action, on PostgreSQL.

Compares subscription_approve (lock, check, UPDATE, one event per request via
INSERT … SELECT) with a raw `UPDATE … WHERE id = ANY(…)` of the same number of
rows, measured in the same run on the same table. Target: within 3× the raw
statement.

    .venv/bin/python bench/subscription_bulk_approve.py [--requests 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _pg import fresh_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with fresh_database("firstmile_bench_approve"):
        run(args.requests, args.rounds)


def seed(n_total: int):
    from datetime import timedelta

    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import OrganisationKind, Role
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing, now
    from firstmile.pickup.models import PickupSubscription, Warehouse
    from tests import factories

    carrier = factories.carrier("JT")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    staff = Actor.for_user(factories.user(carrier.organisation, Role.STAFF))
    warehouses = Warehouse.objects.bulk_create(
        [
            Warehouse(
                merchant=merchant,
                name=f"仓{i}",
                code=f"W{i}",
                contact_name="王",
                phone="+8613800138000",
                division_id="441900125",
                address_detail=f"工业路{i}号",
            )
            for i in range(n_total)
        ],
        batch_size=5000,
    )
    moment = now()
    PickupSubscription.objects.bulk_create(
        [
            PickupSubscription(
                warehouse=w,
                carrier=carrier,
                address_version=1,
                division_id=w.division_id,
                address_detail=w.address_detail,
                contact_name=w.contact_name,
                phone=w.phone,
                requested_at=moment,
                review_due_at=moment + timedelta(hours=24),
            )
            for w in warehouses
        ],
        batch_size=5000,
    )
    ids = list(PickupSubscription.objects.order_by("pk").values_list("pk", flat=True))
    return staff, ids


def run(n: int, rounds: int) -> None:
    from django.db import connection, transaction

    from firstmile.events.models import Event
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve

    staff, ids = seed(2 * n * rounds)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    service_times, raw_times = [], []
    for r in range(rounds):
        ours = ids[2 * n * r : 2 * n * r + n]
        theirs = ids[2 * n * r + n : 2 * n * (r + 1)]

        def service(batch=ours):
            assert subscription_approve(actor=staff, subscription_ids=batch) == len(batch)

        def raw(batch=theirs):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE pickup_pickupsubscription SET status = 'active', decided_at = now(), updated_at = now()"
                    " WHERE id = ANY(%s) AND status = 'pending_review'",
                    [batch],
                )
                assert cursor.rowcount == len(batch)

        # Alternate the order so neither side always runs on a warmer cache.
        for name, fn in (("service", service), ("raw", raw)) if r % 2 == 0 else (("raw", raw), ("service", service)):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            (service_times if name == "service" else raw_times).append(elapsed)
    approved_events = Event.objects.filter(kind="subscription.approved").count()
    assert approved_events == n * rounds, approved_events
    assert PickupSubscription.objects.filter(status="active").count() == 2 * n * rounds
    service_ms = statistics.median(service_times) * 1000
    raw_ms = statistics.median(raw_times) * 1000
    version = connection.pg_version // 10000
    print(f"bulk approval of {n} pending pickup requests on PostgreSQL {version}, {rounds} rounds")
    print(f"  subscription_approve  median {service_ms:8.1f} ms   runs: {_runs(service_times)}")
    print(f"  raw UPDATE            median {raw_ms:8.1f} ms   runs: {_runs(raw_times)}")
    print(f"  ratio service/raw     {service_ms / raw_ms:.2f}x   (target <= 3x; events written: {approved_events})")


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t * 1000:.1f}" for t in times)


if __name__ == "__main__":
    main()
