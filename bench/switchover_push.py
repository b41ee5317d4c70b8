"""Switchover address push of 100,000 warehouses, on PostgreSQL.

Seeds 100,000 warehouses in Dongguan with active J&T subscriptions, schedules a
J&T → Wanse batch, then measures in the same run:
  - baseline: a raw `INSERT … SELECT` of the same 100,000 requests, committed, then removed;
  - batch_push: the real push (the requests, the failures report, one event per
    request), chunk by chunk, each chunk committed;
  - bulk approval of all 100,000 by Wanse (10 actions of 10,000);
  - while the push runs, another process issues waybills for a warehouse of the
    batch just before the cutover (must be J&T's), and after the cutover (Wanse's).
Targets: push <= 3x the raw INSERT … SELECT and <= 5 s.

    PYTHONPATH=. .venv/bin/python bench/switchover_push.py [--warehouses 100000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from datetime import timedelta

from _pg import fresh_database


def seed(n: int):
    from django.db import connection

    from firstmile.accounts.models import OrganisationKind
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing, now
    from tests import factories

    jt = factories.carrier("JT", with_centre_in="440111107")
    ws = factories.carrier("WS", with_centre_in="441900125")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    moment = now()
    with connection.cursor() as cursor:
        towns = ["441900101", "441900119", "441900121", "441900125", "441900126"]
        cursor.execute(
            """INSERT INTO pickup_warehouse (created_at, updated_at, merchant_id, name, code, contact_name, phone,
                   division_id, address_detail, is_default, address_version)
               SELECT %s, %s, %s, '仓' || g, 'W' || g, '王', '+8613800138000', (%s::text[])[1 + g %% 5],
                   '工业路' || g || '号', false, 1 FROM generate_series(1, %s) g""",
            [moment, moment, merchant.pk, towns, n],
        )
        cursor.execute(
            """INSERT INTO pickup_pickupsubscription (created_at, updated_at, warehouse_id, carrier_id, status,
                   address_version, division_id, address_detail, contact_name, phone, requested_at, review_due_at,
                   decided_at, reject_reason, reject_note, origin)
               SELECT %s, %s, w.id, %s, 'active', 1, w.division_id, w.address_detail, w.contact_name, w.phone,
                   %s, %s, %s, '', '', '' FROM pickup_warehouse w""",
            [moment, moment, jt.pk, moment, moment + timedelta(hours=24), moment],
        )
        cursor.execute("VACUUM ANALYZE")
    return jt, ws, merchant


def _issuer(merchant_user_id: int, warehouse_code: str, cutover_iso: str, stop_iso: str, queue) -> None:
    from datetime import datetime

    from django.db import connection

    from firstmile.accounts.actor import Actor
    from firstmile.accounts.models import User
    from firstmile.core.clock import now
    from firstmile.shipping.services import order_create, shipment_arrange

    actor = Actor.for_user(User.objects.select_related("organisation").get(pk=merchant_user_id))
    cutover, stop = datetime.fromisoformat(cutover_iso), datetime.fromisoformat(stop_iso)
    wrong = issued = 0
    while now() < stop:
        moment = now()
        order = order_create(actor=actor, order_no=f"B{time.perf_counter_ns()}", warehouse_code=warehouse_code)
        [waybill] = shipment_arrange(actor=actor, order_ids=[order.pk])
        expected = "JT" if waybill.issued_at < cutover else "WS"
        wrong += waybill.waybill_no[:2] != expected or not (moment <= waybill.issued_at)
        issued += 1
        time.sleep(0.02)
    connection.close()
    queue.put((issued, wrong))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouses", type=int, default=100_000)
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="Wanse's system and the merchant's ERP subscribe to subscription.requested (100k deliveries written)",
    )
    args = parser.parse_args()
    with fresh_database("firstmile_bench_push"):
        from django.db import connection, connections, transaction

        from firstmile.accounts.models import OrganisationKind, Role, User
        from firstmile.core.clock import now
        from firstmile.pickup.models import PickupSubscription
        from firstmile.pickup.services import subscription_approve
        from firstmile.switchover.services import batch_push, batch_schedule, switchover_create
        from tests import factories

        _jt, ws, merchant = seed(args.warehouses)
        ops = factories.actor(kind=OrganisationKind.PLATFORM)
        merchant_user = factories.user(merchant, Role.ADMIN)
        switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
        cutover = now() + timedelta(seconds=20)
        batch = batch_schedule(
            actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=cutover, division_codes=["441900"]
        )
        if args.webhooks:
            from firstmile.events.services import endpoint_create

            for party in (ws.organisation, merchant):
                endpoint_create(
                    actor=factories.actor(party, kind=party.kind, role=Role.ADMIN),
                    url="https://hooks.example.com/firstmile",
                    event_types=["subscription.requested"],
                )

        # Baseline: the same rows in one raw statement, committed (as the push commits), then removed.
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO pickup_pickupsubscription (created_at, updated_at, warehouse_id, carrier_id, status,
                       address_version, division_id, address_detail, contact_name, phone, requested_at, review_due_at,
                       reject_reason, reject_note, effective_from, origin)
                   SELECT now(), now(), w.id, %s, 'pending_review', w.address_version, w.division_id,
                       w.address_detail, w.contact_name, w.phone, now(), now(), '', '', %s, 'baseline'
                   FROM pickup_warehouse w WHERE w.division_id LIKE '4419%%'""",
                [ws.pk, cutover],
            )
            baseline_rows = cursor.rowcount
        raw = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM pickup_pickupsubscription WHERE origin = 'baseline'")
            cursor.execute("VACUUM ANALYZE pickup_pickupsubscription")

        connections.close_all()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        issuer = context.Process(
            target=_issuer,
            args=(merchant_user.pk, "W1", cutover.isoformat(), (cutover + timedelta(seconds=5)).isoformat(), queue),
        )
        issuer.start()
        start = time.perf_counter()
        report = batch_push(actor=ops, batch_id=batch.pk)
        push = time.perf_counter() - start

        ws_staff = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER)
        ids = list(PickupSubscription.objects.filter(carrier=ws).order_by("pk").values_list("pk", flat=True))
        start = time.perf_counter()
        for i in range(0, len(ids), 10_000):
            subscription_approve(actor=ws_staff, subscription_ids=ids[i : i + 10_000])
        approve = time.perf_counter() - start
        issued, wrong = queue.get()
        issuer.join()
        assert report.pushed == args.warehouses == baseline_rows, (report, baseline_rows)
        assert User.objects.exists()
        print(f"switchover address push of {args.warehouses} warehouses on PostgreSQL")
        if args.webhooks:
            from firstmile.events.models import WebhookDelivery

            print(f"  with 2 webhook endpoints: {WebhookDelivery.objects.count()} deliveries written by the push")
        print(f"  raw INSERT … SELECT (baseline, committed)    {raw * 1000:8.0f} ms")
        print(f"  batch_push                                   {push * 1000:8.0f} ms   ratio {push / raw:.2f}x")
        print(f"  bulk approval by the new carrier (10 × 10k)  {approve * 1000:8.0f} ms")
        print(f"  waybills issued around the cutover during the push: {issued}, misrouted: {wrong}")
        print("  targets: push <= 3x raw and <= 5 s; 0 misrouted")


if __name__ == "__main__":
    main()
