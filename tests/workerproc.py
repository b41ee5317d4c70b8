"""Start `firstmile worker` processes against the test database, and kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
