from urllib.parse import parse_qs, urlsplit

import pytest

from firstmile.accounts.models import OrganisationKind
from firstmile.accounts.services import api_token_issue, api_token_revoke
from firstmile.carriers.models import CoverageArea
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.events.models import Event

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant_token(db):
    return factories.token(factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting"))


@pytest.fixture
def platform_token(db):
    return factories.token(factories.organisation(OrganisationKind.PLATFORM))


def test_me_names_the_tokens_organisation(api, merchant_token):
    response = api(merchant_token).get("/me")
    assert response.status_code == 200
    assert response.json()["organisation"]["code"] == "dg-lighting"
    assert response.json()["via"] == "token"


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "unauthenticated"), ("Bearer nonsense", "token_invalid"), ("Bearer fm_" + "a" * 43, "token_invalid")],
)
def test_missing_or_malformed_tokens_get_401_in_the_error_shape(api, header, code):
    client = api()
    if header:
        client.headers["Authorization"] = header
    response = client.get("/me")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code


def test_revoked_token_is_refused(api):
    org = factories.organisation()
    admin = factories.actor(org)
    token, raw = api_token_issue(actor=admin, organisation=org, name="ERP")
    api_token_revoke(actor=admin, token_id=token.pk)
    response = api(raw).get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_errors_are_chinese_by_default_and_english_on_request(api, merchant_token):
    zh = api(merchant_token).get("/geo/divisions/123")
    en = api(merchant_token, language="en").get("/geo/divisions/123")
    assert zh.status_code == en.status_code == 404
    assert zh.json()["message"] == "未知的行政区划代码：123。"
    assert en.json()["message"] == "Unknown administrative division code: 123."
    assert zh.json()["field"] == en.json()["field"] == "division"


def test_divisions_cascade_from_provinces_to_towns(api, merchant_token):
    client = api(merchant_token)
    provinces = client.get("/geo/divisions").json()
    assert {"code": "440000", "name": "广东省", "level": "province", "parent_code": None} in provinces
    towns = client.get("/geo/divisions", parent="441900").json()
    assert any(t["code"] == "441900125" and t["name"] == "洪梅镇" for t in towns)
    detail = client.get("/geo/divisions/441900125").json()
    assert [p["code"] for p in detail["path"]] == ["440000", "441900", "441900125"]


def test_parse_address_endpoint(api, merchant_token):
    response = api(merchant_token).post("/geo/parse-address", {"address": "广东省东莞市洪梅镇洪屋涡村工业路3号"})
    assert response.status_code == 200
    body = response.json()
    assert body["division_code"] == "441900125"
    assert body["detail"] == "洪屋涡村工业路3号"
    assert body["is_lowest_level"] is True


def test_unparseable_address_is_400_naming_the_field(api, merchant_token):
    response = api(merchant_token, language="en").post("/geo/parse-address", {"address": "somewhere nice"})
    assert response.status_code == 400
    assert response.json()["code"] == "address_unparseable"
    assert response.json()["field"] == "address"


def test_missing_body_field_is_422_naming_the_field(api, merchant_token):
    response = api(merchant_token).post("/geo/parse-address", {"addr": "x"})
    assert response.status_code == 422
    assert response.json()["field"] == "address"
    assert response.json()["code"] == "invalid_input"


def test_serving_lookup_at_an_instant_in_beijing_time(api, merchant_token, jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=beijing(2023, 9, 19))
    client = api(merchant_token)
    before = client.get("/coverage/serving", division="441900125", at="2023-09-18T23:59:59+08:00").json()
    after = client.get("/coverage/serving", division="441900125", at="2023-09-19T00:00:00+08:00").json()
    assert before["carrier"]["code"] == "JT"
    assert after["carrier"]["waybill_prefix"] == "WS"
    assert after["coverage"]["valid_from"] == "2023-09-19T00:00:00+08:00"
    outside = client.get("/coverage/serving", division="440605011").json()
    assert outside["covered"] is False
    assert outside["carrier"] is None


def test_platform_assigns_coverage_through_the_api(api, platform_token, ws):
    response = api(platform_token).post(
        "/coverage", {"division_code": "441900", "carrier": "WS", "valid_from": "2023-09-19T00:00:00+08:00"}
    )
    assert response.status_code == 201
    assert response.json()["carrier"] == "WS"
    assert CoverageArea.objects.get().valid_from == beijing(2023, 9, 19)


def test_a_merchant_cannot_assign_coverage_and_nothing_is_written(api, merchant_token, ws):
    events_before = Event.objects.count()
    response = api(merchant_token).post(
        "/coverage", {"division_code": "441900", "carrier": "WS", "valid_from": "2023-09-19T00:00:00+08:00"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not CoverageArea.objects.exists()
    assert Event.objects.count() == events_before


def test_coverage_list_is_scoped_to_the_calling_carrier(api, jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="440300", carrier=ws, valid_from=beijing(2023, 1, 1))
    ws_token = factories.token(ws.organisation)
    body = api(ws_token).get("/coverage").json()
    assert [row["division_code"] for row in body["results"]] == ["440300"]


def test_cursor_pagination_walks_every_row_once(api, platform_token, jt):
    for code in ["441900", "440300", "440100", "440600", "440400"]:
        coverage_assign(actor=None, division_code=code, carrier=jt, valid_from=beijing(2023, 1, 1))
    client = api(platform_token)
    seen, cursor = [], None
    while True:
        params = {"page_size": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/coverage", **params).json()
        seen += [row["division_code"] for row in page["results"]]
        cursor = page["next"] and parse_qs(urlsplit(page["next"]).query)["cursor"][0]
        if not cursor:
            break
    assert sorted(seen) == sorted(["441900", "440300", "440100", "440600", "440400"])
    assert len(seen) == 5


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/geo/parse-address" in paths
    assert "/api/v1/coverage/serving" in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_the_schema_documents_every_error_and_every_query_parameter(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "Error" in schema["components"]["schemas"]
    operations = [(path, method, op) for path, methods in schema["paths"].items() for method, op in methods.items()]
    assert len(operations) > 60
    for path, method, operation in operations:
        assert {"400", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"]), (method, path)
    listed = {p["name"] for p in schema["paths"]["/api/v1/reverse-orders"]["get"]["parameters"]}
    assert listed >= {"number", "product", "goods", "warehouse", "created_from", "updated_to", "pickup_method"}
    assert listed >= {"exception_state", "owner", "business_mode", "tab", "sort", "cursor", "page_size"}
