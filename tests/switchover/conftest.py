from datetime import UTC, datetime

import pytest
import time_machine

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.clock import beijing

from .. import factories
from ..shipping.conftest import CHANGAN, HONGMEI, changan, hongmei, jt, jt_staff, merchant  # noqa: F401

BEFORE = datetime(2023, 9, 10, 2, 0, tzinfo=UTC)  # 2023-09-10 10:00 Beijing
CUTOVER = beijing(2023, 9, 19)


@pytest.fixture
def clock():
    """Frozen at 2023-09-10 10:00 Beijing; ``clock.move_to(instant)`` moves it."""
    with time_machine.travel(BEFORE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ws(db):
    return factories.carrier("WS", with_centre_in="441900125")


@pytest.fixture
def ws_staff(ws):
    return factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)


@pytest.fixture
def ops(db):
    return factories.actor(kind=OrganisationKind.PLATFORM)
