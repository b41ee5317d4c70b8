"""A warehouse read brings its subscriptions in its own row on PostgreSQL: the same state, one query fewer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from firstmile.core.clock import now
from firstmile.pickup.models import PickupSubscription, Warehouse
from firstmile.pickup.selectors import pickup_state, pickup_states, warehouse_get
from firstmile.pickup.services import subscription_approve, subscription_reject, warehouse_create, warehouse_update

from .conftest import ADDRESS

pytestmark = pytest.mark.django_db


def _facts(state):
    sub = state.subscription
    return (
        state.kind,
        state.supports_pickup,
        state.handover_method,
        state.label,
        sub and (sub.pk, sub.status, sub.carrier.code, sub.carrier.hotline, sub.requested_at, sub.review_due_at),
        sub and (sub.decided_at, sub.reject_reason, sub.effective_from, sub.ended_at, sub.address_version),
    )


def test_the_warehouse_read_and_the_separate_query_agree(merchant, covered, jt_staff):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    first = PickupSubscription.objects.get(warehouse=warehouse)
    subscription_reject(actor=jt_staff, subscription_ids=[first.pk], reason="other", note="打错了")
    warehouse_update(actor=merchant, warehouse_id=warehouse.pk, **{**ADDRESS, "address_detail": "洪屋涡村工业路5号"})
    second = PickupSubscription.objects.filter(warehouse=warehouse).latest("pk")
    subscription_approve(actor=jt_staff, subscription_ids=[second.pk])
    at = now()

    with CaptureQueriesContext(connection) as queries:
        carried = pickup_state(warehouse_get(actor=merchant, warehouse_id=warehouse.pk, at=at))
    separate = pickup_states([Warehouse.objects.get(pk=warehouse.pk)], at)[0]

    assert _facts(carried) == _facts(separate)
    assert carried.kind == "active" and carried.subscription.pk == second.pk
    assert carried.subscription.carrier.code == "JT"
    # PostgreSQL: one query for the warehouse, its facts and its subscriptions.
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)


def test_a_warehouse_without_subscriptions_reads_as_not_requested(merchant):
    warehouse = warehouse_create(actor=merchant, **{**ADDRESS, "division_code": "440604010"}).warehouse
    state = pickup_state(warehouse_get(actor=merchant, warehouse_id=warehouse.pk))
    assert state.subscription is None and not state.supports_pickup
