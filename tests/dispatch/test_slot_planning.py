"""Day planning with booked pickup windows, and a failed pickup retried in the next free window."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.test import Client

from firstmile.carriers.services import pickup_window_create
from firstmile.dispatch.models import PickupFailure, PickupTask
from firstmile.dispatch.selectors import window_loads
from firstmile.dispatch.services import day_plan, pickup_fail
from firstmile.events.models import Event
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.shipping.services import pickup_slot_book

from .. import factories
from ..shipping.conftest import CHANGAN
from .test_services import _as_driver, _ship

pytestmark = pytest.mark.django_db
MONDAY_7AM = datetime(2023, 9, 17, 23, 0, tzinfo=UTC)  # 07:00 in Beijing
MON, TUE, THU = date(2023, 9, 18), date(2023, 9, 19), date(2023, 9, 21)


@pytest.fixture
def windows(dispatcher):
    with time_machine.travel(MONDAY_7AM, tick=False):
        [early] = pickup_window_create(
            actor=dispatcher, division_code="441900", weekdays=[1], starts_at="10:00", ends_at="12:00", capacity=5
        )
        late = pickup_window_create(
            actor=dispatcher, division_code="441900", weekdays=[1, 2, 4], starts_at="15:00", ends_at="17:00", capacity=1
        )
    return {"early": early, "late": {w.weekday: w for w in late}}


def test_stops_follow_their_booked_windows_and_a_later_booking_waits_for_its_day(
    merchant, hongmei, jt_staff, dispatcher, crew, windows
):
    with time_machine.travel(MONDAY_7AM, tick=False):
        changan = warehouse_create(actor=merchant, **CHANGAN).warehouse
        subscription_approve(actor=jt_staff, subscription_ids=[PickupSubscription.objects.get(warehouse=changan).pk])
        [at_hongmei] = _ship(merchant, 1, prefix="HM")
        [at_changan, later] = _ship(merchant, 2, warehouse_code=changan.code, prefix="CA")
        # 洪梅 (area code after 长安's) booked the 15:00 window, 长安 the 10:00 one; one parcel waits for Thursday.
        pickup_slot_book(actor=merchant, waybill_no=at_hongmei.waybill_no, window_id=windows["late"][1].pk, day=MON)
        pickup_slot_book(actor=merchant, waybill_no=at_changan.waybill_no, window_id=windows["early"].pk, day=MON)
        pickup_slot_book(actor=merchant, waybill_no=later.waybill_no, window_id=windows["late"][4].pk, day=THU)
        for driver in (crew["li"], crew["wang"]):
            driver.is_active = driver == crew["li"]
            driver.save()
        day_plan(actor=dispatcher)
    stops = list(PickupTask.objects.filter(date=MON).order_by("sequence").select_related("warehouse"))
    assert [(t.warehouse.code, t.window_starts_at, t.window_ends_at) for t in stops] == [
        ("DG-CA", time(10), time(12)),
        ("DG-HM", time(15), time(17)),
    ]
    assert [t.sequence for t in stops] == [1, 2]
    assert list(stops[0].parcels.values_list("waybill_id", flat=True)) == [at_changan.pk]  # not Thursday's
    with time_machine.travel(datetime(2023, 9, 21, 0, 0, tzinfo=UTC), tick=False):
        day_plan(actor=dispatcher)
    thursday = PickupTask.objects.get(date=THU, warehouse=changan)
    # Its own day now, beside Monday's uncollected parcel rolled over.
    assert set(thursday.parcels.values_list("waybill_id", flat=True)) == {later.pk, at_changan.pk}
    assert (thursday.window_starts_at, thursday.window_ends_at) == (time(15), time(17))


def test_a_failed_pickup_moves_the_booked_parcels_to_the_next_window_with_room(
    merchant, hongmei, dispatcher, crew, windows
):
    with time_machine.travel(MONDAY_7AM, tick=False):
        first, second = _ship(merchant, 2)
        for waybill in (first, second):
            pickup_slot_book(actor=merchant, waybill_no=waybill.waybill_no, window_id=windows["early"].pk, day=MON)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        failure = pickup_fail(actor=_as_driver(task.shift.driver), task_id=task.pk, reason="merchant_closed")
    # Tuesday's and Thursday's windows take one parcel each: the next one with room for both is next Monday's.
    assert failure.retry_on == date(2023, 9, 25)
    first.refresh_from_db()
    assert (first.pickup_window_id, first.pickup_date) == (windows["early"].pk, date(2023, 9, 25))
    moved = Event.objects.filter(kind="waybill.pickup_slot_booked", payload__reason="pickup_failed")
    assert sorted(moved.values_list("subject_id", flat=True)) == sorted([str(first.pk), str(second.pk)])
    assert PickupFailure.objects.get().retry_on == date(2023, 9, 25)


def test_the_dispatcher_sees_each_windows_bookings_against_its_capacity(
    merchant, hongmei, dispatcher, crew, windows, api, jt
):

    with time_machine.travel(MONDAY_7AM, tick=False):
        first, second = _ship(merchant, 2)
        pickup_slot_book(actor=merchant, waybill_no=first.waybill_no, window_id=windows["early"].pk, day=MON)
        pickup_slot_book(actor=merchant, waybill_no=second.waybill_no, window_id=windows["late"][1].pk, day=MON)
        loads = window_loads(actor=dispatcher)
        assert [(load.window.starts_at, load.booked, load.remaining, load.stops) for load in loads] == [
            (time(10), 1, 4, 1),
            (time(15), 1, 0, 1),
        ]
        listed = api(factories.token(jt.organisation)).get("/dispatch/windows", date="2023-09-18").json()
        assert [(w["starts_at"], w["booked"], w["capacity"]) for w in listed] == [
            ("10:00:00", 1, 5),
            ("15:00:00", 1, 1),
        ]
        assert api(factories.token(merchant.organisation)).get("/dispatch/windows").status_code == 403
        board = Client()
        board.force_login(dispatcher.user)
        page = board.get("/carrier/dispatch/").content.decode()
        assert "1 / 5" in page.split('id="window-load"')[1]
