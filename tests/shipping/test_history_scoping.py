"""A parcel's history is its merchant's and its carrier's: another party sees none of it, by id or by object."""

from __future__ import annotations

import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import NotFound
from firstmile.shipping.selectors import waybill_get, waybill_history
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db


def test_the_history_shows_a_parcel_to_its_parties_only(merchant, hongmei, jt_staff, platform_actor):
    order = order_create(actor=merchant, order_no="TT1")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    theirs = list(waybill_history(actor=merchant, waybill=waybill))
    assert {"order.created", "waybill.issued"} <= {event.kind for event in theirs}
    # The carrier sees the parcel from its waybill on; the order before it is the merchant's own.
    assert [event.kind for event in waybill_history(actor=jt_staff, waybill=waybill)] == ["waybill.issued"]
    assert list(waybill_history(actor=platform_actor, waybill=waybill)) == theirs
    other_merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    other_carrier = factories.actor(
        factories.carrier("WS").organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF
    )
    assert list(waybill_history(actor=other_merchant, waybill=waybill)) == []
    assert list(waybill_history(actor=other_carrier, waybill=waybill)) == []
    for outsider in (other_merchant, other_carrier):
        with refused(NotFound, "waybill_not_found"):
            waybill_get(actor=outsider, waybill_id=waybill.pk)
        with refused(NotFound, "waybill_not_found"):
            waybill_get(actor=outsider, waybill_no=waybill.waybill_no)
