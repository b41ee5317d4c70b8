"""Organisation admins manage their people and API tokens, in the portal and through the API."""

import pytest
from django.test import Client

from firstmile.accounts.models import ApiToken, OrganisationKind, Role, User
from firstmile.accounts.services import api_token_issue
from firstmile.events.models import Event

from .. import factories

pytestmark = pytest.mark.django_db


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _can_log_in(username: str, password: str) -> bool:
    """Through the login page, as a person does (django-axes watches every attempt)."""
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def _json(client, method, path, body=None, headers=None):
    return getattr(client, method)(f"/api/v1{path}", body or {}, content_type="application/json", headers=headers or {})


@pytest.fixture
def shop():
    org = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    return org, factories.user(org, Role.ADMIN, "boss"), factories.user(org, Role.STAFF, "clerk")


def test_an_admin_adds_a_person_whose_password_passes_the_validators(shop):
    org, boss, _clerk = shop
    client = _session(boss)
    events = Event.objects.count()
    for weak, why in (("password", "common"), ("12345678901", "numeric"), ("short1", "short"), ("newbie-x", "like")):
        response = _json(client, "post", "/users", {"username": "newbie-x", "password": weak, "role": "staff"})
        assert response.status_code == 400, (why, response.content)
        assert response.json()["field"] == "password"
    assert not User.objects.filter(username="newbie-x").exists()
    assert Event.objects.count() == events
    response = _json(client, "post", "/users", {"username": "newbie", "password": factories.PASSWORD, "role": "staff"})
    assert response.status_code == 201
    assert response.json()["role"] == "staff"
    assert User.objects.get(username="newbie").organisation == org
    assert _can_log_in("newbie", factories.PASSWORD)


def test_weak_password_message_is_in_english_on_request(shop):
    _org, boss, _clerk = shop
    response = _json(
        _session(boss),
        "post",
        "/users",
        {"username": "n2", "password": "password", "role": "staff"},
        headers={"Accept-Language": "en"},
    )
    assert "too common" in response.json()["message"]


def test_deactivated_people_cannot_log_in_and_admins_cannot_lock_themselves_out(shop):
    _org, boss, clerk = shop
    client = _session(boss)
    assert _json(client, "patch", f"/users/{clerk.pk}", {"is_active": False}).status_code == 200
    assert not _can_log_in("clerk", factories.PASSWORD)
    response = _json(client, "patch", f"/users/{boss.pk}", {"role": "staff"})
    assert response.status_code == 409 and response.json()["code"] == "self_lockout"
    boss.refresh_from_db()
    assert boss.role == Role.ADMIN
    assert _json(client, "patch", f"/users/{clerk.pk}", {"role": "admin", "is_active": True}).json()["role"] == "admin"


def test_password_reset_goes_through_the_validators(shop):
    _org, boss, clerk = shop
    client = _session(boss)
    response = _json(client, "post", f"/users/{clerk.pk}/password", {"password": "password"})
    assert response.status_code == 400 and response.json()["field"] == "password"
    assert _can_log_in("clerk", factories.PASSWORD)
    assert _json(client, "post", f"/users/{clerk.pk}/password", {"password": "ocean-lantern-42"}).status_code == 200
    assert _can_log_in("clerk", "ocean-lantern-42")


def test_staff_cannot_manage_people_or_tokens_and_nothing_changes(shop):
    _org, _boss, clerk = shop
    client = _session(clerk)
    events, users, tokens = Event.objects.count(), User.objects.count(), ApiToken.objects.count()
    assert _json(client, "post", "/users", {"username": "x1", "password": factories.PASSWORD}).status_code == 403
    assert _json(client, "post", "/tokens", {"name": "mine"}).status_code == 403
    assert _json(client, "get", "/users").status_code == 403
    assert (Event.objects.count(), User.objects.count(), ApiToken.objects.count()) == (events, users, tokens)
    page = client.get("/merchant/people/")
    assert page.status_code == 403
    client.post("/merchant/people/", {"action": "add_user", "username": "x2", "password": factories.PASSWORD})
    assert not User.objects.filter(username="x2").exists()


def test_another_organisations_people_and_tokens_are_not_found(shop):
    _org, boss, _clerk = shop
    other = factories.organisation(OrganisationKind.MERCHANT)
    stranger = factories.user(other, Role.STAFF)
    token, _raw = api_token_issue(actor=None, organisation=other, name="their ERP")
    client = _session(boss)
    assert _json(client, "patch", f"/users/{stranger.pk}", {"is_active": False}).status_code == 404
    assert _json(client, "post", f"/users/{stranger.pk}/password", {"password": "ocean-lantern-42"}).status_code == 404
    assert _json(client, "post", f"/tokens/{token.pk}/revoke").status_code == 404
    response = _json(
        client, "post", "/users", {"username": "x3", "password": factories.PASSWORD, "organisation_code": other.code}
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    token.refresh_from_db()
    assert stranger.is_active and token.revoked_at is None
    assert {u["username"] for u in _json(client, "get", "/users").json()} == {"boss", "clerk"}


def test_tokens_show_their_secret_once_record_use_and_stop_at_revocation(shop):
    _org, boss, _clerk = shop
    client = _session(boss)
    issued = _json(client, "post", "/tokens", {"name": "ERP", "role": "staff"})
    assert issued.status_code == 201
    secret = issued.json()["secret"]
    assert issued.json()["created_by"] == "boss"
    listed = _json(client, "get", "/tokens").json()
    assert "secret" not in listed[0] and secret not in str(listed)
    erp = {"Authorization": f"Bearer {secret}"}
    me = Client().get("/api/v1/me", headers=erp).json()
    assert (me["via"], me["role"]) == ("token", "staff")
    assert _json(client, "get", "/tokens").json()[0]["last_used_at"] is not None
    # A staff token cannot issue tokens: it acts with the staff role.
    assert _json(Client(), "post", "/tokens", {"name": "escalate"}, headers=erp).status_code == 403
    assert _json(client, "post", f"/tokens/{issued.json()['id']}/revoke").status_code == 200
    assert Client().get("/api/v1/me", headers=erp).status_code == 401


def test_the_portal_page_issues_a_token_once_and_manages_people(shop):
    _org, boss, clerk = shop
    client = _session(boss)
    page = client.post("/merchant/people/", {"action": "issue_token", "name": "店铺ERP", "role": "staff"})
    assert page.status_code == 200
    token = ApiToken.objects.get(name="店铺ERP")
    secret = page.context["issued"][1]
    assert secret.startswith("fm_") and token.prefix in secret
    assert secret.encode() in page.content
    assert secret.encode() not in client.get("/merchant/people/").content
    client.post("/merchant/people/", {"action": "deactivate", "user_id": clerk.pk})
    clerk.refresh_from_db()
    assert not clerk.is_active
    weak = client.post(
        "/merchant/people/", {"action": "set_password", "user_id": clerk.pk, "password": "123"}, follow=True
    )
    assert "密码" in weak.content.decode()
    client.post(
        "/merchant/people/",
        {"action": "add_user", "username": "packer", "password": factories.PASSWORD, "role": "staff"},
    )
    assert User.objects.get(username="packer").role == Role.STAFF


def test_a_carrier_admin_keeps_hotline_and_hours_and_staff_cannot(ws):
    admin = factories.user(ws.organisation, Role.ADMIN)
    staff = factories.user(ws.organisation, Role.STAFF)
    body = {"hotline": "400-820-6207", "service_opens": "08:30", "service_closes": "20:00", "service_weekdays": "12345"}
    assert _json(_session(staff), "put", "/carriers/WS/settings", body).status_code == 403
    response = _json(_session(admin), "put", "/carriers/WS/settings", body)
    assert response.status_code == 200
    ws.refresh_from_db()
    assert (ws.hotline, ws.service_weekdays, ws.service_opens.hour) == ("400-820-6207", "12345", 8)
    bad = _json(_session(admin), "put", "/carriers/WS/settings", {**body, "service_closes": "07:00"})
    assert bad.status_code == 400 and bad.json()["field"] == "service_closes"
    jt = factories.carrier("JT")
    assert _json(_session(admin), "put", f"/carriers/{jt.code}/settings", body).status_code == 404
