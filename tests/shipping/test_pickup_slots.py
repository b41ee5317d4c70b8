"""Pickup slots: carriers publish windows per area and weekday; merchants book, change and cancel until the cut-off."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.models import PickupWindow
from firstmile.carriers.services import pickup_closure_add, pickup_window_create, pickup_window_withdraw
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.models import Event
from firstmile.shipping.models import Waybill
from firstmile.shipping.selectors import handover_options, pickup_slots
from firstmile.shipping.services import order_create, pickup_slot_book, pickup_slot_cancel, shipment_arrange

from .. import factories
from ..refusals import refused
from ..snapshots import database_snapshot

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
MONDAY_1230 = datetime(2023, 9, 18, 4, 30, tzinfo=UTC)
MON, TUE, WED, THU, FRI = (date(2023, 9, d) for d in (18, 19, 20, 21, 22))


@pytest.fixture
def dispatcher(jt):
    return factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)


@pytest.fixture
def windows(dispatcher):
    """Dongguan: weekday afternoons for 2 parcels; 洪梅 town also Tuesday mornings; no pickups on Wednesday."""
    with time_machine.travel(MONDAY_9AM, tick=False):
        afternoons = pickup_window_create(
            actor=dispatcher,
            division_code="441900",
            weekdays=[1, 2, 3, 4, 5],
            starts_at="14:00",
            ends_at="17:00",
            capacity=2,
        )
        [morning] = pickup_window_create(
            actor=dispatcher,
            division_code="441900125",
            weekdays=[2],
            starts_at="09:00",
            ends_at="12:00",
            capacity=5,
            cutoff_minutes=60,
        )
        pickup_closure_add(actor=dispatcher, day=WED, reason="台风停工")
    return {"afternoon": {w.weekday: w for w in afternoons}, "morning": morning}


def _ship(merchant, n, warehouse_code=None, prefix="PS"):
    with time_machine.travel(MONDAY_9AM, tick=False):
        orders = [
            order_create(actor=merchant, order_no=f"{prefix}{i}", warehouse_code=warehouse_code) for i in range(n)
        ]
        return shipment_arrange(actor=merchant, order_ids=[o.pk for o in orders])


def test_a_parcel_sees_the_free_windows_of_its_area_skipping_closed_days(merchant, hongmei, windows):
    [waybill] = _ship(merchant, 1)
    with time_machine.travel(MONDAY_9AM, tick=False):
        options = handover_options(actor=merchant, waybill=waybill)
    assert options.can_pickup and options.can_drop_off and options.booked is None
    offered = [(s.date, s.starts.time(), s.remaining) for s in options.pickup_slots]
    assert offered == [
        (MON, time(14), 2),
        (TUE, time(9), 5),
        (TUE, time(14), 2),
        (THU, time(14), 2),
        (FRI, time(14), 2),
    ]  # Wednesday is closed; no windows at the weekend
    assert options.pickup_slots[0].book_by.isoformat() == "2023-09-18T12:00:00+08:00"


def test_booking_fills_a_window_then_a_change_frees_it_and_a_cancel_gives_it_back(merchant, hongmei, windows):
    first, second, third = _ship(merchant, 3)
    monday = windows["afternoon"][1]
    with time_machine.travel(MONDAY_9AM, tick=False):
        for waybill in (first, second):
            pickup_slot_book(actor=merchant, waybill_no=waybill.waybill_no, window_id=monday.pk, day=MON)
        before = database_snapshot()
        with pytest.raises(Conflict) as full:
            pickup_slot_book(actor=merchant, waybill_no=third.waybill_no, window_id=monday.pk, day=MON)
        assert (full.value.code, full.value.field) == ("pickup_slot_full", "window_id")
        assert database_snapshot() == before
        # Booking the same slot again changes nothing.
        pickup_slot_book(actor=merchant, waybill_no=first.waybill_no, window_id=monday.pk, day=MON)
        assert database_snapshot() == before

        pickup_slot_book(actor=merchant, waybill_no=first.waybill_no, window_id=windows["morning"].pk, day=TUE)
        pickup_slot_book(actor=merchant, waybill_no=third.waybill_no, window_id=monday.pk, day=MON)
        pickup_slot_cancel(actor=merchant, waybill_no=second.waybill_no)
        [slot] = [s for s in pickup_slots(division_code="441900125") if s.window_id == monday.pk and s.date == MON]
    assert slot.remaining == 1
    first.refresh_from_db()
    assert (first.pickup_window_id, first.pickup_date) == (windows["morning"].pk, TUE)
    kinds = list(Event.objects.filter(subject_id=str(first.pk)).values_list("kind", flat=True))
    assert kinds.count("waybill.pickup_slot_booked") == 2
    assert Event.objects.get(kind="waybill.pickup_slot_cancelled").payload["window_id"] == monday.pk


def test_after_the_cut_off_a_booking_cannot_be_made_changed_or_cancelled(merchant, hongmei, windows):
    first, second = _ship(merchant, 2)
    monday = windows["afternoon"][1]
    with time_machine.travel(MONDAY_9AM, tick=False):
        pickup_slot_book(actor=merchant, waybill_no=first.waybill_no, window_id=monday.pk, day=MON)
    with time_machine.travel(MONDAY_1230, tick=False):
        before = database_snapshot()
        for call in (
            lambda: pickup_slot_book(
                actor=merchant, waybill_no=first.waybill_no, window_id=windows["morning"].pk, day=TUE
            ),
            lambda: pickup_slot_cancel(actor=merchant, waybill_no=first.waybill_no),
            lambda: pickup_slot_book(actor=merchant, waybill_no=second.waybill_no, window_id=monday.pk, day=MON),
        ):
            with pytest.raises(Conflict) as late:
                call()
            assert late.value.code == "pickup_slot_cutoff"
        assert database_snapshot() == before
        # Another window still open takes the second parcel.
        pickup_slot_book(actor=merchant, waybill_no=second.waybill_no, window_id=windows["afternoon"][2].pk, day=TUE)


def test_wrong_bookings_name_the_field_and_change_nothing(merchant, hongmei, changan, windows, jt):
    [waybill] = _ship(merchant, 1)
    [drop_off] = _ship(merchant, 1, warehouse_code=changan.code, prefix="DO")
    other_merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    carrier_staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    afternoon = windows["afternoon"]
    cases = [
        (dict(window_id=afternoon[1].pk, day=TUE), ApplicationError, "date"),  # a Monday window on a Tuesday
        (dict(window_id=afternoon[3].pk, day=WED), Conflict, "date"),  # closed
        (dict(window_id=afternoon[1].pk, day=date(2023, 9, 11)), Conflict, "date"),  # past
        (dict(window_id=afternoon[1].pk, day=date(2023, 10, 16)), Conflict, "date"),  # too far ahead
        (dict(window_id=999_999, day=MON), NotFound, "window_id"),
        (dict(window_id=afternoon[1].pk, day="2023-09-18"), ApplicationError, "date"),
    ]
    with time_machine.travel(MONDAY_9AM, tick=False):
        # A window of another area (南山 in 深圳) is not this warehouse's.
        [shenzhen] = pickup_window_create(
            actor=factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN),
            division_code="440300",
            weekdays=[1],
            starts_at="14:00",
            ends_at="15:00",
            capacity=9,
        )
        cases.append((dict(window_id=shenzhen.pk, day=MON), NotFound, "window_id"))
        before = database_snapshot()
        for fields, error, field in cases:
            with pytest.raises(error) as refusal:
                pickup_slot_book(actor=merchant, waybill_no=waybill.waybill_no, **fields)
            assert refusal.value.field == field, fields
        with pytest.raises(Conflict) as not_pickup:
            pickup_slot_book(actor=merchant, waybill_no=drop_off.waybill_no, window_id=afternoon[1].pk, day=MON)
        assert not_pickup.value.code == "waybill_not_pick_up"
        with refused(NotFound, "waybill_not_found"):
            pickup_slot_book(actor=other_merchant, waybill_no=waybill.waybill_no, window_id=afternoon[1].pk, day=MON)
        with refused(Forbidden, "forbidden"):
            pickup_slot_book(actor=carrier_staff, waybill_no=waybill.waybill_no, window_id=afternoon[1].pk, day=MON)
        with pytest.raises(Conflict) as nothing:
            pickup_slot_cancel(actor=merchant, waybill_no=waybill.waybill_no)
        assert nothing.value.code == "no_pickup_slot"
        assert database_snapshot() == before


def test_carriers_publish_only_sound_windows_in_areas_they_cover(dispatcher, jt, merchant, windows):
    good = dict(division_code="440100", weekdays=[6], starts_at="10:00", ends_at="12:00", capacity=10)
    cases = [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [8]}, "weekdays"),
        ({"starts_at": "25:00"}, "starts_at"),
        ({"starts_at": "10:00<script>"}, "starts_at"),
        ({"ends_at": "09:00"}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 10**30}, "capacity"),
        ({"cutoff_minutes": -5}, "cutoff_minutes"),
        ({"division_code": "999999"}, "division_code"),
        ({"division_code": "110000"}, "division_code"),  # Beijing: not J&T's here
        (
            {"division_code": "441900", "weekdays": [1], "starts_at": "16:00", "ends_at": "18:00"},
            "starts_at",
        ),  # overlap
    ]
    ws_admin = factories.actor(factories.carrier("WS").organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    with time_machine.travel(MONDAY_9AM, tick=False):
        before = database_snapshot()
        for change, field in cases:
            with pytest.raises(ApplicationError) as refusal:
                pickup_window_create(actor=dispatcher, **{**good, **change})
            assert refusal.value.field == field, change
        with refused(Forbidden, "forbidden"):
            pickup_window_create(actor=merchant, **good)
        with refused(NotFound, "pickup_window_not_found"):
            pickup_window_withdraw(actor=ws_admin, window_id=windows["morning"].pk)
        assert database_snapshot() == before
        pickup_window_withdraw(actor=dispatcher, window_id=windows["morning"].pk)
        with refused(Conflict, "pickup_window_inactive"):
            pickup_window_withdraw(actor=dispatcher, window_id=windows["morning"].pk)
    assert not PickupWindow.objects.get(pk=windows["morning"].pk).is_active


def test_an_erp_books_slots_through_the_api_with_per_parcel_results(api, merchant, hongmei, changan, windows, jt):
    erp = api(factories.token(merchant.organisation))
    carrier_api = api(factories.token(jt.organisation))
    monday = windows["afternoon"][1]
    with time_machine.travel(MONDAY_9AM, tick=False):
        # Before arranging: the warehouse's PICK UP and its slots, to pass along with the orders.
        before = erp.get(f"/warehouses/{hongmei.pk}/pickup-slots").json()
        assert before["can_pickup"] and before["pickup_slots"][0]["window_id"] == monday.pk
        pending = erp.get(f"/warehouses/{changan.pk}/pickup-slots").json()
        assert (pending["can_pickup"], pending["can_drop_off"], pending["pickup_slots"]) == (False, True, [])
        orders = [erp.post("/orders", {"order_no": f"API{i}"}).json()["id"] for i in range(3)]
        dropped = erp.post("/orders", {"order_no": "API-DO", "warehouse_code": changan.code}).json()["id"]
        arranged = erp.post(
            "/orders/arrange-shipment",
            {"order_ids": [*orders, dropped], "pickup_slot": {"window_id": monday.pk, "date": "2023-09-18"}},
        ).json()
        # Four waybills; the three PICK UP ones tried the window of two, the DROP OFF one had none to book.
        assert len(arranged["waybills"]) == 4
        results = [(r["ok"], (r["error"] or {}).get("code")) for r in arranged["pickup_bookings"]]
        assert results == [(True, None), (True, None), (False, "pickup_slot_full")]
        third = arranged["pickup_bookings"][2]["waybill_no"]

        options = erp.get(f"/waybills/{third}/handover-options").json()
        assert (options["can_pickup"], options["can_drop_off"], options["booked"]) == (True, True, None)
        assert options["drop_off_at"]["sorting_centre_code"]
        first = options["pickup_slots"][0]
        assert (first["date"], first["starts"], first["remaining"]) == ("2023-09-18", "2023-09-18T14:00:00+08:00", 0)
        booked = erp.client.put(
            f"/api/v1/waybills/{third}/pickup-slot",
            {"window_id": windows["morning"].pk, "date": "2023-09-19"},
            content_type="application/json",
            headers=erp.headers,
        )
        assert booked.status_code == 200 and booked.json()["pickup_date"] == "2023-09-19"
        assert erp.get(f"/waybills/{third}/handover-options").json()["booked"]["window_id"] == windows["morning"].pk

        batch = erp.post(
            "/pickup-slot-bookings",
            {
                "bookings": [
                    {"waybill_no": third, "window_id": windows["afternoon"][2].pk, "date": "2023-09-19"},
                    {"waybill_no": "JT99999999999", "window_id": monday.pk, "date": "2023-09-18"},
                    {"waybill_no": third, "window_id": monday.pk, "date": "2023-09-20"},
                ]
            },
        ).json()
        assert (batch["booked"], batch["failed"]) == (1, 2)
        assert [(r["error"] or {}).get("field") for r in batch["results"]] == [None, "waybill_no", "date"]

        cancelled = erp.client.delete(f"/api/v1/waybills/{third}/pickup-slot", headers=erp.headers)
        assert cancelled.status_code == 200 and cancelled.json()["pickup_window_id"] is None
        # The carrier reads the windows and may not book for a merchant.
        listed = carrier_api.get("/pickup-windows").json()["results"]
        assert {w["weekday"] for w in listed} == {1, 2, 3, 4, 5}
        assert carrier_api.get("/pickup-closures").json()[0]["date"] == "2023-09-20"
        refused = carrier_api.client.put(
            f"/api/v1/waybills/{third}/pickup-slot",
            {"window_id": monday.pk, "date": "2023-09-18"},
            content_type="application/json",
            headers=carrier_api.headers,
        )
        assert refused.status_code in (403, 404)
        assert erp.get(f"/waybills/{third}/handover-options", days=99).status_code == 400
        assert erp.post("/pickup-windows", {"division_code": "441900"}).status_code in (403, 422)


def test_a_carrier_system_publishes_windows_and_closures_through_the_api(api, jt, windows):
    system = api(factories.token(jt.organisation, role=Role.ADMIN))
    with time_machine.travel(MONDAY_9AM, tick=False):
        created = system.post(
            "/pickup-windows",
            {"division_code": "440100", "weekdays": [6, 7], "starts_at": "10:00", "ends_at": "12:00", "capacity": 30},
        )
        assert created.status_code == 201 and [w["weekday"] for w in created.json()] == [6, 7]
        bad = system.post(
            "/pickup-windows",
            {"division_code": "440100", "weekdays": [6], "starts_at": "12:00", "ends_at": "10:00", "capacity": 30},
        )
        assert bad.status_code == 400 and bad.json()["field"] == "ends_at"
        closure = system.post("/pickup-closures", {"date": "2023-10-01", "reason": "国庆节"})
        assert closure.status_code == 201 and closure.json()["division_code"] is None
        again = system.post("/pickup-closures", {"date": "2023-10-01", "reason": "again"})
        assert again.status_code == 409 and again.json()["code"] == "pickup_closure_exists"
        removed = system.client.delete(f"/api/v1/pickup-closures/{closure.json()['id']}", headers=system.headers)
        assert removed.status_code == 204
        window_id = created.json()[0]["id"]
        assert system.post(f"/pickup-windows/{window_id}/withdraw", {}).json()["is_active"] is False


def test_the_portals_publish_windows_and_book_a_slot(merchant, hongmei, jt, dispatcher):
    from django.test import Client

    carrier = Client()
    carrier.force_login(dispatcher.user)
    shop = Client()
    shop.force_login(merchant.user)
    with time_machine.travel(MONDAY_9AM, tick=False):
        page = carrier.post(
            "/carrier/pickup-windows/save/",
            {
                "action": "publish",
                "division_code": "441900",
                "weekdays": ["1", "2"],
                "starts_at": "14:00",
                "ends_at": "16:00",
                "capacity": "3",
                "cutoff_minutes": "60",
            },
            follow=True,
        ).content.decode()
        assert "14:00–16:00" in page
        refused = carrier.post(
            "/carrier/pickup-windows/save/",
            {
                "action": "publish",
                "division_code": "441900",
                "weekdays": ["1"],
                "starts_at": "15:00",
                "ends_at": "18:00",
                "capacity": "3",
            },
            follow=True,
        )
        assert PickupWindow.objects.count() == 2 and any(m.level_tag == "error" for m in refused.context["messages"])
        carrier.post("/carrier/pickup-windows/save/", {"action": "close", "date": "2023-09-19", "reason": "停电"})

        [waybill] = _ship(merchant, 1)
        order_url = f"/merchant/orders/{waybill.order_id}/"
        detail = shop.get(order_url).content.decode()
        monday = PickupWindow.objects.get(weekday=1)
        assert f'value="{monday.pk}@2023-09-18"' in detail
        assert "@2023-09-19" not in detail  # closed that day
        shop.post(f"{order_url}pickup-slot/", {"slot": f"{monday.pk}@2023-09-18"})
        waybill.refresh_from_db()
        assert (waybill.pickup_window, str(waybill.pickup_date)) == (monday, "2023-09-18")
        assert "09-18" in shop.get(order_url).content.decode().split('id="pickup-slot"')[1]
        bad = shop.post(f"{order_url}pickup-slot/", {"slot": "nonsense"}, follow=True)
        assert any(m.level_tag == "error" for m in bad.context["messages"])
        shop.post(f"{order_url}pickup-slot/cancel/")
        waybill.refresh_from_db()
        assert waybill.pickup_window is None

        # Booking while arranging shipment: one window for every PICK UP parcel arranged.
        orders = [order_create(actor=merchant, order_no=f"PORTAL{i}") for i in range(2)]
        listing = shop.get("/merchant/orders/").content.decode()
        assert f'value="{monday.pk}@2023-09-18"' in listing
        done = shop.post(
            "/merchant/orders/arrange/",
            {"order_ids": [o.pk for o in orders], "slot": f"{monday.pk}@2023-09-18"},
            follow=True,
        )
        assert any("2" in str(m) and m.level_tag == "success" for m in done.context["messages"])
    booked = Waybill.objects.filter(order__in=orders)
    assert {(w.pickup_window_id, str(w.pickup_date)) for w in booked} == {(monday.pk, "2023-09-18")}


@pytest.mark.django_db(transaction=True)
def test_two_merchants_racing_for_the_last_place_in_a_window_one_gets_it(divisions, jt):
    """The window row is the lock: the capacity holds under concurrent bookings."""
    import threading

    from django.db import connection

    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create

    from .conftest import HONGMEI

    dispatcher = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    merchants = [factories.actor(kind=OrganisationKind.MERCHANT) for _ in range(2)]
    with time_machine.travel(MONDAY_9AM, tick=False):
        [window] = pickup_window_create(
            actor=dispatcher, division_code="441900", weekdays=[1], starts_at="14:00", ends_at="16:00", capacity=1
        )
        parcels = []
        for merchant in merchants:
            warehouse_create(actor=merchant, **HONGMEI)
            subscription_approve(
                actor=staff,
                subscription_ids=[PickupSubscription.objects.get(warehouse__merchant=merchant.organisation).pk],
            )
            [waybill] = _ship(merchant, 1)
            parcels.append((merchant, waybill))
        start = threading.Barrier(2)
        outcome = []

        def book(merchant, waybill):
            try:
                start.wait()
                pickup_slot_book(actor=merchant, waybill_no=waybill.waybill_no, window_id=window.pk, day=MON)
                outcome.append("booked")
            except Conflict as err:
                outcome.append(err.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=book, args=pair) for pair in parcels]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(outcome) == ["booked", "pickup_slot_full"]
    assert Waybill.objects.filter(pickup_window=window, pickup_date=MON).count() == 1
