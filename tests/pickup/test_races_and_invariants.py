import threading
from itertools import pairwise

import pytest
from django.db import connection, transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError, Conflict
from firstmile.events.models import Event
from firstmile.pickup.models import OPEN_OR_ACTIVE, PickupSubscription, RejectReason, SubscriptionStatus
from firstmile.pickup.services import (
    subscription_approve,
    subscription_cancel,
    subscription_reject,
    warehouse_create,
    warehouse_update,
)

from .. import factories
from .conftest import ADDRESS


@pytest.mark.django_db(transaction=True)
def test_approve_and_reject_racing_on_one_request_one_wins_one_conflicts(divisions):
    jt = factories.carrier("JT")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    warehouse_create(actor=merchant, **ADDRESS)
    sub = PickupSubscription.objects.get()
    alice = factories.actor(jt.organisation, role=Role.STAFF)
    bob = factories.actor(jt.organisation, role=Role.STAFF)
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def decide(name, action):
        try:
            start.wait()
            action()
            outcome[name] = "won"
        except Conflict:
            outcome[name] = "conflict"
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=decide, args=("approve", lambda: subscription_approve(actor=alice, subscription_ids=[sub.pk]))
        ),
        threading.Thread(
            target=decide,
            args=(
                "reject",
                lambda: subscription_reject(
                    actor=bob, subscription_ids=[sub.pk], reason=RejectReason.ADDRESS_UNREACHABLE
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcome.values()) == ["conflict", "won"]
    sub.refresh_from_db()
    winner = next(name for name, result in outcome.items() if result == "won")
    assert sub.status == {"approve": SubscriptionStatus.ACTIVE, "reject": SubscriptionStatus.REJECTED}[winner]
    decided = Event.objects.filter(kind__in=["subscription.approved", "subscription.rejected"])
    assert decided.count() == 1


class SubscriptionMachine(RuleBasedStateMachine):
    """Any interleaving of saves, approvals, rejections and cancellations keeps
    at most one open-or-active subscription per warehouse, and every write an event."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.carrier = factories.carrier("JT")
        coverage_assign(actor=None, division_code="441900", carrier=self.carrier, valid_from=beijing(2023, 1, 1))
        self.merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        self.staff = factories.actor(self.carrier.organisation, role=Role.STAFF)
        self.warehouses = [
            warehouse_create(actor=self.merchant, **{**ADDRESS, "code": f"W{i}"}).warehouse for i in range(2)
        ]
        self.saves = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _latest(self, index):
        return PickupSubscription.objects.filter(warehouse=self.warehouses[index]).order_by("-pk").first()

    @rule(
        index=st.integers(0, 1),
        detail=st.sampled_from(["工业路3号", "工业路3号,", "工业路5号"]),
        town=st.sampled_from(["441900125", "441900119", "440605011"]),
    )
    def save(self, index, detail, town):
        fields = {**ADDRESS, "code": f"W{index}", "address_detail": detail, "division_code": town}
        self.saves += 1
        warehouse_update(actor=self.merchant, warehouse_id=self.warehouses[index].pk, **fields)

    @rule(index=st.integers(0, 1))
    def approve(self, index):
        sub = self._latest(index)
        if sub is None:
            return
        try:
            subscription_approve(actor=self.staff, subscription_ids=[sub.pk])
            assert sub.status == SubscriptionStatus.PENDING_REVIEW
        except Conflict:
            assert sub.status != SubscriptionStatus.PENDING_REVIEW

    @rule(index=st.integers(0, 1))
    def reject(self, index):
        sub = self._latest(index)
        if sub is None:
            return
        try:
            subscription_reject(actor=self.staff, subscription_ids=[sub.pk], reason=RejectReason.MERCHANT_DECLINED)
        except Conflict:
            assert sub.status != SubscriptionStatus.PENDING_REVIEW

    @rule(index=st.integers(0, 1))
    def cancel(self, index):
        try:
            subscription_cancel(actor=self.merchant, warehouse_id=self.warehouses[index].pk)
        except ApplicationError as err:
            assert err.code == "no_pickup_to_cancel"

    @invariant()
    def at_most_one_open_or_active_per_warehouse(self):
        for warehouse in self.warehouses:
            assert PickupSubscription.objects.filter(warehouse=warehouse, status__in=OPEN_OR_ACTIVE).count() <= 1

    @invariant()
    def the_open_or_active_one_is_for_the_current_address(self):
        for warehouse in self.warehouses:
            warehouse.refresh_from_db()
            for sub in PickupSubscription.objects.filter(warehouse=warehouse, status__in=OPEN_OR_ACTIVE):
                assert sub.address_version == warehouse.address_version
                assert sub.address_detail == warehouse.address_detail

    @invariant()
    def each_subscriptions_events_retrace_its_history(self):
        for sub in PickupSubscription.objects.all():
            chain = list(
                Event.objects.filter(subject_type="pickup.pickupsubscription", subject_id=str(sub.pk))
                .order_by("id")
                .values_list("from_state", "to_state")
            )
            assert chain[0] == ("", SubscriptionStatus.PENDING_REVIEW)
            for (_before, after), (following_from, _to) in pairwise(chain):
                assert following_from == after
            assert chain[-1][1] == sub.status


@pytest.mark.django_db
def test_subscription_state_machine():
    SubscriptionMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=12, deadline=None)
    SubscriptionMachine.TestCase().runTest()
