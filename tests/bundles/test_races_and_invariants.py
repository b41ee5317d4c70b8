"""Bundles under concurrency and under any sequence of operations: a parcel is never in two bundles, a bundle's
count is always its parcels, and a scanned bundle's parcels all moved with it."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.bundles.models import Bundle, BundleParcel, BundleStatus
from firstmile.bundles.services import bundle_bind, bundle_cancel, bundle_close, bundle_create, bundle_unbind
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.services import scan_inbound_bundle
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.shipping.models import Waybill, WaybillStatus
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from ..shipping.conftest import HONGMEI


def _world(parcels: int):
    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    warehouse = warehouse_create(actor=merchant, **HONGMEI).warehouse
    subscription_approve(actor=staff, subscription_ids=[PickupSubscription.objects.get(warehouse=warehouse).pk])
    orders = [order_create(actor=merchant, order_no=f"R{i}").pk for i in range(parcels)]
    waybills = shipment_arrange(actor=merchant, order_ids=orders)
    return jt, merchant, staff, warehouse, waybills


@pytest.mark.django_db(transaction=True)
def test_two_sessions_binding_one_parcel_into_two_bundles_exactly_one_wins(divisions):
    _jt, merchant, _staff, warehouse, [waybill] = _world(1)
    alice = factories.actor(merchant.organisation, kind=OrganisationKind.MERCHANT, role=Role.STAFF)
    bob = factories.actor(merchant.organisation, kind=OrganisationKind.MERCHANT, role=Role.STAFF)
    first, _ = bundle_create(actor=alice, warehouse_id=warehouse.pk, handover_method="PICKUP")
    second, _ = bundle_create(actor=bob, warehouse_id=warehouse.pk, handover_method="PICKUP")
    start = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def bind(name, actor, bundle):
        try:
            start.wait()
            _bundle, [result] = bundle_bind(actor=actor, bundle_id=bundle.pk, waybill_nos=[waybill.waybill_no])
            outcome[name] = "won" if result.ok else result.error["code"]
        except Exception as err:
            outcome[name] = repr(err)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=bind, args=("alice", alice, first)),
        threading.Thread(target=bind, args=("bob", bob, second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcome.values()) == ["waybill_already_bundled", "won"], outcome
    assert BundleParcel.objects.filter(waybill=waybill, removed_at__isnull=True).count() == 1
    assert sorted(Bundle.objects.values_list("parcel_count", flat=True)) == [0, 1]


class BundleMachine(RuleBasedStateMachine):
    """Any sequence of bind, unbind, close, cancel and inbound scans by the merchant and the sorting centre."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.jt, self.merchant, self.staff, self.warehouse, waybills = _world(6)
        self.numbers = [w.waybill_no for w in waybills]
        self.centre = self.jt.sorting_centres.get().code
        self.bundles = [
            bundle_create(actor=self.merchant, warehouse_id=self.warehouse.pk, handover_method="PICKUP")[0].pk
            for _ in range(3)
        ]

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _bundle(self, index) -> Bundle:
        return Bundle.objects.get(pk=self.bundles[index])

    @rule(index=st.integers(0, 2), picks=st.lists(st.integers(0, 5), min_size=1, max_size=4))
    def bind(self, index, picks):
        before = self._bundle(index)
        try:
            _bundle, results = bundle_bind(
                actor=self.merchant, bundle_id=before.pk, waybill_nos=[self.numbers[i] for i in picks]
            )
        except ApplicationError as err:
            assert before.status != BundleStatus.OPEN and err.code == "bundle_not_open"
            return
        for result in results:
            if result.ok:
                line = BundleParcel.objects.get(waybill__waybill_no=result.waybill_no, removed_at__isnull=True)
                assert line.bundle_id == before.pk

    @rule(index=st.integers(0, 2), picks=st.lists(st.integers(0, 5), min_size=1, max_size=3))
    def unbind(self, index, picks):
        try:
            bundle_unbind(
                actor=self.merchant, bundle_id=self.bundles[index], waybill_nos=[self.numbers[i] for i in picks]
            )
        except ApplicationError as err:
            assert err.code == "bundle_not_open"

    @rule(index=st.integers(0, 2))
    def close(self, index):
        before = self._bundle(index)
        try:
            bundle_close(actor=self.merchant, bundle_id=before.pk, weight_kg="1.5")
            assert before.status == BundleStatus.OPEN and before.parcel_count > 0
        except ApplicationError as err:
            assert err.code in ("bundle_empty", "bundle_wrong_state")

    @rule(index=st.integers(0, 2))
    def cancel(self, index):
        before = self._bundle(index)
        try:
            bundle_cancel(actor=self.merchant, bundle_id=before.pk)
            assert before.status in (BundleStatus.OPEN, BundleStatus.CLOSED)
        except ApplicationError as err:
            assert err.code == "bundle_wrong_state"

    @rule(index=st.integers(0, 2))
    def scan_in(self, index):
        before = self._bundle(index)
        try:
            done = scan_inbound_bundle(actor=self.staff, sorting_centre_code=self.centre, bundle_no=before.number)
            assert before.status == BundleStatus.CLOSED and done.parcels == before.parcel_count
        except ApplicationError as err:
            assert before.status != BundleStatus.CLOSED and err.code == "bundle_not_ready"

    @rule(index=st.integers(0, 5))
    def reopen_with_a_new_bundle(self, index):
        # A fresh bundle now and then, so cancelled and received ones do not end the run.
        if index == 0 and len(self.bundles) < 6:
            bundle, _ = bundle_create(actor=self.merchant, warehouse_id=self.warehouse.pk, handover_method="PICKUP")
            self.bundles[self.bundles.index(min(self.bundles))] = bundle.pk

    @invariant()
    def a_parcel_is_in_at_most_one_bundle(self):
        twice = (
            BundleParcel.objects.filter(removed_at__isnull=True)
            .values("waybill")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not twice.exists()

    @invariant()
    def a_bundles_count_is_its_parcels(self):
        for bundle in Bundle.objects.all():
            live = BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).count()
            assert bundle.parcel_count == live

    @invariant()
    def a_scanned_bundles_parcels_all_moved_with_it(self):
        expected = {
            BundleStatus.OPEN: {WaybillStatus.ISSUED},
            BundleStatus.CLOSED: {WaybillStatus.ISSUED},
            BundleStatus.COLLECTED: {WaybillStatus.COLLECTED},
            BundleStatus.RECEIVED: {WaybillStatus.RECEIVED},
            BundleStatus.CANCELLED: set(),
        }
        for bundle in Bundle.objects.all():
            statuses = set(
                Waybill.objects.filter(
                    pk__in=BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).values("waybill_id")
                ).values_list("status", flat=True)
            )
            assert statuses <= expected[bundle.status]
            if bundle.status in (BundleStatus.CLOSED, BundleStatus.RECEIVED):
                assert bundle.parcel_count > 0


@pytest.mark.django_db
def test_bundle_state_machine():
    BundleMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=15, deadline=None)
    BundleMachine.TestCase().runTest()
