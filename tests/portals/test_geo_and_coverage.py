import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.models import CoverageArea
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.events.models import Event

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    client.force_login(factories.user(factories.organisation(OrganisationKind.PLATFORM), Role.STAFF))
    return client


@pytest.fixture
def merchant_client(client):
    client.force_login(factories.user(factories.organisation(OrganisationKind.MERCHANT)))
    return client


def _picker(client, code):
    return client.get("/geo/region-picker/", {"field": "division", "division__pick": code}).content.decode()


def test_region_picker_offers_the_next_level(merchant_client):
    page = merchant_client.get(
        "/geo/region-picker/", {"field": "division", "division__pick": "441900"}
    ).content.decode()
    assert 'value="441900125"' in page
    assert "洪梅镇" in page
    assert 'name="division" value="441900"' in page


def test_region_picker_at_a_town_is_complete(merchant_client):
    page = merchant_client.get(
        "/geo/region-picker/", {"field": "division", "division__pick": "441900125"}
    ).content.decode()
    assert 'data-complete="1"' in page


def test_coverage_check_for_merchants(merchant_client, jt):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    inside = merchant_client.get("/geo/coverage-check/", {"division": "441900125"}).content.decode()
    assert "JT速递" in inside
    assert jt.hotline in inside
    outside = merchant_client.get("/geo/coverage-check/", {"division": "440605011"}).content.decode()
    assert "DROP OFF" in outside


def test_address_reader_in_the_portal(merchant_client):
    page = merchant_client.post(
        "/geo/parse-address/", {"address": "广东省东莞市洪梅镇洪屋涡村工业路3号"}
    ).content.decode()
    assert "441900125" in page
    assert "洪屋涡村工业路3号" in page
    bad = merchant_client.post("/geo/parse-address/", {"address": "nowhere"}).content.decode()
    assert "未能识别" in bad


def test_ops_assigns_coverage_in_beijing_time(ops_client, ws):
    response = ops_client.post(
        "/ops/coverage/", {"division": "441900", "carrier": "WS", "valid_from": "2023-09-19T00:00"}, follow=True
    )
    assert response.status_code == 200
    row = CoverageArea.objects.get()
    assert row.valid_from == beijing(2023, 9, 19)
    assert row.carrier == ws
    assert "东莞市" in response.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"division": "", "carrier": "WS", "valid_from": "2023-09-19T00:00"}, "请选择地区"),
        ({"division": "441900", "carrier": "WS", "valid_from": ""}, "北京时间"),
        ({"division": "441900", "carrier": "XX", "valid_from": "2023-09-19T00:00"}, "未知的揽收服务商"),
        ({"division": "999999", "carrier": "WS", "valid_from": "2023-09-19T00:00"}, "未知的行政区划代码"),
    ],
)
def test_ops_bad_coverage_input_shows_a_message_and_changes_nothing(ops_client, ws, form, message):
    events_before = Event.objects.count()
    response = ops_client.post("/ops/coverage/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CoverageArea.objects.exists()
    assert Event.objects.count() == events_before


def test_carrier_portal_shows_only_its_own_areas(client, jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="440300", carrier=ws, valid_from=beijing(2023, 1, 1))
    client.force_login(factories.user(ws.organisation, Role.ADMIN))
    page = client.get("/carrier/").content.decode()
    assert "440300" in page
    assert "441900" not in page
