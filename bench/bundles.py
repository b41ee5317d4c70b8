"""Bundles at their largest, on PostgreSQL (issue 29).

One merchant's warehouse with ``--parcels`` (10,000) printed PICK UP labels, cloned set-based
from one issued through the services. Then:

  - binds them into one bundle in calls of 50 through ``POST /api/v1/bundles/{id}/bind``, as an
    ERP would (target: 10,000 in 200 calls, <= 5 s in all), and closes it;
  - the driver's scan of the bundle number at the warehouse (``scan_pickup_bundle``: every parcel
    collected, with its scan, handover-list line, stop link and event), and a raw
    ``UPDATE … FROM`` of the same rows' statuses, alternated --runs times, each in a transaction
    rolled back, so both see the same rows (targets: <= 1 s, <= 3x the raw update);
  - the same for the sorting centre's inbound scan of the collected bundle (``scan_inbound_bundle``).

    PYTHONPATH=. .venv/bin/python bench/bundles.py [--parcels 10000] [--runs 5] [--keep] [--profile]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _pg import fresh_database
from growth import _clone


class _Rollback(Exception):
    pass


def _timed_and_rolled_back(step) -> float:
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            step()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _statement_times(step) -> list[tuple[float, str]]:
    """Each statement of ``step`` with its milliseconds, slowest first (run and rolled back)."""
    from django.db import connection

    times: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            times.append((round((time.perf_counter() - started) * 1000, 1), " ".join(sql.split())[:160]))

    with connection.execute_wrapper(timer):
        _timed_and_rolled_back(step)
    return sorted(times, reverse=True)[:8]


def run(args) -> dict:
    import logging

    import time_machine
    from django.db import connection, transaction
    from django.test import Client

    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import OrganisationKind, Role
    from firstmile.bundles.models import Bundle, BundleParcel
    from firstmile.bundles.services import bundle_close, bundle_create
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.dispatch.models import PickupTask
    from firstmile.dispatch.services import (
        day_plan,
        driver_create,
        roster_set,
        route_create,
        scan_inbound_bundle,
        scan_pickup_bundle,
    )
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create
    from firstmile.shipping.services import order_create, shipment_arrange
    from tests import factories
    from tests.shipping.conftest import HONGMEI

    logging.getLogger("firstmile.request").setLevel(logging.WARNING)
    results: dict = {"parcels": args.parcels}
    monday = beijing(2026, 11, 30, 9, 0)
    with time_machine.travel(monday, tick=True):
        jt = factories.carrier("JT", with_centre_in="440111107")
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
        merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        boss = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
        warehouse = warehouse_create(actor=merchant, **HONGMEI).warehouse
        subscription_approve(actor=boss, subscription_ids=[PickupSubscription.objects.get(warehouse=warehouse).pk])
        [template] = shipment_arrange(actor=merchant, order_ids=[order_create(actor=merchant, order_no="T0").pk])
        params = {"first": 1, "last": args.parcels - 1}
        with transaction.atomic(), connection.cursor() as cursor:
            _clone(
                cursor,
                "shipping_order",
                template.order_id,
                {"order_no": "'B' || g"},
                "generate_series(%(first)s, %(last)s) g",
                params,
            )
            _clone(
                cursor,
                "shipping_waybill",
                template.pk,
                {
                    "order_id": "o.id",
                    "waybill_no": "'JT9' || lpad(g::text, 10, '0')",
                },
                "generate_series(%(first)s, %(last)s) g JOIN shipping_order o ON o.order_no = 'B' || g",
                params,
            )
            cursor.execute("ANALYZE")
        numbers = [template.waybill_no] + [f"JT9{g:010d}" for g in range(1, args.parcels)]
        route = route_create(actor=boss, name="东莞", division_codes=["441900"])
        driver = driver_create(actor=boss, name="李师傅", phone="13900000001", username="li", password="drive-safe-1")
        roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=50)
        day_plan(actor=boss)
        task = PickupTask.objects.get()
        results["stop_parcels"] = task.parcels.count()

        # Binding, as an ERP calls it.
        erp = Client(headers={"authorization": f"Bearer {factories.token(merchant.organisation)}"})
        bundle, _ = bundle_create(actor=merchant, warehouse_id=warehouse.pk, handover_method="PICKUP")
        started = time.perf_counter()
        for start in range(0, len(numbers), 50):
            response = erp.post(
                f"/api/v1/bundles/{bundle.pk}/bind",
                {"waybill_nos": numbers[start : start + 50]},
                content_type="application/json",
            )
            assert response.status_code == 200 and response.json()["failed"] == 0, response.content[:300]
        results["bind_calls"] = (len(numbers) + 49) // 50
        results["bind_total_s"] = round(time.perf_counter() - started, 2)
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="800")
        bundle.refresh_from_db()
        assert bundle.parcel_count == args.parcels

        raw_pickup = (
            "UPDATE shipping_waybill w SET status = 'collected', collected_at = now(), "
            "inbound_by = now() + interval '24 hours', tracking_status = 'collected', tracking_since = now(), "
            "updated_at = now() FROM bundles_bundleparcel bp "
            "WHERE bp.bundle_id = %s AND bp.removed_at IS NULL AND w.id = bp.waybill_id AND w.status = 'issued'"
        )
        raw_inbound = raw_pickup.replace("'collected'", "'received'").replace("collected_at", "received_at")
        raw_inbound = raw_inbound.replace(", inbound_by = now() + interval '24 hours'", "").replace(
            "w.status = 'issued'", "w.status = 'collected'"
        )

        def raw(sql):
            def step():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [bundle.pk])
                    assert cursor.rowcount == args.parcels

            return step

        driver_actor = Actor.for_user(driver.user)
        staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
        centre = jt.sorting_centres.get().code

        def compare(name, baseline_sql, step):
            base, real = [], []
            for _ in range(args.runs):
                base.append(_timed_and_rolled_back(raw(baseline_sql)))
                real.append(_timed_and_rolled_back(step))
            results[f"{name}_raw_update_ms"] = round(statistics.median(base) * 1000, 1)
            results[f"{name}_scan_ms"] = round(statistics.median(real) * 1000, 1)
            results[f"{name}_scan_max_ms"] = round(max(real) * 1000, 1)
            results[f"{name}_ratio"] = round(statistics.median(real) / statistics.median(base), 2)
            if args.profile:
                results[f"{name}_statements"] = _statement_times(step)

        def pickup():
            done = scan_pickup_bundle(actor=driver_actor, bundle_no=bundle.number, task_id=task.pk)
            assert done.parcels == args.parcels

        compare("pickup", raw_pickup, pickup)
        # For the inbound scan the bundle is collected for good.
        scan_pickup_bundle(actor=driver_actor, bundle_no=bundle.number, task_id=task.pk)

        def inbound():
            done = scan_inbound_bundle(actor=staff, sorting_centre_code=centre, bundle_no=bundle.number)
            assert done.parcels == args.parcels

        compare("inbound", raw_inbound, inbound)
        results["bundle_status"] = Bundle.objects.get(pk=bundle.pk).status
        results["live_lines"] = BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).count()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also list each scan's slowest statements")
    args = parser.parse_args()
    with fresh_database("firstmile_bench_bundles", keep=args.keep) as name:
        results = run(args)
        results["database"] = name
        print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
