"""Health and readiness endpoints, and one JSON log line per request with its X-Request-ID."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from firstmile import health
from firstmile.core.clock import now
from firstmile.core.logs import JsonFormatter
from firstmile.events.models import WorkerHeartbeat

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_check():
    health._migrations_checked.clear()


def test_liveness_needs_nothing():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_waits_for_a_worker():
    not_yet = Client().get("/readyz")
    assert not_yet.status_code == 503
    assert not_yet.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "worker": "none seen: start `firstmile worker`",
    }
    WorkerHeartbeat.objects.create(worker_id="w1", seen_at=now())
    ready = Client().get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["worker"] == "ok (1 alive)"


def test_readiness_refuses_code_whose_migrations_are_not_applied(monkeypatch):
    WorkerHeartbeat.objects.create(worker_id="w1", seen_at=now())
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("events", "9999_new")])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("pending")


def test_every_request_logs_one_json_line_with_its_id_and_organisation(caplog):
    merchant = factories.organisation(code="dg-lighting")
    raw = factories.token(merchant)
    with caplog.at_level(logging.INFO, logger="firstmile.request"):
        response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}", "X-Request-ID": "erp-42"})
    assert response["X-Request-ID"] == "erp-42"
    (line,) = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "firstmile.request"]
    assert line["request_id"] == "erp-42" and line["status"] == 200 and line["organisation"] == "dg-lighting"
    assert line["path"] == "/api/v1/me" and line["duration_ms"] >= 0 and line["token"]


def test_a_hostile_request_id_is_replaced(caplog):
    with caplog.at_level(logging.INFO, logger="firstmile.request"):
        response = Client().get("/login/", headers={"X-Request-ID": "x" * 500})
    assert len(response["X-Request-ID"]) == 32
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["request_id"] == response["X-Request-ID"] and line["level"] == "INFO"
    assert line["logger"] == "firstmile.request" and line["message"] == "GET /login/ 200"


def test_probes_by_address_over_plain_http_are_answered_in_production_mode(settings, caplog):
    """A load balancer probes 10.0.1.5:8000 over HTTP: no redirect to HTTPS, no 400 for the unlisted host."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["firstmile.example.com"]
    WorkerHeartbeat.objects.create(worker_id="w1", seen_at=now())
    probe = Client(HTTP_HOST="10.0.1.5:8000")
    with caplog.at_level(logging.INFO, logger="firstmile.request"):
        assert probe.get("/healthz").status_code == 200
        assert probe.head("/healthz").status_code == 200
        assert probe.get("/readyz").status_code == 200
    assert not [r for r in caplog.records if r.name == "firstmile.request"]  # probes write no request line
    assert probe.get("/login/").status_code == 400  # every other path keeps the host check
    assert Client(HTTP_HOST="firstmile.example.com").get("/login/").status_code == 301
    assert probe.post("/healthz").status_code == 405
