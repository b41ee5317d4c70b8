"""A warehouse's history is its merchant's; a pickup request's is the merchant's and the carrier's."""

from __future__ import annotations

import pytest

from firstmile.core.errors import NotFound
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.selectors import subscription_timeline, warehouse_get, warehouse_timeline
from firstmile.pickup.services import subscription_approve, warehouse_create

from ..refusals import refused
from ..shipping.conftest import HONGMEI

pytestmark = pytest.mark.django_db


def test_warehouse_and_request_timelines_show_only_to_their_parties(
    merchant, other_merchant, covered, jt_staff, ws_staff, platform_actor
):
    warehouse = warehouse_create(actor=merchant, **HONGMEI).warehouse
    subscription = PickupSubscription.objects.get(warehouse=warehouse)
    subscription_approve(actor=jt_staff, subscription_ids=[subscription.pk])

    own = list(warehouse_timeline(actor=merchant, warehouse=warehouse))
    assert {"warehouse.created", "subscription.approved"} <= {event.kind for event in own}
    assert list(warehouse_timeline(actor=platform_actor, warehouse=warehouse)) == own
    assert list(warehouse_timeline(actor=other_merchant, warehouse=warehouse)) == []
    # The warehouse's own page is the merchant's: the carrier sees its request, not the warehouse's timeline.
    assert list(warehouse_timeline(actor=jt_staff, warehouse=warehouse)) == []

    request = list(subscription_timeline(actor=merchant, subscription=subscription))
    assert "subscription.approved" in {event.kind for event in request}
    assert list(subscription_timeline(actor=jt_staff, subscription=subscription)) == request
    assert list(subscription_timeline(actor=other_merchant, subscription=subscription)) == []
    assert list(subscription_timeline(actor=ws_staff, subscription=subscription)) == []

    with refused(NotFound, "warehouse_not_found"):
        warehouse_get(actor=other_merchant, warehouse_id=warehouse.pk)
