# The forward flow's shared setup: J&T covering Dongguan, a warehouse with pickup
# approved (PICK UP) and one still pending (DROP OFF).
import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.dispatch.services import driver_create, roster_set, route_create

from .. import factories
from ..shipping.conftest import CHANGAN, HONGMEI, changan, hongmei, jt, jt_staff, merchant  # noqa: F401


@pytest.fixture
def dispatcher(jt):  # noqa: F811 (the imported fixture)
    return factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)


@pytest.fixture
def crew(dispatcher):
    """Two drivers on the Dongguan west route on weekdays, one at weekends."""
    route = route_create(actor=dispatcher, name="东莞西线", division_codes=["441900125", "441900119"])
    li = driver_create(actor=dispatcher, name="李师傅", phone="13900000001", username="li", password="drive-safe-1")
    wang = driver_create(actor=dispatcher, name="王师傅", phone="13900000002", username="wang", password="drive-safe-2")
    roster_set(actor=dispatcher, driver_id=li.pk, route_id=route.pk, day_type="weekday", capacity=20)
    roster_set(actor=dispatcher, driver_id=wang.pk, route_id=route.pk, day_type="weekday", capacity=20)
    roster_set(actor=dispatcher, driver_id=li.pk, route_id=route.pk, day_type="weekend", capacity=30)
    return {"route": route, "li": li, "wang": wang}
