"""A carrier raises reverse orders only for merchants whose consolidation warehouse it runs."""

import pytest
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.events.models import Event
from firstmile.reverse.models import ConsolidationAgreement, ReverseOrder

from .. import factories

pytestmark = pytest.mark.django_db

BODY = {
    "order_no": "TT1",
    "reverse_type": "intercept_refused",
    "business_mode": "pop",
    "warehouse_code": "HZ",
    "warehouse_name": "杭州集货仓",
    "owner_id": "OW1",
    "owner_name": "货主",
}


def _post(client, path, body):
    return client.post(f"/api/v1{path}", body, content_type="application/json")


@pytest.fixture
def parties(db):
    ws = factories.carrier("WS")
    ops = factories.user(factories.organisation(OrganisationKind.PLATFORM), Role.STAFF)
    dispatcher = factories.user(ws.organisation, Role.STAFF)
    factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    factories.organisation(OrganisationKind.MERCHANT, code="sz-gadgets")
    clients = {}
    for name, user in (("ops", ops), ("ws", dispatcher)):
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def test_unrelated_and_unknown_merchants_get_the_same_answer(parties):
    ws = parties["ws"]
    unrelated = _post(ws, "/reverse-orders", {**BODY, "merchant_code": "dg-lighting"})
    unknown = _post(ws, "/reverse-orders", {**BODY, "merchant_code": "no-such-shop"})
    assert unrelated.status_code == unknown.status_code == 404

    def strip(r):
        return {
            **r.json(),
            "message": r.json()["message"].replace("dg-lighting", "X").replace("no-such-shop", "X"),
        }

    assert strip(unrelated) == strip(unknown)
    assert ReverseOrder.objects.count() == 0


def test_platform_operations_manage_the_relation_and_it_decides(parties):
    ops, ws = parties["ops"], parties["ws"]
    created = _post(ops, "/consolidation-agreements", {"carrier_code": "WS", "merchant_code": "dg-lighting"})
    assert created.status_code == 201
    twice = _post(ops, "/consolidation-agreements", {"carrier_code": "WS", "merchant_code": "dg-lighting"})
    assert twice.status_code == 409 and twice.json()["code"] == "consolidation_agreement_exists"
    assert _post(ws, "/reverse-orders", {**BODY, "merchant_code": "dg-lighting"}).status_code == 201
    assert _post(ws, "/reverse-orders", {**BODY, "order_no": "TT2", "merchant_code": "sz-gadgets"}).status_code == 404
    # A carrier may not grant itself the relation.
    assert (
        _post(ws, "/consolidation-agreements", {"carrier_code": "WS", "merchant_code": "sz-gadgets"}).status_code == 403
    )
    seen = ws.get("/api/v1/consolidation-agreements").json()
    assert [(a["carrier_code"], a["merchant_code"]) for a in seen] == [("WS", "dg-lighting")]
    ended = _post(ops, f"/consolidation-agreements/{created.json()['id']}/end", {})
    assert ended.status_code == 200 and ended.json()["ended_at"]
    events = Event.objects.count()
    assert _post(ws, "/reverse-orders", {**BODY, "order_no": "TT3", "merchant_code": "dg-lighting"}).status_code == 404
    assert Event.objects.count() == events
    ended = _post(ops, f"/consolidation-agreements/{created.json()['id']}/end", {})
    assert ended.status_code == 409 and ended.json()["code"] == "consolidation_agreement_ended"


def test_the_ops_page_adds_and_ends_agreements(parties):
    ops = parties["ops"]
    page = ops.get("/ops/consolidation/")
    assert page.status_code == 200
    ops.post("/ops/consolidation/", {"carrier_code": "WS", "merchant_code": "sz-gadgets"})
    agreement = ConsolidationAgreement.objects.get(merchant__code="sz-gadgets")
    assert "sz-gadgets" in ops.get("/ops/consolidation/").content.decode()
    ops.post("/ops/consolidation/", {"action": "end", "agreement_id": agreement.pk})
    agreement.refresh_from_db()
    assert agreement.ended_at is not None
    assert parties["ws"].get("/ops/consolidation/").status_code == 403
