"""A stop's and a parcel's tracking history are its merchant's and its carrier's, nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import NotFound
from firstmile.dispatch.models import PickupTask
from firstmile.dispatch.selectors import stop_get, stop_timeline
from firstmile.dispatch.services import day_plan, task_assign
from firstmile.dispatch.tracking import tracking_of, tracking_timeline
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db
MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)


def test_stop_and_tracking_histories_show_only_to_their_parties(merchant, hongmei, dispatcher, crew, platform_actor):
    with time_machine.travel(MONDAY, tick=False):
        order = order_create(actor=merchant, order_no="TT1")
        [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
        day_plan(actor=dispatcher)
        task = PickupTask.objects.get()
        task_assign(actor=dispatcher, task_id=task.pk, shift_id=task.shift_id)
    other_merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    other_carrier = factories.actor(
        factories.carrier("WS").organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN
    )

    tracking = tracking_of(waybill)
    seen_by_merchant = list(tracking_timeline(actor=merchant, tracking=tracking))
    assert {"order.created", "waybill.issued"} <= {event.kind for event in seen_by_merchant}
    assert "waybill.issued" in {event.kind for event in tracking_timeline(actor=dispatcher, tracking=tracking)}
    assert list(tracking_timeline(actor=platform_actor, tracking=tracking)) != []
    assert list(tracking_timeline(actor=other_merchant, tracking=tracking)) == []
    assert list(tracking_timeline(actor=other_carrier, tracking=tracking)) == []

    stop = list(stop_timeline(actor=dispatcher, task=task))
    assert [event.kind for event in stop] == ["pickup_task.assigned"]
    assert list(stop_timeline(actor=merchant, task=task)) == stop
    assert list(stop_timeline(actor=other_merchant, task=task)) == []
    assert list(stop_timeline(actor=other_carrier, task=task)) == []
    for outsider in (other_merchant, other_carrier):
        with refused(NotFound, "task_not_found"):
            stop_get(actor=outsider, task_id=task.pk)
