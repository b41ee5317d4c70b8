"""A carrier's admin asks for coverage; platform operations approve (the area is assigned) or reject."""

from datetime import timedelta

import pytest
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.models import CoverageArea, CoverageRequest
from firstmile.carriers.selectors import carrier_serving
from firstmile.core.clock import now
from firstmile.events.models import Event

from .. import factories

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


@pytest.fixture
def people(ws):
    return {
        "admin": _client(factories.user(ws.organisation, Role.ADMIN)),
        "staff": _client(factories.user(ws.organisation, Role.STAFF)),
        "ops": _client(factories.user(factories.organisation(OrganisationKind.PLATFORM), Role.STAFF)),
    }


def test_a_carrier_admin_asks_and_operations_approve_from_the_asked_instant(people, ws):
    start = now() + timedelta(days=2)
    asked = _post(people["admin"], "/coverage-requests", {"division_code": "441900", "valid_from": start.isoformat()})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    assert CoverageArea.objects.count() == 0
    approved = _post(people["ops"], f"/coverage-requests/{asked.json()['id']}/approve", {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert carrier_serving("441900125", start + timedelta(minutes=1)).code == "WS"
    assert carrier_serving("441900125", start - timedelta(minutes=1)) is None
    again = _post(people["ops"], f"/coverage-requests/{asked.json()['id']}/reject", {"reason": "迟了"})
    assert again.status_code == 409 and again.json()["code"] == "coverage_request_decided"
    listed = people["admin"].get("/api/v1/coverage-requests").json()["results"]
    assert [r["status"] for r in listed] == ["approved"]


def test_rejection_needs_a_reason_and_changes_no_coverage(people):
    start = (now() + timedelta(days=2)).isoformat()
    request_id = _post(people["admin"], "/coverage-requests", {"division_code": "440300", "valid_from": start}).json()[
        "id"
    ]
    events = Event.objects.count()
    no_reason = _post(people["ops"], f"/coverage-requests/{request_id}/reject", {})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert Event.objects.count() == events
    rejected = _post(people["ops"], f"/coverage-requests/{request_id}/reject", {"reason": "已由其他服务商覆盖"})
    assert rejected.json()["status"] == "rejected"
    assert CoverageArea.objects.count() == 0


def test_only_the_carrier_admin_asks_and_only_operations_decide(people):
    start = (now() + timedelta(days=2)).isoformat()
    body = {"division_code": "440300", "valid_from": start}
    assert _post(people["staff"], "/coverage-requests", body).status_code == 403
    assert _post(people["ops"], "/coverage-requests", body).status_code == 403
    request_id = _post(people["admin"], "/coverage-requests", body).json()["id"]
    assert _post(people["admin"], f"/coverage-requests/{request_id}/approve", {}).status_code == 403
    assert CoverageRequest.objects.get().status == "pending"
    past = _post(people["admin"], "/coverage-requests", {**body, "valid_from": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 400 and past.json()["field"] == "valid_from"
    unknown = _post(people["admin"], "/coverage-requests", {**body, "division_code": "999999"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "division_code"


def test_the_portals_ask_and_decide(people, ws):
    start = (now() + timedelta(days=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    people["admin"].post(
        "/carrier/people/", {"action": "coverage_request", "division": "440300", "valid_from": start, "note": "深圳"}
    )
    request = CoverageRequest.objects.get()
    assert request.note == "深圳"
    page = people["ops"].get("/ops/coverage/")
    assert f'data-request="{request.pk}"' in page.content.decode()
    people["ops"].post(f"/ops/coverage-requests/{request.pk}/decide/", {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "approved"
    assert "440300" in people["admin"].get("/carrier/people/").content.decode()
