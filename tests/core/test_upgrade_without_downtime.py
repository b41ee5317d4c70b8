"""docs/deploy.md's upgrade, run as written: a new release beside the old one, served without a refused request.

Two releases live side by side under ``releases/``, each with its own code and
``.venv``; ``current`` points at one. gunicorn runs from ``current`` and
``scripts/reload_web.py`` (systemd's ExecReload) swaps its master for one of the
release ``current`` points at after the link moves, while clients keep calling.
A release that cannot start is refused and the old one keeps serving.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import pytest

from .. import factories
from ..workerproc import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]


def _release(root: Path, name: str, *, healthz_says: str | None = None, broken: bool = False) -> Path:
    """A release directory as the guide installs it: the code, a .venv, the scripts."""
    release = root / "releases" / name
    shutil.copytree(
        REPO / "src" / "firstmile", release / "src" / "firstmile", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(REPO / "scripts", release / "scripts")
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(release / ".venv")], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(release / ".venv")}))
    # The release's own code first; the locked dependencies (the same here) after it.
    (site / "firstmile-release.pth").write_text(f"{release / 'src'}\n{sysconfig.get_path('purelib')}\n")
    shutil.copy(Path(sys.executable).with_name("gunicorn"), release / ".venv" / "bin" / "gunicorn")
    health = release / "src" / "firstmile" / "health.py"
    if healthz_says:
        text = health.read_text().replace(
            'JsonResponse({"status": "ok"})', f'JsonResponse({{"status": "ok", "release": "{healthz_says}"}})'
        )
        health.write_text(text)
    if broken:
        wsgi = release / "src" / "firstmile" / "wsgi.py"
        wsgi.write_text(wsgi.read_text() + '\nraise RuntimeError("this release cannot start")\n')
    return release


def _point_current_at(root: Path, release: Path) -> None:
    """Move the link atomically, as `ln -sfn` then `mv -T` do."""
    staged = root / "current.new"
    staged.unlink(missing_ok=True)
    staged.symlink_to(release.relative_to(root))
    os.replace(staged, root / "current")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Load:
    """Clients calling all along: health checks and an authenticated API read, each on a new connection."""

    def __init__(self, port: int, token: str, threads: int = 4) -> None:
        self.port, self.token = port, token
        self.answers: list[tuple[float, str, int, bytes]] = []
        self.errors: list[str] = []
        self.running = True
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _call(self, path: str, headers: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Connection": "close", **headers})
            response = connection.getresponse()
            self.answers.append((time.monotonic(), path, response.status, response.read()))
        except OSError as error:
            self.errors.append(f"{path}: {error!r}")
        finally:
            connection.close()

    def _run(self) -> None:
        while self.running:
            self._call("/healthz", {})
            self._call("/api/v1/me", {"Authorization": f"Bearer {self.token}"})

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=60)


def _reload(root: Path, pidfile: Path) -> subprocess.CompletedProcess:
    current = root / "current"
    return subprocess.run(
        [
            str(current / ".venv" / "bin" / "python"),
            str(current / "scripts" / "reload_web.py"),
            "--pidfile",
            str(pidfile),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_new_release_takes_over_while_clients_call_and_a_broken_one_is_refused(tmp_path):
    token = factories.token(factories.organisation(code="dg-lighting"))
    root = tmp_path / "srv"
    old = _release(root, "2026-12-01")
    new = _release(root, "2026-12-05", healthz_says="2026-12-05")
    broken = _release(root, "2026-12-06-broken", broken=True)
    _point_current_at(root, old)
    port = free_port()
    pidfile = tmp_path / "run" / "web.pid"
    pidfile.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "FIRSTMILE_BIND": f"127.0.0.1:{port}",
            "FIRSTMILE_WEB_WORKERS": "2",
            "FIRSTMILE_WEB_REUSE_PORT": "0",
            "FIRSTMILE_PIDFILE": str(pidfile),
            "FIRSTMILE_DATA_DIR": str(tmp_path / "data"),
        }
    )
    current = root / "current"
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed at the end
    # As the systemd unit starts it: through the `current` link, so USR2 re-executes the new release.
    master = subprocess.Popen(
        [
            str(current / ".venv" / "bin" / "python"),
            str(current / ".venv" / "bin" / "gunicorn"),
            "-c",
            "python:firstmile.gunicorn_conf",
            "firstmile.wsgi",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=log,
    )
    serving = None
    try:
        deadline = time.monotonic() + 60
        while not (pidfile.exists() and Path(f"{pidfile}.{master.pid}.booted").exists()):
            assert master.poll() is None and time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            time.sleep(0.1)
        while len(Path(f"{pidfile}.{master.pid}.booted").read_text().split()) < 2:
            time.sleep(0.1)
        with Load(port, token) as load:
            time.sleep(1)
            _point_current_at(root, new)
            upgraded = _reload(root, pidfile)
            assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr + (tmp_path / "web.log").read_text()
            serving = int(pidfile.read_text())
            switched_at = time.monotonic()
            time.sleep(1)
            # A release that cannot start: refused, and the running one goes on serving.
            _point_current_at(root, broken)
            refused = _reload(root, pidfile)
            time.sleep(1)
        assert refused.returncode == 1 and "failed to start" in refused.stdout, refused.stdout + refused.stderr
        assert int(pidfile.read_text()) == serving and _alive(serving)

        assert load.errors == []
        assert {status for _, _, status, _ in load.answers} == {200}
        health = [(at, body) for at, path, _, body in load.answers if path == "/healthz"]
        assert any(b"release" not in body for _, body in health)  # the old release served first
        after = [body for at, body in health if at > switched_at]
        assert after and all(b'"release": "2026-12-05"' in body for body in after)
        assert len(load.answers) > 100
        assert master.wait(timeout=30) is not None and serving != master.pid  # the old master left
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()
        if serving and _alive(serving):
            os.kill(serving, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _alive(serving) and time.monotonic() < deadline:
                time.sleep(0.1)
        log.close()
