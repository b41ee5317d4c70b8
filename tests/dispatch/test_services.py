from datetime import UTC, date, datetime

import pytest
import time_machine

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.dispatch.models import PickupTask, Scan, Shift, TaskParcel, TaskStatus
from firstmile.dispatch.services import (
    contact_record,
    day_plan,
    driver_create,
    roster_set,
    route_create,
    scan_inbound,
    scan_pickup,
    task_assign,
    task_close,
)
from firstmile.events.models import Event
from firstmile.shipping.models import WaybillStatus
from firstmile.shipping.services import order_create, shipment_arrange, waybill_void

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db

# Monday 2023-09-18 and Saturday 2023-09-23, 09:00 Beijing time.
MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)
TUESDAY = datetime(2023, 9, 19, 1, 0, tzinfo=UTC)
SATURDAY = datetime(2023, 9, 23, 1, 0, tzinfo=UTC)


def _as_driver(driver) -> Actor:
    return Actor.for_user(driver.user)


def _ship(merchant, n=1, warehouse_code=None, prefix="TT"):
    orders = [order_create(actor=merchant, order_no=f"{prefix}{i}", warehouse_code=warehouse_code) for i in range(n)]
    return shipment_arrange(actor=merchant, order_ids=[o.pk for o in orders])


def test_a_days_pickup_parcels_form_one_task_per_warehouse_assigned_by_route(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        waybills = _ship(merchant, 3)
        plan = day_plan(actor=dispatcher)
    assert plan.date == date(2023, 9, 18)
    assert (plan.shifts, plan.tasks, plan.parcels_linked, plan.assigned, plan.unassigned) == (2, 1, 3, 1, 0)
    task = PickupTask.objects.get()
    assert task.warehouse == hongmei
    assert task.status == TaskStatus.ASSIGNED
    assert task.sequence == 1
    assert set(task.parcels.values_list("waybill_id", flat=True)) == {w.pk for w in waybills}


def test_planning_twice_changes_nothing(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 2)
        day_plan(actor=dispatcher)
        again = day_plan(actor=dispatcher)
    assert (again.parcels_linked, again.assigned) == (0, 0)
    assert PickupTask.objects.count() == 1
    assert TaskParcel.objects.count() == 2


def test_weekends_have_fewer_drivers(dispatcher, crew):
    with time_machine.travel(SATURDAY, tick=False):
        plan = day_plan(actor=dispatcher)
    assert plan.shifts == 1
    assert Shift.objects.get(date=date(2023, 9, 23)).driver == crew["li"]


def test_drop_off_parcels_form_no_task(merchant, changan, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 2, warehouse_code="DG-CA")
        plan = day_plan(actor=dispatcher)
    assert plan.tasks == 0


def test_a_task_no_route_covers_is_flagged_not_dropped(merchant, dispatcher, crew, jt, jt_staff):
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create

    from ..shipping.conftest import HONGMEI

    warehouse_create(actor=merchant, **{**HONGMEI, "code": "SZ", "division_code": "440304004"})
    subscription_approve(actor=jt_staff, subscription_ids=list(PickupSubscription.objects.values_list("pk", flat=True)))
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 1, warehouse_code="SZ")
        plan = day_plan(actor=dispatcher)
    assert (plan.tasks, plan.unassigned) == (1, 1)
    assert PickupTask.objects.get().status == TaskStatus.OPEN


def test_driver_calls_scans_and_closes_then_sorting_centre_receives(merchant, hongmei, dispatcher, crew, jt):
    with time_machine.travel(MONDAY, tick=False):
        first, second = _ship(merchant, 2)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        driver = _as_driver(task.shift.driver)
        contact_record(actor=driver, task_id=task.pk, outcome="reached", note="下午三点到")
        collected = scan_pickup(actor=driver, waybill_no=first.waybill_no.lower())
        assert collected.status == WaybillStatus.COLLECTED
        with pytest.raises(Conflict) as err:
            scan_pickup(actor=driver, waybill_no=first.waybill_no)
        assert err.value.code == "waybill_already_scanned"
        task_close(actor=driver, task_id=task.pk)
        received = scan_inbound(actor=dispatcher, sorting_centre_code="JT-HUB", waybill_no=first.waybill_no)
    assert received.status == WaybillStatus.RECEIVED
    assert Scan.objects.filter(waybill=first).count() == 2
    kinds = list(
        Event.objects.filter(subject_id=str(first.pk), subject_type="shipping.waybill")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["waybill.issued", "waybill.collected", "waybill.received"]

    # The parcel left behind rolls over to Tuesday's task.
    with time_machine.travel(TUESDAY, tick=False):
        plan = day_plan(actor=dispatcher)
    assert plan.parcels_rolled_over == 1
    link = TaskParcel.objects.get(waybill=second)
    assert link.task.date == date(2023, 9, 19)
    assert link.first_task_date == date(2023, 9, 18)


@pytest.mark.parametrize(
    ("number", "code"),
    [("JT99999999999", "waybill_unknown"), ("hello", "waybill_unknown")],
)
def test_scanning_unknown_numbers(merchant, hongmei, dispatcher, crew, number, code):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant)
        day_plan(actor=dispatcher)
        driver = _as_driver(PickupTask.objects.get().shift.driver)
        with pytest.raises(ApplicationError) as err:
            scan_pickup(actor=driver, waybill_no=number)
    assert err.value.code == code
    assert not Scan.objects.exists()


def test_scanning_a_voided_waybill_is_refused_and_changes_nothing(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        [waybill] = _ship(merchant)
        day_plan(actor=dispatcher)
        waybill_void(actor=merchant, waybill_id=waybill.pk)
        driver = _as_driver(PickupTask.objects.get().shift.driver)
        events_before = Event.objects.count()
        with pytest.raises(Conflict) as err:
            scan_pickup(actor=driver, waybill_no=waybill.waybill_no)
    assert err.value.code == "waybill_voided"
    waybill.refresh_from_db()
    assert waybill.status == WaybillStatus.VOIDED
    assert Event.objects.count() == events_before
    assert not Scan.objects.exists()


def test_another_carriers_driver_cannot_scan_the_parcel(merchant, hongmei, dispatcher, crew):
    ws = factories.carrier("WS", with_centre_in="441900125")
    ws_admin = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER)
    ws_driver = driver_create(
        actor=ws_admin, name="赵师傅", phone="13900000009", username="zhao", password=factories.PASSWORD
    )
    with time_machine.travel(MONDAY, tick=False):
        [waybill] = _ship(merchant)
        day_plan(actor=dispatcher)
        with pytest.raises(Conflict) as err:
            scan_pickup(actor=_as_driver(ws_driver), waybill_no=waybill.waybill_no)
    assert err.value.code == "waybill_other_carrier"
    with refused(Conflict, "waybill_other_carrier"):
        scan_inbound(actor=ws_admin, sorting_centre_code="WS-HUB", waybill_no=waybill.waybill_no)
    waybill.refresh_from_db()
    assert waybill.status == WaybillStatus.ISSUED


def test_assigning_a_shift_of_another_carrier_is_refused(merchant, hongmei, dispatcher, crew):
    ws = factories.carrier("WS", with_centre_in="441900125")
    ws_admin = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER)
    ws_route = route_create(actor=ws_admin, name="万色线", division_codes=["441900"])
    ws_driver = driver_create(actor=ws_admin, name="赵师傅", phone="13900000009")
    roster_set(actor=ws_admin, driver_id=ws_driver.pk, route_id=ws_route.pk, day_type="weekday", capacity=5)
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant)
        day_plan(actor=dispatcher)
        day_plan(actor=ws_admin)
        task = PickupTask.objects.get()
        foreign_shift = Shift.objects.get(driver=ws_driver)
        events_before = Event.objects.count()
        with refused(NotFound, "shift_not_found"):
            task_assign(actor=dispatcher, task_id=task.pk, shift_id=foreign_shift.pk)
    task.refresh_from_db()
    assert task.shift.driver.carrier_id == dispatcher.organisation.carrier.pk
    assert Event.objects.count() == events_before


def test_manual_override_moves_a_stop_to_another_driver(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        other = Shift.objects.exclude(pk=task.shift_id).get(date=task.date)
        task_assign(actor=dispatcher, task_id=task.pk, shift_id=other.pk)
    task.refresh_from_db()
    assert (task.shift, task.assigned_manually) == (other, True)


def test_merchants_and_drivers_cannot_plan_or_assign(merchant, dispatcher, crew):
    with refused(Forbidden, "forbidden"):
        day_plan(actor=merchant)
    with refused(Forbidden, "forbidden"):
        driver_create(actor=_as_driver(crew["li"]), name="x", phone="13900000003")


def test_bad_driver_and_route_input(dispatcher):
    with pytest.raises(ApplicationError) as err:
        driver_create(actor=dispatcher, name="张", phone="123")
    assert err.value.field == "phone"
    with pytest.raises(ApplicationError) as err:
        route_create(actor=dispatcher, name="x", division_codes=["999999"])
    assert err.value.field == "division_codes"


def test_plan_day_command_plans_every_carrier(merchant, hongmei, dispatcher, crew, capsys):
    from django.core.management import call_command

    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 2)
        call_command("plan_day")
    out = capsys.readouterr().out
    assert "JT 2023-09-18: 1 stops, 2 parcels linked (0 rolled over), 1 assigned, 0 without a driver" in out
