"""Property: a parcel's stored tracking status is the one its own events replay to, for any history."""

import pytest
from django.db import transaction
from hypothesis import given, settings

from firstmile.dispatch.tracking import STATUSES, replay_status
from firstmile.events.models import Event
from firstmile.shipping.models import Waybill

from .histories import World, histories


@pytest.mark.django_db
@settings(max_examples=50, deadline=None)
@given(days=histories)
def test_the_stored_status_equals_the_replay_of_the_parcels_events(days):
    with transaction.atomic():
        world = World()
        world.play(days)
        events = {}
        for subject_id, kind, from_state, at in (
            Event.objects.filter(subject_type="shipping.waybill")
            .order_by("occurred_at", "id")
            .values_list("subject_id", "kind", "from_state", "occurred_at")
        ):
            events.setdefault(int(subject_id), []).append((kind, from_state, at))
        for waybill in Waybill.objects.all():
            assert waybill.tracking_status in STATUSES
            assert (waybill.tracking_status, waybill.tracking_since) == replay_status(events[waybill.pk]), (
                waybill.waybill_no,
                events[waybill.pk],
            )
        transaction.set_rollback(True)
