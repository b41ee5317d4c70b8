import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing

from .. import factories
from .receiver import Receiver

HONGMEI = {
    "name": "东莞洪梅仓",
    "code": "DG-HM",
    "contact_name": "陈经理",
    "phone": "13800138000",
    "division_code": "441900125",
    "address_detail": "洪屋涡村工业路3号",
}


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def ws(db):
    carrier = factories.carrier("WS", with_centre_in="441900125")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    return carrier


@pytest.fixture
def merchant(db):
    return factories.actor(kind=OrganisationKind.MERCHANT, role=Role.ADMIN)


@pytest.fixture
def ws_admin(ws):
    return factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)


@pytest.fixture
def ws_staff(ws):
    return factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
