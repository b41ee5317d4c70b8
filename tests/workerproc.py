"""Start `firstmile worker` processes against the test database, and kill them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection


def database_url() -> str:
    """The URL of the database this test process is using (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(
    *args: str,
    lease_seconds: int = 2,
    dead_after: int = 3,
    log=None,
    extra_env: dict | None = None,
    interval: float = 0.05,
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "FIRSTMILE_WEBHOOK_LEASE_SECONDS": str(lease_seconds),
        "FIRSTMILE_WORKER_DEAD_AFTER_SECONDS": str(dead_after),
        "FIRSTMILE_WEBHOOK_ALLOW_PRIVATE": "1",
        "FIRSTMILE_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "firstmile.cli", "worker", "--interval", str(interval), *args],
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None):
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def start_gunicorn(port: int, log, extra_env: dict | None = None) -> subprocess.Popen:
    """The production web server as docs/deploy.md runs it, on the test database; ready when it returns."""
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:firstmile.gunicorn_conf", "firstmile.wsgi"],
        env={**os.environ, "DATABASE_URL": database_url(), "FIRSTMILE_BIND": f"127.0.0.1:{port}", **(extra_env or {})},
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)
