"""A reverse order's history is shown to its merchant and its warehouse's carrier, never to another party.

The selector filters the events itself, as the last line of defence: a caller
that hands it an order fetched some other way still shows nothing of another's.
"""

from __future__ import annotations

import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import NotFound
from firstmile.reverse.selectors import reverse_get, reverse_timeline
from firstmile.reverse.services import exception_raise

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db


def test_the_timeline_shows_an_order_to_its_parties_only(
    merchant, other_merchant, warehouse_operator, make_order, platform_actor
):
    order = make_order()
    exception_raise(actor=warehouse_operator, reverse_order_id=order.pk, kind="other", description="外箱破损")
    theirs = list(reverse_timeline(actor=merchant, order=order))
    assert [event.kind for event in theirs] == ["reverse_order.created", "reverse_order.exception_raised"]
    assert list(reverse_timeline(actor=warehouse_operator, order=order)) == theirs
    assert list(reverse_timeline(actor=platform_actor, order=order)) == theirs
    another_carrier = factories.actor(
        factories.carrier("JT").organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN
    )
    assert list(reverse_timeline(actor=other_merchant, order=order)) == []
    assert list(reverse_timeline(actor=another_carrier, order=order)) == []


def test_another_merchant_cannot_fetch_the_order_by_id(merchant, other_merchant, make_order):
    order = make_order()
    with refused(NotFound, "reverse_order_not_found"):
        reverse_get(actor=other_merchant, reverse_order_id=order.pk)
    assert reverse_get(actor=merchant, reverse_order_id=order.pk) == order
