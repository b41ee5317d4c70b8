"""Idempotency-Key: a retried POST has one effect and the first answer; another body with the key is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client

from firstmile.accounts.services import api_token_issue
from firstmile.api.models import IdempotencyRecord
from firstmile.core.clock import now
from firstmile.shipping.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(merchant):
    _token, raw = api_token_issue(actor=None, organisation=merchant.organisation, name="ERP")
    return {"Authorization": f"Bearer {raw}"}


def _post(headers, body, key="k-1", client=None):
    return (client or Client()).post(
        "/api/v1/orders",
        body,
        content_type="application/json",
        headers={**headers, **({"Idempotency-Key": key} if key else {})},
    )


def test_a_retry_with_the_same_key_returns_the_first_answer_and_has_one_effect(hongmei, erp):
    body = {"order_no": "TT-1", "warehouse_code": "DG-HM"}
    first = _post(erp, body)
    again = _post(erp, body)
    assert first.status_code == 201
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Order.objects.filter(order_no="TT-1").count() == 1


def test_the_same_key_with_another_body_is_refused(hongmei, erp):
    _post(erp, {"order_no": "TT-1", "warehouse_code": "DG-HM"})
    other = _post(erp, {"order_no": "TT-2", "warehouse_code": "DG-HM"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused" and other.json()["field"] == "Idempotency-Key"
    assert not Order.objects.filter(order_no="TT-2").exists()


def test_errors_are_replayed_too_but_not_5xx_or_auth_failures(hongmei, erp):
    bad = {"order_no": "TT-1", "warehouse_code": "NOPE"}
    first = _post(erp, bad)
    assert first.status_code in (400, 404, 422)
    assert _post(erp, bad).json() == first.json()
    assert _post({"Authorization": "Bearer fm_wrong"}, bad, key="k-2").status_code == 401
    assert not IdempotencyRecord.objects.filter(key="k-2").exists()


def test_keys_are_per_credential(hongmei, erp, merchant):
    _token, raw = api_token_issue(actor=None, organisation=merchant.organisation, name="ERP 2")
    body = {"order_no": "TT-1", "warehouse_code": "DG-HM"}
    assert _post(erp, body).status_code == 201
    # Another credential's same key is its own: the request runs (and finds the number taken).
    second = _post({"Authorization": f"Bearer {raw}"}, body)
    assert "Idempotent-Replayed" not in second
    assert second.status_code == 409
    assert IdempotencyRecord.objects.filter(key="k-1").count() == 2


def test_keys_are_forgotten_after_24_hours(hongmei, erp):
    body = {"order_no": "TT-1", "warehouse_code": "DG-HM"}
    _post(erp, body)
    with time_machine.travel(now() + timedelta(hours=25)):
        later = _post(erp, {"order_no": "TT-3", "warehouse_code": "DG-HM"})
    assert later.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "bad key", "ключ"])
def test_malformed_keys_are_refused(hongmei, erp, key):
    response = Client().post(
        "/api/v1/orders",
        {"order_no": "TT-1", "warehouse_code": "DG-HM"},
        content_type="application/json",
        headers={**erp, "Idempotency-Key": key},
    )
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"
    assert not Order.objects.exists()


def test_a_request_still_in_flight_gets_409_until_it_is_abandoned(hongmei, erp):
    body = {"order_no": "TT-9", "warehouse_code": "DG-HM"}
    assert _post(erp, body, key="k-in-flight").status_code == 201
    # As a first request still running would leave it: claimed, no answer yet.
    IdempotencyRecord.objects.filter(key="k-in-flight").update(completed_at=None)
    response = _post(erp, body, key="k-in-flight")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_request_in_flight"
    # A claim with no answer for ten minutes belonged to a process that died (its effect rolled back with it).
    Order.objects.filter(order_no="TT-9").delete()
    with time_machine.travel(now() + timedelta(minutes=11)):
        assert _post(erp, body, key="k-in-flight").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_posts_have_one_effect(divisions):
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.pickup.services import warehouse_create

    from .. import factories
    from .conftest import HONGMEI as ADDRESS

    carrier = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    boss = factories.actor()
    warehouse_create(actor=boss, **ADDRESS)
    _token, raw = api_token_issue(actor=None, organisation=boss.organisation, name="ERP")
    headers = {"Authorization": f"Bearer {raw}"}
    body = {"order_no": "TT-RACE", "warehouse_code": ADDRESS["code"]}
    start = threading.Barrier(50)
    answers: list = []
    lock = threading.Lock()

    def send():
        try:
            start.wait()
            response = _post(headers, body, key="race-1")
            with lock:
                answers.append((response.status_code, response.content, response.get("Idempotent-Replayed")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert Order.objects.filter(order_no="TT-RACE").count() == 1
    firsts = [a for a in answers if a[0] == 201 and a[2] is None]
    replays = [a for a in answers if a[2] == "true"]
    in_flight = [a for a in answers if a[0] == 409]
    assert len(firsts) == 1
    assert len(replays) + len(in_flight) == 49
    assert all(r[1] == firsts[0][1] for r in replays)


@pytest.mark.django_db(transaction=True)
def test_overlapping_arrangements_at_once_issue_one_waybill_per_order(divisions):
    """Eight calls at once over overlapping orders: each order gets one waybill, the losers a clean 409."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite runs one writer at a time")
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.core.errors import Conflict
    from firstmile.pickup.services import warehouse_create
    from firstmile.shipping.models import Waybill
    from firstmile.shipping.services import order_create, shipment_arrange

    from .. import factories
    from .conftest import HONGMEI as ADDRESS

    carrier = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    boss = factories.actor()
    warehouse_create(actor=boss, **ADDRESS)
    ids = [order_create(actor=boss, order_no=f"RACE-{i}", warehouse_code=ADDRESS["code"]).pk for i in range(40)]
    # Call k takes orders k*5 … k*5+9: every order but the first and last five is asked for by two calls.
    chunks = [ids[k * 5 : k * 5 + 10] for k in range(8)]
    start = threading.Barrier(len(chunks))
    issued: list = []
    refused: list = []
    succeeded: list = []
    lock = threading.Lock()

    def arrange(chunk):
        try:
            start.wait()
            try:
                waybills = shipment_arrange(actor=boss, order_ids=chunk)
            except Conflict as err:
                with lock:
                    refused.append(err.code)
            else:
                with lock:
                    issued.extend(w.order_id for w in waybills)
                    succeeded.append(chunk)
        finally:
            connection.close()

    threads = [threading.Thread(target=arrange, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(issued) == len(set(issued))
    assert sorted(Waybill.objects.values_list("order_id", flat=True)) == sorted(issued)
    assert len(succeeded) + len(refused) == len(chunks) and succeeded
    assert sorted(issued) == sorted(pk for chunk in succeeded for pk in chunk)
    assert set(refused) <= {"order_not_awaiting_shipment"}
    shipped = set(Order.objects.filter(status="shipped").values_list("pk", flat=True))
    assert shipped == set(issued)
