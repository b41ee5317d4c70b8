import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing

from .. import factories

ADDRESS = {
    "name": "东莞一号仓",
    "code": "DG-01",
    "contact_name": "陈经理",
    "phone": "138 0013 8000",
    "division_code": "441900125",
    "address_detail": "洪屋涡村工业路3号",
}


@pytest.fixture
def covered(jt):
    """J&T collects in Dongguan, Shenzhen and Guangzhou, as before the switchover."""
    for city in ("441900", "440300", "440100"):
        coverage_assign(actor=None, division_code=city, carrier=jt, valid_from=beijing(2023, 1, 1))
    return jt


@pytest.fixture
def merchant(db):
    return factories.actor(kind=OrganisationKind.MERCHANT)


@pytest.fixture
def other_merchant(db):
    return factories.actor(kind=OrganisationKind.MERCHANT)


@pytest.fixture
def jt_staff(jt):
    return factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)


@pytest.fixture
def ws_staff(ws):
    return factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
