"""Webhook endpoints and the delivery log through the API and the portals, with roles and tenancy."""

from __future__ import annotations

import pytest
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.events import delivery
from firstmile.events.models import WebhookDelivery, WebhookEndpoint
from firstmile.pickup.services import warehouse_create

from .. import factories
from ..snapshots import database_snapshot
from .conftest import HONGMEI

pytestmark = pytest.mark.django_db


def _client(actor) -> Client:
    client = Client()
    client.force_login(actor.user)
    return client


def test_an_erp_registers_an_endpoint_and_reads_its_delivery_log(api, merchant, receiver):
    erp = api(factories.token(merchant.organisation, role=Role.ADMIN))
    created = erp.post("/webhook-endpoints", {"url": receiver.url, "event_types": ["warehouse.created"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["warehouse.created"]
    listed = erp.get("/webhook-endpoints").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]  # shown once

    warehouse_create(actor=merchant, **HONGMEI)
    delivery.dispatch_due(worker_id="w")
    log = erp.get("/webhook-deliveries", event_type="warehouse.created").json()["results"]
    assert len(log) == 1 and log[0]["status"] == "succeeded" and log[0]["webhook_id"].startswith("msg_")
    detail = erp.get(f"/webhook-deliveries/{log[0]['id']}").json()
    assert detail["attempts"][0]["status_code"] == 204 and '"warehouse.created"' in detail["body"]
    replayed = erp.post(f"/webhook-deliveries/{log[0]['id']}/replay", {})
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"

    rotated = erp.post(f"/webhook-endpoints/{body['id']}/rotate-secret", {})
    assert rotated.json()["secret"] != body["secret"] and rotated.json()["previous_secret_expires_at"]
    types = erp.get("/webhook-event-types").json()
    assert {"type": "waybill.collected"}.items() <= next(t for t in types if t["type"] == "waybill.collected").items()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://x.example.com/", "event_types": ["*"]}, "url"),
        ({"url": "https://x.example.com/", "event_types": ["no.such"]}, "event_types"),
        ({"url": "https://x.example.com/", "event_types": []}, "event_types"),
        ({"url": "https://x.example.com/" + "a" * 600, "event_types": ["*"]}, "url"),
        ({"event_types": ["*"]}, "url"),
    ],
)
def test_bad_endpoints_are_refused_naming_the_field(api, merchant, body, field):
    erp = api(factories.token(merchant.organisation, role=Role.ADMIN))
    before = database_snapshot(skip=("accounts.ApiToken",))
    response = erp.post("/webhook-endpoints", body)
    assert response.status_code in (400, 422) and response.json()["field"] == field
    assert database_snapshot(skip=("accounts.ApiToken",)) == before


def test_a_staff_token_reads_but_cannot_register(api, merchant):
    staff = api(factories.token(merchant.organisation, role=Role.STAFF))
    assert staff.get("/webhook-endpoints").status_code == 200
    refused = staff.post("/webhook-endpoints", {"url": "https://x.example.com/", "event_types": ["*"]})
    assert refused.status_code == 403 and not WebhookEndpoint.objects.exists()


def test_the_portal_page_shows_the_secret_once_and_refuses_staff(merchant, receiver):
    admin = _client(merchant)
    page = admin.post(
        "/merchant/webhooks/",
        {"action": "create", "url": receiver.url, "event_types": ["warehouse.created", "order.created"]},
    )
    assert page.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in page.content.decode()
    again = admin.get("/merchant/webhooks/").content.decode()
    assert endpoint.secret not in again and receiver.url in again

    staff = _client(factories.actor(merchant.organisation, role=Role.STAFF))
    view = staff.get("/merchant/webhooks/").content.decode()
    assert receiver.url in view and 'name="action" value="rotate"' not in view
    before = database_snapshot()
    refused = staff.post("/merchant/webhooks/", {"action": "rotate", "endpoint_id": str(endpoint.pk)})
    assert refused.status_code == 403
    assert database_snapshot() == before


def test_ops_see_every_delivery_but_replay_none(merchant, receiver):
    from firstmile.events.services import endpoint_create

    endpoint_create(actor=merchant, url=receiver.url, event_types=["warehouse.created"])
    warehouse_create(actor=merchant, **HONGMEI)
    delivery.dispatch_due(worker_id="w")
    sent = WebhookDelivery.objects.get(event__kind="warehouse.created")
    ops = _client(factories.actor(kind=OrganisationKind.PLATFORM))
    assert receiver.url in ops.get("/ops/webhooks/").content.decode()
    detail = ops.get(f"/ops/webhooks/deliveries/{sent.pk}/").content.decode()
    assert sent.message_id in detail and 'value="replay"' not in detail


def test_an_oversized_body_is_refused_and_changes_nothing(api, merchant):
    erp = api(factories.token(merchant.organisation, role=Role.ADMIN))
    before = database_snapshot(skip=("accounts.ApiToken",))
    huge = {"url": "https://x.example.com/", "event_types": ["*"], "description": "x" * 3_000_000}
    response = erp.post("/webhook-endpoints", huge)
    assert response.status_code in (400, 413, 422)
    many = erp.post("/webhook-endpoints", {"url": "https://x.example.com/", "event_types": ["*"] * 101})
    assert many.status_code == 422 and many.json()["field"] == "event_types"
    assert database_snapshot(skip=("accounts.ApiToken",)) == before
