"""docs/deploy.md's day one, run as written as far as a CI machine allows (no systemd, no root).

The environment block is read from the guide itself, with only the machine-specific
values (addresses, secrets, folders) replaced; then collectstatic, the first
administrator, gunicorn in production mode on loopback behind a proxy's headers, a
worker, the load balancer's probes over plain HTTP, and the first login.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from ..workerproc import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "deploy.md"
PASSWORD = "Kuaidi-2026-first-login"
HOST = "firstmile.example.com"


def guide_environment() -> dict[str, str]:
    """The /etc/firstmile.env block of the guide, read as systemd's EnvironmentFile= reads it."""
    text = GUIDE.read_text()
    section = text[text.index("## Environment") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    environment = {}
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        environment[name] = value
    return environment


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _request(port: int, method: str, path: str, headers: dict, body: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_the_guide_environment_block_is_read_as_written():
    environment = guide_environment()
    assert environment["FIRSTMILE_PRODUCTION"] == "1"
    assert not [name for name, value in environment.items() if "#" in value]  # no comment kept in a value
    assert {"FIRSTMILE_SECRET_KEY", "DATABASE_URL", "FIRSTMILE_ALLOWED_HOSTS", "FIRSTMILE_BEHIND_PROXY"} <= set(
        environment
    )


def test_day_one_from_the_guide(tmp_path):
    port = free_port()
    environment = guide_environment()
    environment.update(
        {
            # The machine-specific values; every flag and setting else is the guide's.
            "FIRSTMILE_SECRET_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": database_url(),
            "FIRSTMILE_BIND": f"127.0.0.1:{port}",
            "FIRSTMILE_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "FIRSTMILE_DATA_DIR": str(tmp_path / "data"),
            "FIRSTMILE_PIDFILE": str(tmp_path / "web.pid"),
            "FIRSTMILE_WEB_WORKERS": "1",
        }
    )
    if _redis_up():
        environment["FIRSTMILE_REDIS_URL"] = "redis://127.0.0.1:6379/14"
    else:
        environment.pop("FIRSTMILE_REDIS_URL")
    assert environment["FIRSTMILE_ALLOWED_HOSTS"] == HOST
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIRSTMILE_", "DATABASE_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the test runner's, not a deployment's
    env.update(environment)

    def fm(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "firstmile.cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    collected = fm("collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    checked = fm("check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    first = fm(
        "bootstrap-platform", "--username", "ops-admin", "--name", "Firstmile 平台", "--password-stdin", stdin=PASSWORD
    )
    assert first.returncode == 0, first.stderr

    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed at the end
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(
        [sys.executable, str(bin_dir / "gunicorn"), "-c", "python:firstmile.gunicorn_conf", "firstmile.wsgi"],
        env=env,
        stdout=log,
        stderr=log,
    )
    worker_log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed at the end
    worker = subprocess.Popen(
        [sys.executable, "-m", "firstmile.cli", "worker", "--interval", "0.2"],
        env=env,
        stdout=worker_log,
        stderr=worker_log,
    )
    by_address = {"Host": f"127.0.0.1:{port}"}  # as a load balancer probes: the address, plain HTTP
    proxied = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/healthz", by_address)[0] == 200:
                    break
            except OSError:
                pass
            assert web.poll() is None and time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            time.sleep(0.2)

        # The probes: 200, never a redirect to HTTPS nor a 400 for the unlisted address.
        assert _request(port, "HEAD", "/healthz", by_address)[0] == 200
        while (ready := _request(port, "GET", "/readyz", by_address))[0] != 200:
            assert ready[0] == 503 and time.monotonic() < deadline, ready
            time.sleep(0.2)
        assert json.loads(ready[2])["checks"]["worker"].startswith("ok")

        # Production mode: plain HTTP is sent to HTTPS, an unknown host refused.
        status, headers, _ = _request(port, "GET", "/login/", {"Host": HOST})
        assert status == 301 and headers["Location"] == f"https://{HOST}/login/"
        assert _request(port, "GET", "/login/", {**by_address, "X-Forwarded-Proto": "https"})[0] == 400

        # Through the proxy: HSTS, Secure cookies, collected static files with hashed names, compressed.
        status, headers, body = _request(port, "GET", "/login/", proxied)
        assert status == 200 and "max-age=31536000" in headers["Strict-Transport-Security"]
        cookies = SimpleCookie()
        for value in headers.get_all("Set-Cookie"):
            cookies.load(value)
        assert cookies["csrftoken"]["secure"]
        stylesheet = re.search(rb'href="(/static/portals/site\.[0-9a-f]{12}\.css)"', body).group(1).decode()
        status, headers, _ = _request(port, "GET", stylesheet, {**proxied, "Accept-Encoding": "br, gzip"})
        assert status == 200 and headers["Content-Encoding"] == "br" and "immutable" in headers["Cache-Control"]
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()

        # The first administrator signs in and reaches the platform portal.
        form = f"csrfmiddlewaretoken={csrf}&username=ops-admin&password={PASSWORD}"
        status, headers, _ = _request(
            port,
            "POST",
            "/login/",
            {
                **proxied,
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}/login/",
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            },
            form,
        )
        assert status == 302, headers
        session = SimpleCookie()
        for value in headers.get_all("Set-Cookie"):
            session.load(value)
        assert session["sessionid"]["secure"] and session["sessionid"]["httponly"]
        status, _, page = _request(
            port, "GET", "/ops/", {**proxied, "Cookie": f"sessionid={session['sessionid'].value}"}
        )
        assert status == 200 and "Firstmile 平台".encode() in page
    finally:
        for process in (worker, web):
            process.terminate()
            process.wait(timeout=60)
        log.close()
        worker_log.close()

    # Every line is JSON; the start-up line says production with collected static files;
    # request lines carry the client's address from the proxy's header; probes write none.
    lines = [json.loads(line) for line in (tmp_path / "web.log").read_text().splitlines() if line.strip()]
    startup = next(line for line in lines if line["logger"] == "firstmile.startup")
    assert startup["mode"] == "production" and startup["static_files"] == "collected" and startup["level"] == "INFO"
    requests = [line for line in lines if line["logger"] == "firstmile.request"]
    assert not [line for line in requests if line["path"] in ("/healthz", "/readyz")]
    login = next(line for line in requests if line["path"] == "/login/" and line["method"] == "POST")
    assert login["client_ip"] == "203.0.113.9" and login["status"] == 302
    worker_lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines() if line.strip()]
    worker_start = next(line for line in worker_lines if line["logger"] == "firstmile.startup")
    assert worker_start["component"] == "worker" and worker_start["mode"] == "production"
