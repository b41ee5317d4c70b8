"""Defects an attacker and a generated client found (issue 26): each answered in the API's shape, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from firstmile.accounts.models import ApiToken, OrganisationKind, Role
from firstmile.carriers.models import Carrier
from firstmile.events.models import Event, WebhookEndpoint
from firstmile.pickup.models import Warehouse

from .. import factories
from ..conftest import ApiClient
from ..refusals import refused

pytestmark = pytest.mark.django_db


def _deep(levels: int) -> str:
    return '{"name": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("levels", [100, 1_000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/warehouses", "/api/v1/no-such-path", "/api/v1/orders/arrange-shipment"])
def test_deeply_nested_json_is_a_400_for_anyone(path, levels):
    before = Warehouse.objects.count(), Event.objects.count()
    for headers in ({}, {"Authorization": "Bearer fm_" + "x" * 43}):
        response = Client().post(path, _deep(levels), content_type="application/json", headers=headers)
        assert response.status_code == 400, response.content[:200]
        assert response.json()["code"] == "invalid_input" and response.json()["field"] == "body"
    assert (Warehouse.objects.count(), Event.objects.count()) == before


def test_nesting_a_real_request_needs_is_still_accepted(api):
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    client = api(factories.token(merchant, Role.ADMIN))
    body = {"url": "https://erp.example.com/hook", "event_types": ["order.shipped"], "description": "x"}
    assert client.post("/webhook-endpoints", body).status_code == 201


def test_json_sent_as_another_content_type_is_checked_too():
    response = Client().post("/api/v1/warehouses", _deep(5_000), content_type="text/plain")
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_an_oversized_body_is_a_413_in_the_apis_shape(settings):
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    client = ApiClient(factories.token(merchant, Role.ADMIN), language="en")
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.client.post("/api/v1/warehouses", body, content_type="application/json", headers=client.headers)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "body_too_large" and response.json()["field"] == "body"
    assert "MB" in response.json()["message"]
    # A portal form gets the portal's page, not Django's bare one.
    big = "username=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    page = Client().post("/login/", big, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413 and page["Content-Type"].startswith("text/html")
    assert "MB" in page.content.decode()


def test_too_many_form_fields_are_a_400_in_the_apis_shape(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(20))
    response = Client().post("/api/v1/warehouses", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["field"] == "body"


@pytest.mark.parametrize("portal", ["merchant", "ops"])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_carrier_settings_posted_to_another_partys_people_page_is_a_403(portal, role):
    carrier = factories.carrier("WS")
    hotline = carrier.hotline
    kind = OrganisationKind.MERCHANT if portal == "merchant" else OrganisationKind.PLATFORM
    client = Client()
    client.force_login(factories.user(factories.organisation(kind), role))
    events = Event.objects.count()
    response = client.post(
        f"/{portal}/people/",
        {"action": "carrier_settings", "hotline": "400-1", "service_opens": "09:00", "service_closes": "18:00"},
    )
    assert response.status_code == 403
    assert Carrier.objects.get(pk=carrier.pk).hotline == hotline and Event.objects.count() == events


ACTIONS = (
    "add_user",
    "set_role",
    "deactivate",
    "activate",
    "set_password",
    "issue_token",
    "revoke_token",
    "carrier_settings",
    "coverage_request",
    "nonsense",
)


# Every field any action reads, filled in as a real form would be.
PLAUSIBLE = {
    "username": "newcomer",
    "password": factories.PASSWORD,
    "role": "staff",
    "first_name": "新人",
    "user_id": "1",
    "name": "ERP",
    "token_id": "1",
    "hotline": "400-800-1234",
    "service_opens": "09:00",
    "service_closes": "18:00",
    "service_weekdays": ["1", "2"],
    "division": "441900",
    "valid_from": "2030-01-01T00:00",
    "note": "x",
}


@pytest.mark.parametrize("portal,kind", [("merchant", "merchant"), ("carrier", "carrier"), ("ops", "platform")])
def test_no_action_on_a_people_page_is_a_500_for_any_role(portal, kind):
    org = factories.carrier("WS").organisation if kind == "carrier" else factories.organisation(kind)
    roles = [Role.ADMIN, Role.STAFF] + ([Role.DRIVER] if kind == "carrier" else [])
    for role in roles:
        client = Client(raise_request_exception=False)
        client.force_login(factories.user(org, role))
        for action in ACTIONS:
            response = client.post(f"/{portal}/people/", {**PLAUSIBLE, "action": action})
            assert response.status_code in (200, 302, 403), (role, action, response.status_code)


def test_the_delivery_log_filters_by_endpoint_id_from_the_query_string(api):
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    client = api(factories.token(merchant, Role.ADMIN))
    body = {"url": "https://erp.example.com/hook", "event_types": ["order.shipped"]}
    endpoint = client.post("/webhook-endpoints", body).json()
    response = client.get("/webhook-deliveries", endpoint_id=str(endpoint["id"]))
    assert response.status_code == 200, response.content
    for bad in ("1.5", "true", "-1", "9" * 20, "0x10"):
        assert client.get("/webhook-deliveries", endpoint_id=bad).status_code == 422, bad


def test_every_integer_query_and_path_parameter_takes_the_query_string_form(api):
    """Walks the schema: each integer parameter, sent as text, is never refused for its type."""
    from firstmile.api.api import api as ninja_api

    platform = factories.organisation(OrganisationKind.PLATFORM)
    client = api(factories.token(platform, Role.ADMIN))
    checked = 0
    for path, methods in ninja_api.get_openapi_schema()["paths"].items():
        operation = methods.get("get")
        if operation is None:
            continue
        ints = [
            p
            for p in operation.get("parameters", [])
            if p["in"] in ("query", "path") and '"integer"' in json.dumps(p["schema"])
        ]
        if not ints:
            continue
        url = path.removeprefix("/api/v1")
        query = {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                value = "7" if parameter in ints else "x"
                url = url.replace("{" + parameter["name"] + "}", value)
            elif parameter in ints:
                query[parameter["name"]] = "7"
        response = client.get(url, **query)
        checked += 1
        assert response.status_code != 422, (path, response.content[:300])
        assert response.status_code < 500
    assert checked >= 20


def test_times_of_day_are_declared_as_what_is_sent():
    from firstmile.api.api import api as ninja_api

    schema = json.dumps(ninja_api.get_openapi_schema())
    assert '"format": "time"' not in schema
    window = ninja_api.get_openapi_schema()["components"]["schemas"]["PickupWindowOut"]["properties"]["starts_at"]
    assert window["type"] == "string" and "Beijing" in window["description"]
    import re

    assert re.match(window["pattern"], "09:00:00") and not re.match(window["pattern"], "09:00:00+08:00")


def test_carrier_settings_take_and_give_beijing_times_of_day(api):
    carrier = factories.carrier("WS")
    client = api(factories.token(carrier.organisation, Role.ADMIN))
    body = {"hotline": "400-800-1234", "service_opens": "08:30", "service_closes": "20:00:00"}
    response = client.client.put(
        "/api/v1/carriers/WS/settings", body, content_type="application/json", headers=client.headers
    )
    assert response.status_code == 200, response.content
    for bad in ("8:30", "08:30+08:00", "25:00", "08:30:00.5"):
        response = client.client.put(
            "/api/v1/carriers/WS/settings",
            {**body, "service_opens": bad},
            content_type="application/json",
            headers=client.headers,
        )
        assert response.status_code == 422 and response.json()["field"] == "service_opens", bad


def test_a_token_issued_through_the_api_records_the_token_that_issued_it(api):
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    issuer = factories.token(merchant, Role.ADMIN)
    response = api(issuer).post("/tokens", {"name": "wms", "role": "staff"})
    assert response.status_code == 201
    assert response.json()["created_by"] == f"token:{issuer[3:11]}"
    issued = ApiToken.objects.get(pk=response.json()["id"])
    assert issued.created_by_token.prefix == issuer[3:11] and issued.created_by is None
    listed = {t["id"]: t for t in api(issuer).get("/tokens").json()}
    assert listed[issued.pk]["created_by"] == f"token:{issuer[3:11]}"
    # A person's tokens still name the person.
    boss = factories.user(merchant, Role.ADMIN, "boss")
    session = Client()
    session.force_login(boss)
    mine = session.post("/api/v1/tokens", {"name": "by hand"}, content_type="application/json")
    assert mine.json()["created_by"] == "boss"
    assert WebhookEndpoint.objects.count() == 0


def test_routes_and_switchover_batches_refuse_more_areas_than_they_accept(monkeypatch):
    from firstmile.core.clock import now
    from firstmile.core.errors import ApplicationError
    from firstmile.dispatch import services as dispatch_services
    from firstmile.dispatch.models import Route
    from firstmile.switchover import services as switchover_services
    from firstmile.switchover.models import SwitchoverBatch

    jt, _ws = factories.carrier("JT"), factories.carrier("WS")
    monkeypatch.setattr(dispatch_services, "ROUTE_MAX_AREAS", 2)
    monkeypatch.setattr(switchover_services, "BATCH_MAX_AREAS", 2)
    towns = ["441900125", "441900119", "441900121"]
    carrier_admin = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    with pytest.raises(ApplicationError) as refusal:
        dispatch_services.route_create(actor=carrier_admin, name="东莞", division_codes=towns)
    assert refusal.value.field == "division_codes" and not Route.objects.exists()
    ops = factories.actor(kind=OrganisationKind.PLATFORM, role=Role.ADMIN)
    switchover = switchover_services.switchover_create(actor=ops, name="JT→WS", from_carrier="JT", to_carrier="WS")
    with refused(ApplicationError, "invalid_input") as refusal:
        switchover_services.batch_schedule(
            actor=ops,
            switchover_id=switchover.pk,
            name="第一批",
            cutover_at=now() + dt.timedelta(days=3),
            division_codes=towns,
        )
    assert refusal.value.field == "division_codes" and not SwitchoverBatch.objects.exists()
