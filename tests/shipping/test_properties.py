"""Property: every waybill agrees with coverage and subscription at its issuing instant."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.selectors import coverage_serving
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.selectors import pickup_state
from firstmile.pickup.services import (
    subscription_approve,
    subscription_reject,
    warehouse_create,
    warehouse_update,
)
from firstmile.shipping.models import Waybill
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from .conftest import HONGMEI

START = beijing(2023, 9, 1)

step = st.one_of(
    st.tuples(st.just("ship"), st.integers(0, 1)),
    st.tuples(st.just("approve"), st.integers(0, 1)),
    st.tuples(st.just("reject"), st.integers(0, 1)),
    st.tuples(st.just("resave"), st.integers(0, 1)),
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(
    cutover_hours=st.integers(1, 200),
    steps=st.lists(st.tuples(st.integers(1, 30), step), min_size=1, max_size=12),
)
def test_waybills_agree_with_coverage_and_subscription_when_issued(cutover_hours, steps):
    with transaction.atomic():
        jt = factories.carrier("JT", with_centre_in="440111107")
        ws = factories.carrier("WS", with_centre_in="441900125")
        cutover = START + timedelta(hours=cutover_hours)
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=START - timedelta(days=30))
        coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=cutover)
        merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        staff = {
            c.pk: factories.actor(c.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF) for c in (jt, ws)
        }
        at = START
        with time_machine.travel(at, tick=False):
            warehouses = [warehouse_create(actor=merchant, **{**HONGMEI, "code": f"W{i}"}).warehouse for i in range(2)]
        expected = {}
        for n, (gap, (action, index)) in enumerate(steps):
            at += timedelta(hours=gap)
            warehouse = warehouses[index]
            with time_machine.travel(at, tick=False):
                pending = PickupSubscription.objects.filter(warehouse=warehouse, status="pending_review").first()
                if action in {"approve", "reject"} and pending:
                    decide = subscription_approve if action == "approve" else subscription_reject
                    extra = {} if action == "approve" else {"reason": "address_unreachable"}
                    decide(actor=staff[pending.carrier_id], subscription_ids=[pending.pk], **extra)
                elif action == "resave":
                    warehouse.refresh_from_db()
                    warehouse_update(
                        actor=merchant,
                        warehouse_id=warehouse.pk,
                        **{**HONGMEI, "code": warehouse.code, "address_detail": f"工业路{n}号"},
                    )
                elif action == "ship":
                    state = pickup_state(warehouse)
                    serving = coverage_serving(warehouse.division_id, at).carrier
                    order = order_create(actor=merchant, order_no=f"O{n}", warehouse_code=warehouse.code)
                    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
                    pickup = state.supports_pickup and state.subscription.carrier_id == serving.pk
                    expected[waybill.pk] = (serving.pk, "PICKUP" if pickup else "DROP_OFF")
        for waybill in Waybill.objects.select_related("carrier", "sorting_centre"):
            carrier_id, handover = expected[waybill.pk]
            assert waybill.carrier_id == carrier_id
            assert waybill.carrier_id == coverage_serving(waybill.sender_division_id, waybill.issued_at).carrier_id
            assert waybill.waybill_no.startswith(waybill.carrier.waybill_prefix)
            assert waybill.sorting_centre.carrier_id == waybill.carrier_id
            assert waybill.handover_method == handover
            if handover == "PICKUP":
                assert waybill.subscription.carrier_id == waybill.carrier_id
                assert waybill.subscription.decided_at <= waybill.issued_at
        transaction.set_rollback(True)
