"""The receiver example in docs/ works against real deliveries: it verifies, and acts once per webhook-id."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
from http.server import HTTPServer
from pathlib import Path

import pytest

from firstmile.events import delivery
from firstmile.events.models import WebhookDelivery
from firstmile.events.services import delivery_replay, endpoint_create
from firstmile.pickup.services import warehouse_create

from .conftest import HONGMEI

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_receiver_verifies_and_deduplicates(merchant, ws_admin, monkeypatch):
    example = _load_example()
    handled = []
    monkeypatch.setattr(example, "handle", lambda event, db: handled.append(event["type"]))
    db = sqlite3.connect(":memory:", check_same_thread=False)
    server = HTTPServer(("127.0.0.1", 0), None)
    endpoint, secret = endpoint_create(
        actor=ws_admin, url=f"http://127.0.0.1:{server.server_address[1]}/", event_types=["subscription.requested"]
    )
    server.RequestHandlerClass = example.make_handler(secret, db)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        warehouse_create(actor=merchant, **HONGMEI)
        delivery.dispatch_due(worker_id="w")
        sent = WebhookDelivery.objects.get()
        assert sent.status == "succeeded" and sent.last_status_code == 204
        delivery_replay(actor=ws_admin, delivery_id=sent.pk)  # the same message again
        delivery.dispatch_due(worker_id="w")
        assert WebhookDelivery.objects.get().attempt_count == 2
        assert handled == ["subscription.requested"]  # acted on once
        # A forged message is refused.
        endpoint.secret = "whsec_" + "A" * 32
        endpoint.save()
        delivery_replay(actor=ws_admin, delivery_id=sent.pk)
        delivery.dispatch_due(worker_id="w")
        assert WebhookDelivery.objects.get().last_status_code == 400
    finally:
        server.shutdown()
        server.server_close()
