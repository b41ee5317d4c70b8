from datetime import UTC, datetime

import pytest
import time_machine

from firstmile.dispatch.models import PickupTask
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories

pytestmark = pytest.mark.django_db
MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)


def test_carrier_system_sets_up_a_team_plans_and_receives(api, jt, merchant, hongmei):
    system = api(factories.token(jt.organisation))
    route = system.post("/dispatch/routes", {"name": "东莞", "division_codes": ["441900"]}).json()
    driver = system.post("/dispatch/drivers", {"name": "李师傅", "phone": "13900000001"}).json()
    roster = system.post(
        "/dispatch/roster", {"driver_id": driver["id"], "route_id": route["id"], "day_type": "weekday", "capacity": 5}
    )
    assert roster.status_code == 200
    with time_machine.travel(MONDAY, tick=False):
        order = order_create(actor=merchant, order_no="A1")
        [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
        plan = system.post("/dispatch/plan", {}).json()
        assert (plan["tasks"], plan["assigned"]) == (1, 1)
        [task] = system.get("/dispatch/tasks").json()
        assert (task["driver"], task["parcel_count"], task["warehouse_code"]) == ("李师傅", 1, "DG-HM")
        # A carrier system cannot scan at the warehouse: that is a driver's act.
        assert system.post("/scans/pickup", {"waybill_no": waybill.waybill_no}).status_code == 403
        inbound = system.post("/scans/inbound", {"sorting_centre": "JT-HUB", "waybill_no": waybill.waybill_no})
        assert inbound.status_code == 200
        assert inbound.json()["waybill"]["status"] == "received"
        again = system.post("/scans/inbound", {"sorting_centre": "JT-HUB", "waybill_no": waybill.waybill_no})
        assert again.status_code == 409 and again.json()["code"] == "waybill_already_scanned"


def test_another_carrier_sees_no_tasks_and_cannot_assign(api, jt, merchant, hongmei):
    system = api(factories.token(jt.organisation))
    route = system.post("/dispatch/routes", {"name": "东莞", "division_codes": ["441900"]}).json()
    driver = system.post("/dispatch/drivers", {"name": "李师傅", "phone": "13900000001"}).json()
    system.post("/dispatch/roster", {"driver_id": driver["id"], "route_id": route["id"], "day_type": "weekday"})
    ws = factories.carrier("WS")
    other = api(factories.token(ws.organisation))
    with time_machine.travel(MONDAY, tick=False):
        order = order_create(actor=merchant, order_no="A2")
        shipment_arrange(actor=merchant, order_ids=[order.pk])
        system.post("/dispatch/plan", {})
        task = PickupTask.objects.get()
        assert other.get("/dispatch/tasks").json() == []
        response = other.post(f"/dispatch/tasks/{task.pk}/assign", {"shift_id": None})
        assert response.status_code == 404
    task.refresh_from_db()
    assert task.shift is not None


def test_merchants_cannot_use_the_dispatch_api(api, merchant):
    client = api(factories.token(merchant.organisation))
    assert client.post("/dispatch/plan", {}).status_code == 403
    assert client.get("/dispatch/tasks").status_code == 403
