"""Property: around any cutover, no waybill is misrouted and no parcel is lost or doubled."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.selectors import carrier_serving
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing, beijing_day_bounds, to_beijing
from firstmile.dispatch.models import TaskParcel
from firstmile.dispatch.services import day_plan, driver_create, roster_set, route_create
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.shipping.models import Waybill
from firstmile.shipping.services import order_create, shipment_arrange
from firstmile.switchover.services import batch_push, batch_schedule, switchover_create

from .. import factories
from .conftest import HONGMEI

START = beijing(2023, 9, 10, 9)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None)
@given(
    cutover_hours=st.integers(24, 120),
    approve=st.booleans(),
    issue_hours=st.lists(st.integers(1, 160), min_size=1, max_size=8),
)
def test_no_misrouted_waybill_and_every_parcel_in_exactly_one_task(cutover_hours, approve, issue_hours):
    with transaction.atomic(), time_machine.travel(START, tick=False) as clock:
        jt = factories.carrier("JT", with_centre_in="440111107")
        ws = factories.carrier("WS", with_centre_in="441900125")
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=START - timedelta(days=60))
        merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        warehouse = warehouse_create(actor=merchant, **HONGMEI).warehouse
        bosses = {}
        for carrier in (jt, ws):
            boss = factories.actor(carrier.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
            route = route_create(actor=boss, name="东莞", division_codes=["441900"])
            driver = driver_create(actor=boss, name="师傅", phone="13900000001")
            for day_type in ("weekday", "weekend"):
                roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type=day_type, capacity=50)
            bosses[carrier.pk] = boss
        subscription_approve(
            actor=bosses[jt.pk], subscription_ids=[PickupSubscription.objects.get(warehouse=warehouse).pk]
        )
        ops = factories.actor(kind=OrganisationKind.PLATFORM)
        cutover = START + timedelta(hours=cutover_hours)
        switchover = switchover_create(actor=ops, name="x", from_carrier="JT", to_carrier="WS")
        batch = batch_schedule(
            actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=cutover, division_codes=["441900"]
        )
        batch_push(actor=ops, batch_id=batch.pk)
        if approve:
            subscription_approve(actor=bosses[ws.pk], subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
        for n, hours in enumerate(sorted(issue_hours)):
            clock.move_to(START + timedelta(hours=hours))
            order = order_create(actor=merchant, order_no=f"O{n}")
            shipment_arrange(actor=merchant, order_ids=[order.pk])
        # Plan every day up to the last one; nothing is collected, so everything rolls on.
        last_day = to_beijing(START + timedelta(hours=max(issue_hours))).date()
        day = START.date()
        while day <= last_day:
            clock.move_to(beijing_day_bounds(day)[0] + timedelta(hours=7))
            for boss in bosses.values():
                day_plan(actor=boss)
            day += timedelta(days=1)
        serving_today = carrier_serving("441900125", beijing_day_bounds(last_day)[0])
        for waybill in Waybill.objects.select_related("carrier"):
            serving = carrier_serving(waybill.sender_division_id, waybill.issued_at)
            assert waybill.carrier == serving, "misrouted waybill"
            assert waybill.waybill_no.startswith(serving.waybill_prefix)
            after_cutover = waybill.issued_at >= cutover
            assert waybill.handover_method == ("PICKUP" if (not after_cutover or approve) else "DROP_OFF")
            if waybill.handover_method == "PICKUP":
                links = TaskParcel.objects.filter(waybill=waybill).select_related("task")
                assert links.count() == 1, "a PICK UP parcel in no task or in two"
                assert links[0].task.carrier == serving_today
                assert links[0].task.date == last_day
        transaction.set_rollback(True)
