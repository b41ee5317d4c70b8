"""A bundle closed before a cutover and collected after it goes with whoever serves the area that day,
as single labels do (docs/bundles.md, "Across a switchover")."""

import pytest

from firstmile.accounts.actor import Actor
from firstmile.bundles.services import bundle_close, bundle_create
from firstmile.core.clock import beijing
from firstmile.core.errors import Conflict
from firstmile.dispatch.models import HandoverList, TaskParcel
from firstmile.dispatch.services import (
    day_plan,
    driver_create,
    roster_set,
    route_create,
    scan_inbound_bundle,
    scan_pickup_bundle,
)
from firstmile.events.models import Event
from firstmile.pickup.models import PickupSubscription
from firstmile.shipping.models import Waybill
from firstmile.shipping.services import order_create, shipment_arrange
from firstmile.switchover.services import batch_push, batch_schedule, switchover_create

from .. import factories
from ..refusals import refused
from .conftest import CUTOVER

pytestmark = pytest.mark.django_db


def test_a_bundle_closed_before_the_cutover_is_collected_by_the_carrier_serving_the_area_after_it(
    ops, jt, ws, ws_staff, merchant, hongmei, clock
):
    switchover = switchover_create(actor=ops, name="极兔 → 万色", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=CUTOVER, division_codes=["441900"]
    )
    batch_push(actor=ops, batch_id=batch.pk)
    from firstmile.pickup.services import subscription_approve

    subscription_approve(actor=ws_staff, subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
    drivers = {}
    for carrier, phone in ((jt, "13900000001"), (ws, "13900000002")):
        boss = factories.actor(carrier.organisation, kind="carrier")
        route = route_create(actor=boss, name="东莞", division_codes=["441900"])
        driver = driver_create(
            actor=boss, name="师傅", phone=phone, username=f"d-{carrier.code}", password="drive-safe-1"
        )
        roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=10)
        drivers[carrier.code] = (boss, Actor.for_user(driver.user))

    # The day before the cutover: J&T labels, bundled and closed, not collected that day.
    clock.move_to(beijing(2023, 9, 18, 15, 0))
    orders = [order_create(actor=merchant, order_no=f"B{i}").pk for i in range(3)]
    labels = shipment_arrange(actor=merchant, order_ids=orders)
    assert {w.carrier for w in labels} == {jt}
    bundle, _ = bundle_create(
        actor=merchant, warehouse_id=hongmei.pk, handover_method="PICKUP", waybill_nos=[w.waybill_no for w in labels]
    )
    bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="2")
    day_plan(actor=drivers["JT"][0])

    # After the cutover Wanse serves the area: J&T's driver is turned away, Wanse's collects the bundle.
    clock.move_to(beijing(2023, 9, 19, 9, 0))
    day_plan(actor=drivers["JT"][0])
    day_plan(actor=drivers["WS"][0])
    with pytest.raises(Conflict) as err:
        scan_pickup_bundle(actor=drivers["JT"][1], bundle_no=bundle.number)
    assert err.value.code == "waybill_other_carrier"
    done = scan_pickup_bundle(actor=drivers["WS"][1], bundle_no=bundle.number)
    assert (done.parcels, done.bundle.collected_by, done.bundle.carrier) == (3, ws, jt)
    links = TaskParcel.objects.filter(waybill__in=labels).select_related("task")
    assert {link.task.carrier for link in links} == {ws}
    assert HandoverList.objects.get(task__carrier=ws).parcel_count == 3
    collected = Event.objects.filter(kind="waybill.collected")
    assert {e.counterparty_id for e in collected} == {ws.organisation_id}
    assert set(Waybill.objects.filter(pk__in=[w.pk for w in labels]).values_list("status", flat=True)) == {"collected"}
    # It belongs at Wanse's sorting centre now, not J&T's.
    jt_staff = factories.actor(jt.organisation, kind="carrier", role="staff")
    with refused(Conflict, "waybill_other_carrier"):
        scan_inbound_bundle(actor=jt_staff, sorting_centre_code=jt.sorting_centres.get().code, bundle_no=bundle.number)
    received = scan_inbound_bundle(
        actor=ws_staff, sorting_centre_code=ws.sorting_centres.get().code, bundle_no=bundle.number
    )
    assert received.parcels == 3
