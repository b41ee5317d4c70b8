from datetime import timedelta

import pytest

from firstmile.carriers.models import CoverageArea
from firstmile.carriers.selectors import carrier_serving
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError, Conflict, Forbidden
from firstmile.dispatch.models import PickupTask, TaskParcel
from firstmile.dispatch.services import day_plan, driver_create, roster_set, route_create
from firstmile.events.models import Event
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus
from firstmile.pickup.selectors import PickupStateKind, pickup_state
from firstmile.pickup.services import subscription_approve, warehouse_update
from firstmile.shipping.models import ShipByExtension
from firstmile.shipping.services import order_create, shipment_arrange
from firstmile.switchover.models import BatchStatus, PushFailure
from firstmile.switchover.services import batch_cancel, batch_postpone, batch_push, batch_schedule, switchover_create

from .. import factories
from ..refusals import refused
from .conftest import CUTOVER, HONGMEI

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(ops, jt, ws, clock):
    switchover = switchover_create(actor=ops, name="极兔 → 万色", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=CUTOVER, division_codes=["441900"]
    )
    return batch


def test_coverage_switches_at_the_cutover_with_nothing_running(plan, jt, ws):
    assert carrier_serving("441900125", CUTOVER - timedelta(seconds=1)) == jt
    assert carrier_serving("441900125", CUTOVER) == ws
    assert carrier_serving("440304004", CUTOVER) == jt  # Shenzhen is not in this batch


def test_the_seeds_ship_by_example(plan, merchant, hongmei, clock):
    clock.move_to(beijing(2023, 9, 18, 10, 0))
    order = order_create(actor=merchant, order_no="Q11")
    assert order.ship_by == beijing(2023, 9, 23, 10, 0)
    clock.move_to(beijing(2023, 9, 19, 23, 59))
    assert order_create(actor=merchant, order_no="Q11b").extension_hours == 72
    clock.move_to(beijing(2023, 9, 20, 0, 0))
    assert order_create(actor=merchant, order_no="Q11c").extension_hours == 0
    clock.move_to(beijing(2023, 9, 17, 23, 59))
    assert order_create(actor=merchant, order_no="Q11d").extension_hours == 0


def test_push_approve_cutover_and_the_new_label(plan, merchant, hongmei, changan, ws_staff, clock, ops):
    report = batch_push(actor=ops, batch_id=plan.pk)
    # 长安 has only a pending request with J&T, not an active subscription: not pushed.
    assert (report.pushed, report.failed) == (1, 0)
    plan.refresh_from_db()
    assert (plan.status, plan.push_total, plan.push_done) == (BatchStatus.PUSHED, 1, 1)
    pushed = PickupSubscription.objects.get(carrier__code="WS")
    assert (pushed.status, pushed.effective_from, pushed.warehouse) == ("pending_review", CUTOVER, hongmei)
    assert Event.objects.filter(kind="subscription.requested", subject_id=str(pushed.pk)).exists()
    subscription_approve(actor=ws_staff, subscription_ids=[pushed.pk])
    # Approving the handover ends J&T's pickup at the cutover, not before.
    assert PickupSubscription.objects.get(carrier__code="JT", warehouse=hongmei).ended_at == CUTOVER
    # Before the cutover J&T still collects: labels are J&T's, PICK UP.
    clock.move_to(CUTOVER - timedelta(seconds=1))
    state = pickup_state(hongmei)
    assert (state.kind, state.carrier.code, state.upcoming.carrier.code) == (PickupStateKind.ACTIVE, "JT", "WS")
    order = order_create(actor=merchant, order_no="BEFORE")
    [before] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert (before.waybill_no[:2], before.handover_method) == ("JT", "PICKUP")
    # From the cutover Wanse: WS prefix, PICK UP, 东莞洪梅.
    clock.move_to(CUTOVER)
    order = order_create(actor=merchant, order_no="AFTER")
    [after] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert (after.waybill_no[:2], after.handover_method) == ("WS", "PICKUP")
    assert after.sorting_centre.division_id == "441900125"
    assert pickup_state(hongmei).carrier.code == "WS"


def test_in_flight_labels_are_collected_by_the_new_carrier(plan, merchant, hongmei, ws_staff, clock, ops, jt, ws):
    batch_push(actor=ops, batch_id=plan.pk)
    subscription_approve(actor=ws_staff, subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
    jt_boss = factories.actor(jt.organisation, kind="carrier")
    ws_boss = factories.actor(ws.organisation, kind="carrier")
    for boss in (jt_boss, ws_boss):
        route = route_create(actor=boss, name="东莞", division_codes=["441900"])
        driver = driver_create(actor=boss, name="师傅", phone="13900000001")
        roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=10)
        roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekend", capacity=10)
    clock.move_to(beijing(2023, 9, 18, 15, 0))
    order = order_create(actor=merchant, order_no="INFLIGHT")
    [label] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert label.carrier == jt
    day_plan(actor=jt_boss)
    assert TaskParcel.objects.get(waybill=label).task.carrier == jt
    # Not collected on the 18th: on the 19th it is in Wanse's task, in no one else's.
    clock.move_to(beijing(2023, 9, 19, 8, 0))
    day_plan(actor=jt_boss)
    day_plan(actor=ws_boss)
    link = TaskParcel.objects.get(waybill=label)
    assert (link.task.carrier, link.task.date.isoformat()) == (ws, "2023-09-19")
    assert PickupTask.objects.filter(date=link.task.date, carrier=jt).count() == 0


def test_a_merchant_resaving_after_the_push_asks_the_incoming_carrier(plan, merchant, hongmei, changan, ops, ws):
    batch_push(actor=ops, batch_id=plan.pk)
    saved = warehouse_update(
        actor=merchant, warehouse_id=changan.pk, **{**HONGMEI, "code": "DG-CA", "address_detail": "振安路5号,"}
    )
    request = saved.decision.subscription
    assert (request.carrier, request.effective_from) == (ws, CUTOVER)
    assert pickup_state(changan).handover_method == "DROP_OFF"


def test_a_warehouse_with_a_pending_request_fails_the_push_and_repush_picks_it_up(
    plan, merchant, hongmei, ops, jt_staff
):
    # 洪梅 re-saves (pending with J&T again) just before the push.
    warehouse_update(actor=merchant, warehouse_id=hongmei.pk, **{**HONGMEI, "address_detail": "洪屋涡村工业路3号。"})
    report = batch_push(actor=ops, batch_id=plan.pk)
    assert (report.pushed, report.failed) == (0, 0)  # no active J&T subscription any more
    subscription_approve(actor=jt_staff, subscription_ids=[PickupSubscription.objects.get(status="pending_review").pk])
    assert batch_push(actor=ops, batch_id=plan.pk).pushed == 1
    assert not PushFailure.objects.exists()
    assert PickupSubscription.objects.filter(origin=f"switchover.batch:{plan.pk}", warehouse=hongmei).exists()


def test_postpone_moves_coverage_extension_and_requests(plan, merchant, hongmei, ops, jt, ws, ws_staff):
    batch_push(actor=ops, batch_id=plan.pk)
    subscription_approve(actor=ws_staff, subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
    later = CUTOVER + timedelta(days=7)
    batch_postpone(actor=ops, batch_id=plan.pk, cutover_at=later)
    assert carrier_serving("441900125", CUTOVER) == jt
    assert carrier_serving("441900125", later) == ws
    assert ShipByExtension.objects.get().created_from == beijing(2023, 9, 25)
    assert PickupSubscription.objects.get(carrier=ws).effective_from == later
    assert PickupSubscription.objects.get(carrier=jt).ended_at == later


def test_cancel_leaves_the_outgoing_carrier_in_place(plan, merchant, hongmei, ops, jt, ws, ws_staff):
    batch_push(actor=ops, batch_id=plan.pk)
    subscription_approve(actor=ws_staff, subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
    batch_cancel(actor=ops, batch_id=plan.pk)
    assert carrier_serving("441900125", CUTOVER + timedelta(days=30)) == jt
    assert not CoverageArea.objects.filter(carrier=ws).exists()
    assert PickupSubscription.objects.get(carrier=jt).ended_at is None
    assert PickupSubscription.objects.get(carrier=ws).status == SubscriptionStatus.CANCELLED
    with refused(Conflict, "batch_cancelled"):
        batch_push(actor=ops, batch_id=plan.pk)


def test_nothing_changes_after_the_cutover(plan, ops, clock):
    clock.move_to(CUTOVER + timedelta(minutes=1))
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as err:
        batch_cancel(actor=ops, batch_id=plan.pk)
    assert err.value.code == "batch_already_cut_over"
    with refused(Conflict, "batch_already_cut_over"):
        batch_postpone(actor=ops, batch_id=plan.pk, cutover_at=CUTOVER + timedelta(days=3))
    assert Event.objects.count() == events_before


@pytest.mark.parametrize(
    ("codes", "cutover", "code"),
    [
        (["441900"], beijing(2023, 9, 20), "batch_areas_overlap"),  # Dongguan is already in a batch
        (["441900125"], beijing(2023, 9, 20), "batch_areas_overlap"),  # a town of it too
        (["440605"], beijing(2023, 9, 20), "area_not_served_by_from_carrier"),  # Foshan: nobody serves it
        (["440300"], beijing(2023, 9, 1), "cutover_in_past"),
        ([], beijing(2023, 9, 20), "batch_has_no_areas"),
    ],
)
def test_bad_batches_are_refused_and_change_nothing(plan, ops, codes, cutover, code):
    rows_before = CoverageArea.objects.count()
    with pytest.raises(ApplicationError) as err:
        batch_schedule(actor=ops, switchover_id=plan.switchover_id, name="x", cutover_at=cutover, division_codes=codes)
    assert err.value.code == code
    assert CoverageArea.objects.count() == rows_before


def test_an_incoming_carrier_without_sorting_centre_is_refused(ops, jt, clock):
    factories.carrier("XX", with_centre_in=None)
    with pytest.raises(ApplicationError) as err:
        switchover_create(actor=ops, name="x", from_carrier="JT", to_carrier="XX")
    assert err.value.code == "carrier_has_no_sorting_centre"


def test_only_the_platform_runs_switchovers(plan, merchant, jt_staff):
    for actor in (merchant, jt_staff):
        with refused(Forbidden, "forbidden"):
            batch_push(actor=actor, batch_id=plan.pk)
    assert not PickupSubscription.objects.filter(origin__startswith="switchover").exists()


def test_without_the_new_carriers_approval_pickup_ends_at_the_cutover(plan, merchant, hongmei, ops, clock):
    batch_push(actor=ops, batch_id=plan.pk)
    clock.move_to(CUTOVER - timedelta(seconds=1))
    assert pickup_state(hongmei).kind == PickupStateKind.ACTIVE
    clock.move_to(CUTOVER)
    state = pickup_state(hongmei)
    assert (state.kind, state.handover_method) == (PickupStateKind.ENDED, "DROP_OFF")
    assert state.upcoming is None or state.upcoming.carrier.code == "WS"
    order = order_create(actor=merchant, order_no="UNAPPROVED")
    [label] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert (label.waybill_no[:2], label.handover_method) == ("WS", "DROP_OFF")
