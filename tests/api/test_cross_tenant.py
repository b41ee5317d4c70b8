"""Every id-bearing API operation and portal URL, called by another tenant of the same kind: 404, nothing changed.

The list of id-bearing API paths is read from the OpenAPI schema, so an operation
added without a case here fails the coverage test below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role
from firstmile.accounts.services import api_token_issue
from firstmile.api.api import api
from firstmile.bundles.services import bundle_create
from firstmile.carriers.services import coverage_assign, pickup_closure_add, pickup_window_create
from firstmile.core.clock import beijing
from firstmile.dispatch.models import HandoverList, PickupTask
from firstmile.dispatch.services import (
    day_plan,
    driver_create,
    roster_set,
    route_create,
    scan_pickup,
    stop_proof_add,
)
from firstmile.events.models import WebhookDelivery
from firstmile.events.services import endpoint_create
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.reverse.services import consolidation_agree, exception_raise, reverse_order_create
from firstmile.shipping.imports import order_import_start
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from ..shipping.conftest import HONGMEI
from ..snapshots import database_snapshot

pytestmark = pytest.mark.django_db
MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)

# Reference data every party may read, and platform-only objects (one platform, so no other tenant).
NOT_TENANT_SCOPED = {
    "/api/v1/geo/divisions/{code}",
    "/api/v1/carriers/{code}",
    "/api/v1/switchovers/{switchover_id}/batches",
    "/api/v1/switchover-batches/{batch_id}",
    "/api/v1/switchover-batches/{batch_id}/push-failures",
    "/api/v1/switchover-batches/{batch_id}/timeline",  # others get 404: tests/switchover/test_timeline.py
    "/api/v1/switchover-batches/{batch_id}/push",
    "/api/v1/switchover-batches/{batch_id}/postpone",
    "/api/v1/switchover-batches/{batch_id}/cancel",
    "/api/v1/consolidation-agreements/{agreement_id}/end",
    "/api/v1/coverage-requests/{request_id}/approve",
    "/api/v1/coverage-requests/{request_id}/reject",
}


@pytest.fixture
def world(db):
    with time_machine.travel(MONDAY, tick=False):
        jt = factories.carrier("JT", with_centre_in="440111107")
        ws = factories.carrier("WS")
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
        merchant = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
        other_merchant = factories.organisation(OrganisationKind.MERCHANT, code="other-shop")
        consolidation_agree(actor=None, carrier_code="WS", merchant_code="dg-lighting")
        ws_admin = Actor.for_user(factories.user(ws.organisation, Role.ADMIN, "ws-hooks"))
        endpoint, _secret = endpoint_create(
            actor=ws_admin, url="https://ws.example.com/hooks", event_types=["reverse_order.created"]
        )
        boss = Actor.for_user(factories.user(merchant, Role.ADMIN, "boss"))
        jt_staff = Actor.for_user(factories.user(jt.organisation, Role.STAFF, "jt-staff"))
        ws_staff = Actor.for_user(factories.user(ws.organisation, Role.STAFF, "ws-staff"))
        warehouse = warehouse_create(actor=boss, **HONGMEI).warehouse
        request_id = PickupSubscription.objects.get(warehouse=warehouse).pk
        subscription_approve(actor=jt_staff, subscription_ids=[request_id])
        order = order_create(actor=boss, order_no="TT1")
        [waybill] = shipment_arrange(actor=boss, order_ids=[order.pk])
        route = route_create(actor=jt_staff, name="东莞", division_codes=["441900"])
        driver = driver_create(
            actor=jt_staff, name="李师傅", phone="13900000001", username="li", password="drive-safe-1"
        )
        roster_set(actor=jt_staff, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=20)
        day_plan(actor=jt_staff)
        task = PickupTask.objects.get()
        proof = stop_proof_add(
            actor=jt_staff,
            task_id=task.pk,
            photo=factories.png_upload("proof.png"),
            latitude="22.99",
            longitude="113.05",
        )
        [window] = pickup_window_create(
            actor=jt_staff, division_code="441900", weekdays=[2], starts_at="14:00", ends_at="17:00", capacity=5
        )
        closure = pickup_closure_add(actor=jt_staff, day=date(2023, 10, 2), reason="国庆节")
        scan_pickup(actor=Actor.for_user(driver.user), waybill_no=waybill.waybill_no, task_id=task.pk)
        handover = HandoverList.objects.get()
        bundle, _results = bundle_create(actor=boss, warehouse_id=warehouse.pk, handover_method="PICKUP")
        reverse = reverse_order_create(
            actor=ws_staff,
            merchant_code="dg-lighting",
            order_no="TT9",
            reverse_type="intercept_refused",
            business_mode="pop",
            warehouse_code="HZ",
            warehouse_name="杭州",
            owner_id="O",
            owner_name="主",
        )
        exception = exception_raise(actor=ws_staff, reverse_order_id=reverse.pk, kind="other", description="破损")
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).latest("id")
    token, _raw = api_token_issue(actor=None, organisation=merchant, name="ERP")
    job = order_import_start(actor=boss, filename="orders.csv", content="订单号\nTT-J\n".encode())
    return {
        "ids": {
            "user_id": boss.user.pk,
            "token_id": token.pk,
            "code": "JT",
            "warehouse_id": warehouse.pk,
            "subscription_id": request_id,
            "order_id": order.pk,
            "waybill_no": waybill.waybill_no,
            "waybill_id": waybill.pk,
            "task_id": task.pk,
            "proof_id": proof.pk,
            "handover_id": handover.pk,
            "window_id": window.pk,
            "closure_id": closure.pk,
            "reverse_order_id": reverse.pk,
            "exception_id": exception.pk,
            "endpoint_id": endpoint.pk,
            "delivery_id": delivery.pk,
            "job_id": job.pk,
            "bundle_id": bundle.pk,
        },
        "owner": boss.user,
        # The strangers: the same kind of party, unrelated to the objects above.
        "other_merchant": factories.user(other_merchant, Role.ADMIN, "stranger"),
        "other_carrier": factories.user(
            factories.carrier("ZT", with_centre_in=None).organisation, Role.ADMIN, "other-carrier-admin"
        ),
        "other_driver": driver_create(
            actor=Actor.for_user(factories.user(ws.organisation, Role.ADMIN, "ws-admin")),
            name="赵师傅",
            phone="13900000009",
            username="zhao",
            password="drive-safe-9",
        ).user,
    }


# (method, path template, who tries, body)
CASES = [
    ("patch", "/api/v1/users/{user_id}", "other_merchant", {"is_active": False}),
    ("post", "/api/v1/users/{user_id}/password", "other_merchant", {"password": "ocean-lantern-42"}),
    ("post", "/api/v1/tokens/{token_id}/revoke", "other_merchant", {}),
    (
        "put",
        "/api/v1/carriers/{code}/settings",
        "other_carrier",
        {
            "hotline": "4000000000",
            "service_opens": "08:00",
            "service_closes": "20:00",
            "service_weekdays": "12345",
        },
    ),
    ("get", "/api/v1/warehouses/{warehouse_id}", "other_merchant", None),
    ("put", "/api/v1/warehouses/{warehouse_id}", "other_merchant", {**HONGMEI, "name": "改"}),
    ("post", "/api/v1/warehouses/{warehouse_id}/cancel-pickup", "other_merchant", {}),
    ("get", "/api/v1/warehouses/{warehouse_id}/events", "other_merchant", None),
    ("get", "/api/v1/pickup-requests/{subscription_id}", "other_carrier", None),
    ("get", "/api/v1/orders/{order_id}", "other_merchant", None),
    ("get", "/api/v1/waybills/{waybill_no}", "other_merchant", None),
    ("get", "/api/v1/waybills/{waybill_no}", "other_carrier", None),
    ("get", "/api/v1/waybills/{waybill_no}/tracking", "other_merchant", None),
    ("get", "/api/v1/waybills/{waybill_no}/tracking", "other_carrier", None),
    ("get", "/api/v1/waybills/{waybill_no}/label.pdf", "other_merchant", None),
    ("get", "/api/v1/waybills/{waybill_no}/label.zpl", "other_merchant", None),
    ("post", "/api/v1/waybills/{waybill_no}/void", "other_merchant", {}),
    ("post", "/api/v1/dispatch/tasks/{task_id}/assign", "other_carrier", {"shift_id": None}),
    ("post", "/api/v1/dispatch/tasks/{task_id}/close", "other_carrier", {}),
    ("post", "/api/v1/dispatch/tasks/{task_id}/fail", "other_carrier", {"reason": "refused"}),
    ("post", "/api/v1/dispatch/tasks/{task_id}/proofs", "other_carrier", {}),
    ("get", "/api/v1/dispatch/proofs/{proof_id}/photo", "other_merchant", None),
    ("get", "/api/v1/dispatch/proofs/{proof_id}/photo", "other_carrier", None),
    ("post", "/api/v1/dispatch/tasks/{task_id}/scans", "other_driver", {"waybill_nos": ["JT00000000019"]}),
    ("get", "/api/v1/handover-lists/{handover_id}", "other_merchant", None),
    ("get", "/api/v1/waybills/{waybill_no}/handover-options", "other_merchant", None),
    ("get", "/api/v1/warehouses/{warehouse_id}/pickup-slots", "other_merchant", None),
    ("put", "/api/v1/waybills/{waybill_no}/pickup-slot", "other_merchant", {"window_id": 1, "date": "2023-09-19"}),
    ("delete", "/api/v1/waybills/{waybill_no}/pickup-slot", "other_merchant", {}),
    ("post", "/api/v1/pickup-windows/{window_id}/withdraw", "other_carrier", {}),
    ("delete", "/api/v1/pickup-closures/{closure_id}", "other_carrier", {}),
    ("get", "/api/v1/handover-lists/{handover_id}", "other_carrier", None),
    ("get", "/api/v1/handover-lists/{handover_id}/pdf", "other_merchant", None),
    ("get", "/api/v1/handover-lists/{handover_id}/pdf", "other_carrier", None),
    ("post", "/api/v1/handover-lists/{handover_id}/confirm", "other_carrier", {"signer_name": "x", "signature": "x"}),
    ("get", "/api/v1/reverse-orders/{reverse_order_id}", "other_merchant", None),
    ("get", "/api/v1/reverse-orders/{reverse_order_id}", "other_carrier", None),
    (
        "post",
        "/api/v1/reverse-orders/{reverse_order_id}/hand-over",
        "other_carrier",
        {
            "person_name": "陈",
            "phone": "13800138000",
        },
    ),
    ("post", "/api/v1/reverse-orders/{reverse_order_id}/forward", "other_carrier", {"tracking_no": "SF1"}),
    ("post", "/api/v1/reverse-orders/{reverse_order_id}/destroyed", "other_carrier", None),
    ("get", "/api/v1/reverse-orders/{reverse_order_id}/destruction-photo", "other_merchant", None),
    (
        "post",
        "/api/v1/reverse-orders/{reverse_order_id}/exceptions",
        "other_carrier",
        {
            "kind": "other",
            "description": "x",
        },
    ),
    ("post", "/api/v1/reverse-exceptions/{exception_id}/close", "other_carrier", {"resolution": "ok"}),
    ("get", "/api/v1/webhook-endpoints/{endpoint_id}", "other_carrier", None),
    ("patch", "/api/v1/webhook-endpoints/{endpoint_id}", "other_carrier", {"is_active": False}),
    ("delete", "/api/v1/webhook-endpoints/{endpoint_id}", "other_carrier", {}),
    ("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", "other_carrier", {}),
    (
        "post",
        "/api/v1/webhook-endpoints/{endpoint_id}/replay",
        "other_carrier",
        {"since": "2023-09-01T00:00:00+08:00", "until": "2023-10-01T00:00:00+08:00"},
    ),
    ("get", "/api/v1/webhook-deliveries/{delivery_id}", "other_carrier", None),
    ("post", "/api/v1/webhook-deliveries/{delivery_id}/replay", "other_carrier", {}),
    ("get", "/api/v1/jobs/{job_id}", "other_merchant", None),
    ("post", "/api/v1/jobs/{job_id}/resume", "other_merchant", {}),
    ("get", "/api/v1/jobs/{job_id}/result", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}", "other_carrier", None),
    ("get", "/api/v1/bundles/{bundle_id}/parcels", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}/parcels", "other_carrier", None),
    ("post", "/api/v1/bundles/{bundle_id}/bind", "other_merchant", {"waybill_nos": ["JT00000000019"]}),
    ("post", "/api/v1/bundles/{bundle_id}/unbind", "other_merchant", {"waybill_nos": ["JT00000000019"]}),
    ("post", "/api/v1/bundles/{bundle_id}/close", "other_merchant", {"weight_kg": "1.5"}),
    ("post", "/api/v1/bundles/{bundle_id}/cancel", "other_merchant", {}),
    ("get", "/api/v1/bundles/{bundle_id}/label.pdf", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}/label.zpl", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}/manifest.pdf", "other_merchant", None),
    ("get", "/api/v1/bundles/{bundle_id}/manifest.pdf", "other_carrier", None),
    ("post", "/api/v1/bundles/{bundle_id}/check/scans", "other_carrier", {"waybill_no": "JT00000000019"}),
    ("post", "/api/v1/bundles/{bundle_id}/check/finish", "other_carrier", {}),
]

PORTAL_CASES = [
    ("get", "/merchant/warehouses/{warehouse_id}/", "other_merchant"),
    ("get", "/merchant/warehouses/{warehouse_id}/edit/", "other_merchant"),
    ("post", "/merchant/warehouses/{warehouse_id}/cancel-pickup/", "other_merchant"),
    ("get", "/merchant/orders/{order_id}/", "other_merchant"),
    ("post", "/merchant/orders/{order_id}/pickup-slot/", "other_merchant"),
    ("post", "/merchant/orders/{order_id}/pickup-slot/cancel/", "other_merchant"),
    ("post", "/merchant/orders/{order_id}/void/{waybill_id}/", "other_merchant"),
    ("get", "/merchant/reverse/{reverse_order_id}/", "other_merchant"),
    ("get", "/merchant/reverse/{reverse_order_id}/destruction-photo/", "other_merchant"),
    ("get", "/carrier/reverse/{reverse_order_id}/destruction-photo/", "other_carrier"),
    ("post", "/carrier/reverse/{reverse_order_id}/action/", "other_carrier"),
    ("post", "/carrier/dispatch/tasks/{task_id}/assign/", "other_carrier"),
    ("post", "/driver/stops/{task_id}/contact/", "other_driver"),
    ("post", "/driver/stops/{task_id}/close/", "other_driver"),
    ("post", "/driver/stops/{task_id}/fail/", "other_driver"),
    ("post", "/driver/stops/{task_id}/proof/", "other_driver"),
    ("get", "/driver/proofs/{proof_id}/photo/", "other_driver"),
    ("get", "/merchant/proofs/{proof_id}/photo/", "other_merchant"),
    ("get", "/carrier/proofs/{proof_id}/photo/", "other_carrier"),
    ("get", "/driver/stops/{task_id}/handover/", "other_driver"),
    ("post", "/driver/stops/{task_id}/handover/scan/", "other_driver"),
    ("post", "/driver/handovers/{handover_id}/confirm/", "other_driver"),
    ("get", "/driver/handovers/{handover_id}/pdf/", "other_driver"),
    ("get", "/merchant/handovers/{handover_id}/", "other_merchant"),
    ("get", "/merchant/handovers/{handover_id}/pdf/", "other_merchant"),
    ("get", "/carrier/handovers/{handover_id}/", "other_carrier"),
    ("get", "/carrier/handovers/{handover_id}/pdf/", "other_carrier"),
    ("post", "/carrier/handovers/{handover_id}/confirm/", "other_carrier"),
    ("get", "/merchant/jobs/{job_id}/", "other_merchant"),
    ("post", "/merchant/jobs/{job_id}/resume/", "other_merchant"),
    ("get", "/merchant/jobs/{job_id}/download/", "other_merchant"),
    ("get", "/carrier/webhooks/deliveries/{delivery_id}/", "other_carrier"),
    ("get", "/merchant/parcels/{waybill_no}/", "other_merchant"),
    ("get", "/carrier/parcels/{waybill_no}/", "other_carrier"),
    ("get", "/merchant/stops/{task_id}/", "other_merchant"),
    ("get", "/carrier/stops/{task_id}/", "other_carrier"),
]


def _snapshot():
    # A token's last_used_at is the one thing any request may write.
    return database_snapshot(skip=("accounts.ApiToken",))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_id_bearing_api_path_has_a_cross_tenant_case():
    paths = {path for path in api.get_openapi_schema()["paths"] if "{" in path}
    covered = {path for _method, path, _who, _body in CASES}
    assert paths - NOT_TENANT_SCOPED == covered


@pytest.mark.parametrize(("method", "path", "who", "body"), CASES, ids=[f"{m} {p} as {w}" for m, p, w, _b in CASES])
def test_another_tenants_object_through_the_api_is_not_found(world, method, path, who, body):
    client = _client(world[who])
    before = _snapshot()
    url = path.format(**world["ids"])
    if body is None and method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, body or {}, content_type="application/json")
    assert response.status_code == 404, response.content
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path", "who"), PORTAL_CASES, ids=[f"{m} {p} as {w}" for m, p, w in PORTAL_CASES])
def test_another_tenants_object_through_the_portal_is_not_found(world, method, path, who):
    client = _client(world[who])
    before = _snapshot()
    url = path.format(**world["ids"])
    body = {"action": "exception", "kind": "other", "description": "x", "outcome": "reached", "shift": ""}
    body.update(reason="refused", latitude="22.9", longitude="113.1")
    response = client.get(url) if method == "get" else client.post(url, body, follow=True)
    if response.status_code != 404:
        # Some portal actions answer a refusal with a message on the page they return to.
        assert method == "post" and response.redirect_chain and response.status_code == 200, url
        assert any(m.level_tag == "error" for m in response.context["messages"]), url
    assert _snapshot() == before


# Figures are not objects with ids: a stranger naming the world's warehouse, route or driver in a
# filter, or asking for the parcels behind a figure, finds nothing of it (API and portal alike).
METRICS_CASES = [
    ("other_merchant", "warehouse={warehouse_id}", "/merchant/performance/parcels/"),
    ("other_carrier", "warehouse={warehouse_id}", "/carrier/performance/parcels/"),
    ("other_merchant", "", "/merchant/performance/parcels/"),
    ("other_carrier", "", "/carrier/performance/parcels/"),
]


# (Not "page": that name is Playwright's fixture, and parametrizing it reordered the whole run.)
@pytest.mark.parametrize(("who", "query", "drill_page"), METRICS_CASES)
def test_another_tenants_parcels_do_not_show_in_figures_or_drill_downs(world, who, query, drill_page):
    from firstmile.metrics.services import rollup_run

    rollup_run()
    client = _client(world[who])
    where = query.format(**world["ids"])
    body = client.get(f"/api/v1/metrics/performance?from=2023-09-01&to=2023-09-30&{where}").json()
    assert body["totals"]["figures"]["labels"] == 0 and body["breakdowns"]
    parcels = client.get(f"/api/v1/metrics/parcels?from=2023-09-01&to=2023-09-30&measure=labels&{where}").json()
    assert parcels["count"] == 0
    html = client.get(f"{drill_page}?from=2023-09-01&to=2023-09-30&measure=labels&{where}").content.decode()
    assert world["ids"]["waybill_no"] not in html
    # The owner does see it: the case is not empty by accident.
    owner = _client(world["owner"])
    assert owner.get("/api/v1/metrics/parcels?from=2023-09-01&to=2023-09-30&measure=labels").json()["count"] == 1
