import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create

from .. import factories

HONGMEI = {
    "name": "东莞洪梅仓",
    "code": "DG-HM",
    "contact_name": "陈经理",
    "phone": "13800138000",
    "division_code": "441900125",
    "address_detail": "洪屋涡村工业路3号",
}
CHANGAN = {
    **HONGMEI,
    "name": "东莞长安仓",
    "code": "DG-CA",
    "division_code": "441900119",
    "address_detail": "振安路5号",
}


@pytest.fixture
def jt(db):
    carrier = factories.carrier("JT", with_centre_in="440111107")
    for city in ("441900", "440300", "440100"):
        coverage_assign(actor=None, division_code=city, carrier=carrier, valid_from=beijing(2023, 1, 1))
    return carrier


@pytest.fixture
def merchant(db):
    return factories.actor(kind=OrganisationKind.MERCHANT)


@pytest.fixture
def jt_staff(jt):
    return factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)


@pytest.fixture
def hongmei(merchant, jt, jt_staff):
    """A Dongguan warehouse whose pickup J&T approved: its labels say PICK UP."""
    warehouse = warehouse_create(actor=merchant, **HONGMEI).warehouse
    subscription_approve(actor=jt_staff, subscription_ids=[PickupSubscription.objects.get(warehouse=warehouse).pk])
    return warehouse


@pytest.fixture
def changan(merchant, jt):
    """A Dongguan warehouse whose pickup request is still pending: DROP OFF."""
    return warehouse_create(actor=merchant, **CHANGAN).warehouse
