"""A batch's progress over time: requests pushed, approved, and warehouses the new carrier collects from."""

from datetime import timedelta

import pytest
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve
from firstmile.shipping.models import Waybill
from firstmile.shipping.services import order_create, shipment_arrange
from firstmile.switchover.services import batch_push, batch_schedule, switchover_create

from .. import factories
from .conftest import CUTOVER

pytestmark = pytest.mark.django_db


def test_the_timeline_runs_from_the_push_to_the_first_collection(api, ops, merchant, jt, ws, hongmei, clock):
    switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops, switchover_id=switchover.pk, name="东莞", cutover_at=CUTOVER, division_codes=["441900"]
    )
    client = api(factories.token(ops.organisation))
    assert client.get(f"/switchover-batches/{batch.pk}/timeline").json() == []  # nothing pushed yet

    batch_push(actor=ops, batch_id=batch.pk)
    days = client.get(f"/switchover-batches/{batch.pk}/timeline").json()
    assert days == [{"day": "2023-09-10", "pushed": 1, "approved": 0, "collecting": 0}]

    clock.move_to(CUTOVER - timedelta(days=2))
    ws_staff = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    subscription_approve(actor=ws_staff, subscription_ids=[PickupSubscription.objects.get(carrier=ws).pk])
    clock.move_to(CUTOVER + timedelta(hours=2))
    order = order_create(actor=merchant, order_no="AFTER-1", warehouse_code=hongmei.code)
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert waybill.carrier == ws
    # Arranged here rather than through a driver's scan: only the collection instant matters to the timeline.
    Waybill.objects.filter(pk=waybill.pk).update(collected_at=CUTOVER + timedelta(hours=3))

    days = client.get(f"/switchover-batches/{batch.pk}/timeline").json()
    assert days[0]["day"] == "2023-09-10" and days[-1]["day"] == "2023-09-19"
    by_day = {d["day"]: (d["pushed"], d["approved"], d["collecting"]) for d in days}
    assert by_day["2023-09-16"] == (1, 0, 0)
    assert by_day["2023-09-17"] == (1, 1, 0)
    assert by_day["2023-09-19"] == (1, 1, 1)

    # The batch page draws it; another party does not see the batch at all.
    web = Client()
    web.force_login(ops.user)
    page = web.get(f"/ops/batches/{batch.pk}/").content.decode()
    assert 'data-chart="timeline"' in page and "2023-09-19" in page
    for org in (merchant.organisation, ws.organisation):
        assert api(factories.token(org)).get(f"/switchover-batches/{batch.pk}/timeline").status_code == 404
