"""Failed pickups with reasons, retried the next day, flagged after repeated failures; the attention view."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.dispatch.models import PickupFailure, PickupTask, TaskParcel, TaskStatus
from firstmile.dispatch.selectors import attention
from firstmile.dispatch.services import day_plan, pickup_fail, scan_pickup, task_close
from firstmile.events.models import Event

from .. import factories
from ..refusals import refused
from ..snapshots import database_snapshot
from .test_services import MONDAY, TUESDAY, _as_driver, _ship

pytestmark = pytest.mark.django_db
WEDNESDAY = datetime(2023, 9, 20, 1, 0, tzinfo=UTC)


def _driver_of(task):
    return _as_driver(task.shift.driver)


def test_a_driver_records_why_the_pickup_failed_and_the_parcels_come_back_tomorrow(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        waybills = _ship(merchant, 3)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        driver = _driver_of(task)
        scan_pickup(actor=driver, waybill_no=waybills[0].waybill_no)
        failure = pickup_fail(actor=driver, task_id=task.pk, reason="not_ready", note="仓库说下午才打包好")
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED
    assert (failure.reason, failure.parcels_left, failure.retry_on) == ("not_ready", 2, date(2023, 9, 19))
    assert failure.driver == crew["li"] or failure.driver == crew["wang"]
    event = Event.objects.get(kind="pickup_task.failed")
    assert event.owner == merchant.organisation and event.payload["reason"] == "not_ready"
    assert event.payload["left"] == 2 and event.payload["flagged"] == 0
    # The collected parcel is not counted; the two left wait for Tuesday's task.
    assert sorted(TaskParcel.objects.values_list("failed_attempts", flat=True)) == [0, 1, 1]
    with time_machine.travel(TUESDAY, tick=False):
        plan = day_plan(actor=dispatcher)
    assert plan.parcels_rolled_over == 2
    tuesday = PickupTask.objects.get(date=date(2023, 9, 19))
    assert tuesday.parcels.count() == 2
    assert set(tuesday.parcels.values_list("failed_attempts", flat=True)) == {1}


def test_after_the_limit_a_parcel_is_flagged_for_merchant_carrier_and_platform(merchant, hongmei, dispatcher, crew):
    platform = factories.actor(kind=OrganisationKind.PLATFORM)
    with time_machine.travel(MONDAY, tick=False):
        [waybill] = _ship(merchant, 1)
        day_plan(actor=dispatcher)
        pickup_fail(actor=dispatcher, task_id=PickupTask.objects.get().pk, reason="merchant_closed")
    with time_machine.travel(TUESDAY, tick=False):
        day_plan(actor=dispatcher)
        tuesday = PickupTask.objects.get(date=date(2023, 9, 19))
        pickup_fail(actor=_driver_of(tuesday), task_id=tuesday.pk, reason="no_contact")
    with time_machine.travel(WEDNESDAY, tick=False):
        for actor in (merchant, dispatcher, platform):
            seen = attention(actor=actor)
            assert [p.waybill.waybill_no for p in seen.flagged] == [waybill.waybill_no]
            assert seen.flagged_count == 1 and seen.failure_count == 2
            # Issued Monday 09:00, not collected by Wednesday 09:00: 48 hours.
            assert seen.stale_count == 1
        other = factories.actor(kind=OrganisationKind.MERCHANT)
        nothing = attention(actor=other)
        assert (nothing.flagged_count, nothing.failure_count, nothing.stale_count) == (0, 0, 0)
        ws = factories.carrier("WS")
        ws_staff = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
        assert attention(actor=ws_staff).failure_count == 0


def test_refusals_change_nothing(merchant, hongmei, dispatcher, crew):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 1)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        driver = _driver_of(task)
        ws = factories.carrier("WS")
        ws_admin = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
        before = database_snapshot()
        with pytest.raises(ApplicationError) as bad:
            pickup_fail(actor=driver, task_id=task.pk, reason="weather")
        assert bad.value.field == "reason"
        with pytest.raises(ApplicationError) as unexplained:
            pickup_fail(actor=driver, task_id=task.pk, reason="other", note="  ")
        assert unexplained.value.field == "note"
        with refused(ApplicationError, "invalid_input"):
            pickup_fail(actor=driver, task_id=task.pk, reason="refused", note="x" * 201)
        # Another carrier's dispatcher: no such task. A merchant: not a dispatcher.
        with refused(NotFound, "task_not_found"):
            pickup_fail(actor=ws_admin, task_id=task.pk, reason="refused")
        with refused(Forbidden, "forbidden"):
            pickup_fail(actor=merchant, task_id=task.pk, reason="refused")
        assert database_snapshot() == before
        pickup_fail(actor=driver, task_id=task.pk, reason="refused")
        with refused(Conflict, "task_closed"):
            pickup_fail(actor=driver, task_id=task.pk, reason="refused")
        with refused(Conflict, "task_closed"):
            task_close(actor=driver, task_id=task.pk)
    assert PickupFailure.objects.count() == 1


def test_api_and_driver_page(merchant, hongmei, dispatcher, crew, api, client):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 2)
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        carrier_api = api(factories.token(dispatcher.organisation))
        bad = carrier_api.post(f"/dispatch/tasks/{task.pk}/fail", {"reason": "weather"})
        assert bad.status_code == 422
        merchant_api = api(factories.token(merchant.organisation))
        assert merchant_api.post(f"/dispatch/tasks/{task.pk}/fail", {"reason": "refused"}).status_code == 403
        done = carrier_api.post(f"/dispatch/tasks/{task.pk}/fail", {"reason": "address_wrong", "note": "门牌不对"})
        assert done.status_code == 200, done.json()
        body = done.json()
        assert (body["reason"], body["parcels_left"], body["retry_on"]) == ("address_wrong", 2, "2023-09-19")
        closed = carrier_api.post(f"/dispatch/tasks/{task.pk}/fail", {"reason": "refused"})
        assert closed.status_code == 409 and closed.json()["code"] == "task_closed"
        seen = merchant_api.get("/attention").json()
        assert seen["failure_count"] == 1 and seen["failures"][0]["reason"] == "address_wrong"
        assert seen["failures"][0]["warehouse_code"] == hongmei.code

    with time_machine.travel(TUESDAY, tick=False):
        day_plan(actor=dispatcher)
        tuesday = PickupTask.objects.get(date=date(2023, 9, 19))
        client.force_login(tuesday.shift.driver.user)
        page = client.get("/driver/")
        assert "Pickup failed" in page.content.decode() or "揽收失败" in page.content.decode()
        failed = client.post(f"/driver/stops/{tuesday.pk}/fail/", {"reason": "over_capacity"})
        assert failed.status_code == 302
        tuesday.refresh_from_db()
        assert tuesday.status == TaskStatus.FAILED
        client.force_login(factories.user(merchant.organisation))
        board = client.get("/merchant/attention/").content.decode()
        assert hongmei.name in board
        assert f"/merchant/stops/{tuesday.pk}/" in board  # each failure opens its stop
        help_page = client.get("/merchant/pickup-help/").content.decode()
        assert "over_capacity" not in help_page and ("More parcels than" in help_page or "货量超出" in help_page)


def test_every_party_has_its_attention_page_and_drivers_have_none(merchant, hongmei, dispatcher, crew, client):
    with time_machine.travel(MONDAY, tick=False):
        _ship(merchant, 1)
        day_plan(actor=dispatcher)
        pickup_fail(actor=dispatcher, task_id=PickupTask.objects.get().pk, reason="refused")
        for org, path in (
            (factories.organisation(kind=OrganisationKind.PLATFORM), "/ops/attention/"),
            (dispatcher.organisation, "/carrier/attention/"),
            (merchant.organisation, "/merchant/attention/"),
        ):
            client.force_login(factories.user(org, role=Role.STAFF))
            page = client.get(path)
            assert page.status_code == 200 and hongmei.name in page.content.decode(), path
        client.force_login(crew["li"].user)
        assert client.get("/ops/attention/").status_code == 403
        assert client.get("/carrier/attention/").status_code == 403
