"""Webhooks from the outbox: fan-out in the change's transaction, signed sends, retries, order, log, replay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events import delivery, urls_safety
from firstmile.events.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from firstmile.events.services import (
    deliveries_replay,
    delivery_replay,
    endpoint_create,
    endpoint_rotate_secret,
    endpoint_update,
)
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create

from .. import factories
from ..refusals import refused
from ..snapshots import database_snapshot
from .conftest import HONGMEI

pytestmark = pytest.mark.django_db


def _send_all(worker="w1", rounds=10):
    total = 0
    for _ in range(rounds):
        n = delivery.dispatch_due(worker_id=worker, limit=100)
        total += n
        if not n:
            break
    return total


def test_a_change_writes_deliveries_for_both_parties_in_its_transaction(merchant, ws_admin, receiver):
    merchant_hook, _ = endpoint_create(actor=merchant, url=receiver.url, event_types=["subscription.requested"])
    carrier_hook, _ = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["*"])
    other = factories.actor(kind=OrganisationKind.MERCHANT)
    endpoint_create(actor=other, url=receiver.url, event_types=["*"])

    saved = warehouse_create(actor=merchant, **HONGMEI)

    subscription = PickupSubscription.objects.get(warehouse=saved.warehouse)
    requested = WebhookDelivery.objects.filter(event__kind="subscription.requested")
    assert sorted(requested.values_list("endpoint_id", flat=True)) == sorted([merchant_hook.pk, carrier_hook.pk])
    assert set(requested.values_list("subject_key", flat=True)) == {f"pickup.pickupsubscription:{subscription.pk}"}
    # The other merchant hears nothing; the merchant's hook wants only subscription.requested.
    assert not WebhookDelivery.objects.filter(
        endpoint__organisation=other.organisation, event__owner=merchant.organisation
    ).exists()
    assert not WebhookDelivery.objects.filter(endpoint=merchant_hook, event__kind="warehouse.created").exists()


def test_a_rolled_back_change_leaves_no_delivery(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["*"])
    before = WebhookDelivery.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        warehouse_create(actor=merchant, **HONGMEI)
        raise ValueError("the change fails after its events were written")
    assert WebhookDelivery.objects.count() == before


def test_bulk_changes_fan_out_set_based(merchant, ws, ws_admin, ws_staff, receiver):
    endpoint_create(actor=merchant, url=receiver.url, event_types=["subscription.approved"])
    ids = []
    for n in range(5):
        saved = warehouse_create(actor=merchant, **{**HONGMEI, "code": f"DG-{n}", "name": f"仓{n}"})
        ids.append(PickupSubscription.objects.get(warehouse=saved.warehouse).pk)

    subscription_approve(actor=ws_staff, subscription_ids=ids)

    approved = WebhookDelivery.objects.filter(event__kind="subscription.approved")
    assert sorted(int(k.split(":")[1]) for k in approved.values_list("subject_key", flat=True)) == sorted(ids)


def test_the_worker_sends_signed_payloads_an_erp_can_act_on(merchant, ws_admin, receiver):
    _, secret = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    saved = warehouse_create(actor=merchant, **HONGMEI)

    assert _send_all() == 1

    (got,) = receiver.received
    payload = Webhook(secret).verify(got.body, got.headers)  # raises unless the signature holds
    assert got.headers["webhook-id"] == f"msg_{WebhookDelivery.objects.get().event_id}"
    assert payload["type"] == "subscription.requested"
    assert payload["timestamp"].endswith("+08:00")
    data = payload["data"]
    assert data["to_state"] == "pending_review"
    assert data["object"]["warehouse_code"] == "DG-HM"
    assert data["object"]["merchant"] == merchant.organisation.code
    assert data["object"]["carrier"] == "WS"
    assert data["object"]["review_due_at"].endswith("+08:00")
    assert data["subject"] == {"type": "pickupsubscription", "id": str(saved.decision.subscription_id)}
    sent = WebhookDelivery.objects.get()
    assert sent.status == DeliveryStatus.SUCCEEDED and sent.attempt_count == 1
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code == 204 and attempt.outcome == "delivered"


def test_5xx_and_network_errors_are_retried_with_backoff_other_4xx_are_not(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    receiver.answers = [503]
    warehouse_create(actor=merchant, **HONGMEI)

    _send_all()
    pending = WebhookDelivery.objects.get()
    assert pending.status == DeliveryStatus.PENDING
    assert pending.last_status_code == 503
    wait = (pending.next_attempt_at - now()).total_seconds()
    assert 5 <= wait <= 15  # the first retry: 10 s ± 25 %
    assert _send_all() == 0  # not due yet

    with time_machine.travel(pending.next_attempt_at + timedelta(seconds=1)):
        receiver.answers = [400]
        _send_all()
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED and failed.last_status_code == 400
    assert list(WebhookAttempt.objects.order_by("id").values_list("outcome", flat=True)) == ["retry", "failed"]
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body  # retries send the same bytes


def test_a_receiver_that_is_down_is_retried(merchant, ws_admin, receiver):
    endpoint = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])[0]
    receiver.stop()
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    pending = WebhookDelivery.objects.get()
    assert pending.status == DeliveryStatus.PENDING and pending.last_status_code is None
    assert "ConnectionError" in pending.last_error
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.failing_since is not None


def test_backoff_grows_to_about_three_days_then_gives_up():
    waits = [delivery.backoff(n, rng=_Middle()) for n in range(1, 15)]
    assert waits[:4] == [10, 30, 90, 270]
    assert max(waits) == delivery.MAX_WAIT
    elapsed, attempts = 0.0, 1
    while elapsed < delivery.RETRY_WINDOW.total_seconds():
        elapsed += delivery.backoff(attempts, rng=_Middle())
        attempts += 1
    assert 15 <= attempts <= 25


class _Middle:
    def uniform(self, low, high):
        return 1.0


def test_after_the_retry_window_a_failing_delivery_is_given_up(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    warehouse_create(actor=merchant, **HONGMEI)
    receiver.default = 500
    with time_machine.travel(now() + timedelta(days=3, minutes=1)):
        _send_all()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_410_disables_the_endpoint(merchant, ws_admin, receiver):
    endpoint = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])[0]
    receiver.answers = [410]
    warehouse_create(actor=merchant, **HONGMEI)
    warehouse_create(actor=merchant, **{**HONGMEI, "code": "DG-2"})
    delivery.dispatch_due(worker_id="w1", limit=1)
    _send_all()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "410 Gone"
    # What was still queued for it waits; nothing more is sent while it is off.
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).count() == 1
    assert len(receiver.received) == 1
    endpoint_update(actor=ws_admin, endpoint_id=endpoint.pk, is_active=True)
    _send_all()
    assert not WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).exists()
    assert len(receiver.received) == 2


def test_days_of_failures_disable_the_endpoint(merchant, ws_admin, receiver):
    endpoint = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["*"])[0]
    receiver.default = 500
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=delivery.DISABLE_AFTER_ATTEMPTS, failing_since=now() - timedelta(days=3, hours=1)
    )
    WebhookDelivery.objects.update(next_attempt_at=now())
    _send_all()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason.startswith("failing since")


def test_one_objects_events_arrive_in_order(merchant, ws, ws_admin, ws_staff, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested", "subscription.approved"])
    saved = warehouse_create(actor=merchant, **HONGMEI)
    subscription = PickupSubscription.objects.get(warehouse=saved.warehouse)
    subscription_approve(actor=ws_staff, subscription_ids=[subscription.pk])
    receiver.answers = [500]  # the first (requested) fails once

    _send_all()
    assert [r.json["type"] for r in receiver.received] == ["subscription.requested"]
    # approved waits behind requested, though it is due
    assert WebhookDelivery.objects.filter(event__kind="subscription.approved", attempt_count=0).exists()

    with time_machine.travel(now() + timedelta(minutes=1)):
        _send_all()
    assert [r.json["type"] for r in receiver.received] == [
        "subscription.requested",
        "subscription.requested",
        "subscription.approved",
    ]


def test_a_leased_delivery_is_not_claimed_by_a_second_worker(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["*"])
    warehouse_create(actor=merchant, **HONGMEI)
    first = delivery.deliveries_claim(worker_id="a", limit=100)
    assert first
    assert delivery.deliveries_claim(worker_id="b", limit=100) == []
    # A worker that died holding them: the lease runs out and another takes them.
    with time_machine.travel(now() + delivery.lease() + timedelta(seconds=1)):
        assert sorted(delivery.deliveries_claim(worker_id="b", limit=100)) == sorted(first)
        # The dead worker's late answer is not recorded over the new holder's lease.
        assert delivery.delivery_attempt(first[0], worker_id="a") is None


def test_rotation_signs_with_both_secrets_for_a_day(merchant, ws_admin, receiver):
    endpoint, old = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    _, new = endpoint_rotate_secret(actor=ws_admin, endpoint_id=endpoint.pk)
    assert new != old
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)


def test_replay_one_and_a_range(merchant, ws_admin, receiver):
    endpoint = endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])[0]
    receiver.default = 400
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED

    receiver.default = 200
    delivery_replay(actor=ws_admin, delivery_id=failed.pk)
    _send_all()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED and failed.replayed_count == 1
    assert receiver.ids()[0] == receiver.ids()[1]  # same webhook-id: the receiver can tell

    with refused(Conflict, "webhook_delivery_pending"):  # a pending one cannot be replayed
        WebhookDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.PENDING)
        delivery_replay(actor=ws_admin, delivery_id=failed.pk)
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    n = deliveries_replay(
        actor=ws_admin, endpoint_id=endpoint.pk, since=now() - timedelta(hours=1), until=now() + timedelta(hours=1)
    )
    assert n == 1


def test_another_partys_delivery_cannot_be_replayed(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    warehouse_create(actor=merchant, **HONGMEI)
    receiver.default = 400
    _send_all()
    theirs = WebhookDelivery.objects.get()
    staff = factories.actor(ws_admin.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    snapshot = database_snapshot()
    with refused(NotFound, "webhook_delivery_not_found"):
        delivery_replay(actor=merchant, delivery_id=theirs.pk)
    with refused(Forbidden, "forbidden"):  # staff may not replay at all
        delivery_replay(actor=staff, delivery_id=theirs.pk)
    assert database_snapshot() == snapshot


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://erp.example.com/hooks", "webhook_url_invalid"),
        ("javascript:alert(1)", "webhook_url_invalid"),
        ("https://user:pw@erp.example.com/", "webhook_url_invalid"),
        ("http://127.0.0.1:8080/hooks", "webhook_url_not_allowed"),
        ("http://[::1]/hooks", "webhook_url_not_allowed"),
        ("http://169.254.169.254/latest/meta-data", "webhook_url_not_allowed"),
        ("http://10.0.0.7/hooks", "webhook_url_not_allowed"),
        ("http://localhost/hooks", "webhook_url_not_allowed"),
    ],
)
def test_unsafe_urls_are_refused_in_production(settings, ws_admin, url, code):
    settings.FIRSTMILE_WEBHOOK_ALLOW_PRIVATE = False
    snapshot = database_snapshot()
    with pytest.raises(ApplicationError) as refused:
        endpoint_create(actor=ws_admin, url=url, event_types=["*"])
    assert refused.value.code == code and refused.value.field == "url"
    assert database_snapshot() == snapshot


def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(
    settings, merchant, ws_admin, receiver, monkeypatch
):
    # The name was public when saved; it now resolves into the private network (DNS rebinding).
    endpoint_create(actor=ws_admin, url="http://erp.example.com/hooks", event_types=["subscription.requested"])
    settings.FIRSTMILE_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(
        urls_safety.socket,
        "getaddrinfo",
        lambda host, port, **kw: [(2, 1, 6, "", ("10.0.0.5", port))] if host == "erp.example.com" else [],
    )
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    refused = WebhookDelivery.objects.get()
    assert refused.status == DeliveryStatus.FAILED and refused.last_error == "refused target (private)"
    assert receiver.received == []


def test_unknown_event_types_are_refused(ws_admin):
    with pytest.raises(ApplicationError) as refused:
        endpoint_create(actor=ws_admin, url="https://erp.example.com/h", event_types=["waybill.teleported"])
    assert refused.value.code == "unknown_event_type" and refused.value.field == "event_types"
    assert not WebhookEndpoint.objects.exists()


def test_the_body_is_valid_json_with_times_in_beijing(merchant, ws_admin, receiver):
    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["*"])
    warehouse_create(actor=merchant, **HONGMEI)
    _send_all()
    for got in receiver.received:
        body = json.loads(got.body)
        assert body["data"]["object_as_of"].endswith("+08:00")


def test_the_documented_catalogue_is_the_one_in_force():
    from pathlib import Path

    from django.utils import translation

    from firstmile.events.catalogue import catalogue_markdown

    with translation.override("en"):
        table = catalogue_markdown()
    assert table in (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()


@pytest.mark.parametrize(
    ("url", "retry"),
    [
        ("http://a..b.example/hooks", True),  # a malformed name: unresolvable, may be fixed by DNS later
        ("http://no-such-host.invalid/hooks", True),
        ("http://10.1.2.3/hooks", False),  # private: never allowed in production
    ],
)
def test_a_send_to_a_strange_target_never_raises(settings, url, retry):
    settings.FIRSTMILE_WEBHOOK_ALLOW_PRIVATE = False
    outcome = delivery.post(url, "{}", {})
    assert not outcome.delivered and outcome.retry is retry and outcome.error


def test_the_delivery_log_forgets_finished_deliveries_after_its_retention(merchant, ws_admin, receiver):
    from firstmile.events.recovery import purge_delivery_log

    endpoint_create(actor=ws_admin, url=receiver.url, event_types=["subscription.requested"])
    receiver.answers = [500]
    warehouse_create(actor=merchant, **HONGMEI)
    warehouse_create(actor=merchant, **{**HONGMEI, "code": "DG-2"})
    _send_all()  # one delivered, one waiting to retry
    assert purge_delivery_log() == 0
    with time_machine.travel(now() + timedelta(days=31)):
        purge_delivery_log()
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.PENDING]
    assert WebhookAttempt.objects.count() == 1


def test_times_in_changes_are_sent_in_beijing_time():
    from firstmile.events.models import Event

    event = Event(
        kind="order.created",
        subject_type="shipping.order",
        subject_id="1",
        payload={
            "ship_by": "2023-09-20T02:00:00+00:00",
            "order_no": "2023-09-20",
            "nested": [{"at": "2023-09-19T16:00:00Z"}],
        },
        occurred_at=now(),
    )
    body = delivery.event_body(event, None, now())
    assert body["data"]["changes"] == {
        "ship_by": "2023-09-20T10:00:00+08:00",
        "order_no": "2023-09-20",
        "nested": [{"at": "2023-09-20T00:00:00+08:00"}],
    }


def test_a_bulk_change_reaches_exactly_the_live_endpoints_of_its_parties_that_want_it(db):
    from firstmile.events.services import event_record_bulk
    from firstmile.pickup.models import Warehouse

    from .load import warehouse_events

    merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    stranger = factories.organisation(kind=OrganisationKind.MERCHANT)

    def endpoint(org, types, **extra):
        return WebhookEndpoint.objects.create(
            organisation=org, url="https://erp.example/hook", secret="s", event_types=types, **extra
        )

    wants = endpoint(merchant.organisation, ["warehouse.updated"])
    everything = endpoint(merchant.organisation, ["*"])
    endpoint(merchant.organisation, ["order.shipped"])
    endpoint(merchant.organisation, ["warehouse.updated"], is_active=False)
    endpoint(merchant.organisation, ["warehouse.updated"], deleted_at=now())
    endpoint(stranger, ["*"])

    warehouse_events(merchant, 3)
    sent = sorted(WebhookDelivery.objects.values_list("endpoint_id", flat=True))
    assert sent == sorted([wants.pk] * 3 + [everything.pk] * 3)
    # Nobody listening to a kind: the events are written, no delivery.
    with transaction.atomic():
        written = event_record_bulk(
            actor=None,
            kind="warehouse.created",
            subjects=Warehouse.objects.filter(merchant=stranger),
            owner_field="merchant_id",
        )
    assert written == 0 and WebhookDelivery.objects.count() == 6


def test_events_by_subject_ids_are_the_events_of_the_same_queryset(db):
    from firstmile.events.services import event_record_bulk
    from firstmile.pickup.models import Warehouse

    from .load import warehouse_events

    merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    WebhookEndpoint.objects.create(
        organisation=merchant.organisation, url="https://erp.example/hook", secret="s", event_types=["*"]
    )
    warehouse_events(merchant, 3)
    ids = list(Warehouse.objects.filter(merchant=merchant.organisation).values_list("pk", flat=True))
    moment = now()

    def written(**subjects):
        Event.objects.filter(kind="warehouse.updated").delete()
        WebhookDelivery.objects.all().delete()
        with transaction.atomic():
            for _round in range(6):  # the kept statement binds each call's own ids
                event_record_bulk(
                    actor=merchant,
                    kind="warehouse.updated",
                    payload={"why": "测试"},
                    owner_field="merchant_id",
                    occurred_at=moment,
                    **subjects,
                )
        events = Event.objects.filter(kind="warehouse.updated")
        return (
            sorted(
                events.values_list("subject_type", "subject_id", "owner_id", "actor_user_id", "payload", "occurred_at")
            ),
            WebhookDelivery.objects.count(),
        )

    by_queryset = written(subjects=Warehouse.objects.filter(pk__in=ids[:2]))
    by_ids = written(model=Warehouse, subject_ids=ids[:2])
    assert by_ids == by_queryset and len(by_ids[0]) == 12 and by_ids[1] == 12
    assert {row[2] for row in by_ids[0]} == {merchant.organisation.pk}
    with pytest.raises(TypeError), transaction.atomic():
        event_record_bulk(actor=None, kind="warehouse.updated", model=Warehouse)
