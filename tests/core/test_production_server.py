"""The production command as documented: gunicorn with Firstmile's config serves the app, its static files and logs."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from .. import factories
from ..workerproc import free_port, http_get, start_gunicorn, stop

pytestmark = pytest.mark.django_db(transaction=True)


def _listening_sockets(port: int) -> int:
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[3] == "0A" and int(row.split()[1].rsplit(":", 1)[1], 16) == port)


@pytest.mark.parametrize("reuse_port", ["0", "1"])
def test_gunicorn_serves_the_api_static_files_and_json_request_logs(tmp_path, reuse_port):
    raw = factories.token(factories.organisation(code="dg-lighting"))
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below, after the server stops
    server = start_gunicorn(port, log, {"FIRSTMILE_WEB_WORKERS": "2", "FIRSTMILE_WEB_REUSE_PORT": reuse_port})
    base = f"http://127.0.0.1:{port}"
    try:
        status, headers, body = http_get(
            f"{base}/api/v1/me", {"Authorization": f"Bearer {raw}", "X-Request-ID": "lb-7"}
        )
        assert status == 200 and json.loads(body)["organisation"]["code"] == "dg-lighting"
        assert headers["X-Request-ID"] == "lb-7"
        css = http_get(f"{base}/static/portals/site.css")
        assert css[0] == 200 and b"{" in css[2]  # WhiteNoise, no web server in front
        assert http_get(f"{base}/readyz")[0] == 503  # no worker yet: keep traffic away
        # One socket shared by the workers, or one each for the kernel to spread connections over.
        assert _listening_sockets(port) == (2 if reuse_port == "1" else 1)
    finally:
        stop(server)
        log.close()
    # Every line is JSON: gunicorn's own, the start-up line, the request lines.
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line.strip()]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    startup = next(line for line in lines if line["logger"] == "firstmile.startup")
    assert startup["mode"] == "development" and startup["level"] == "WARNING"
    me = next(line for line in lines if line["logger"] == "firstmile.request" and line["path"] == "/api/v1/me")
    assert me["request_id"] == "lb-7" and me["status"] == 200 and me["organisation"] == "dg-lighting"


@pytest.mark.django_db(transaction=False)
def test_reuse_port_follows_the_kernel_unless_the_environment_says(monkeypatch, tmp_path):
    from firstmile import gunicorn_conf

    monkeypatch.setenv("FIRSTMILE_WEB_REUSE_PORT", "1")
    assert runpy.run_path(gunicorn_conf.__file__)["reuse_port"] is True
    monkeypatch.setenv("FIRSTMILE_WEB_REUSE_PORT", "0")
    assert runpy.run_path(gunicorn_conf.__file__)["reuse_port"] is False
    monkeypatch.delenv("FIRSTMILE_WEB_REUSE_PORT")
    for setting, expected in (("1\n", True), ("0\n", False)):
        (tmp_path / "tcp_migrate_req").write_text(setting)
        monkeypatch.setattr(gunicorn_conf, "_MIGRATE_REQ", tmp_path / "tcp_migrate_req")
        assert gunicorn_conf._kernel_hands_over_queued_connections() is expected
    monkeypatch.setattr(gunicorn_conf, "_MIGRATE_REQ", tmp_path / "absent")
    assert gunicorn_conf._kernel_hands_over_queued_connections() is False  # not Linux, or an older kernel


def test_a_worker_freezes_its_start_up_heap_after_loading_the_routes():
    import gc

    from django.urls import clear_url_caches, get_resolver

    from firstmile import gunicorn_conf

    clear_url_caches()
    assert "url_patterns" not in get_resolver().__dict__
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000
        assert "url_patterns" in get_resolver().__dict__  # loaded by the hook (a cached_property)
    finally:
        gc.unfreeze()
