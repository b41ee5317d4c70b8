"""Settings read strictly from the environment, the start-up line, and JSON on every log line."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import secrets
import subprocess
import sys
import tempfile

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from firstmile.core.env import check_no_trailing_comments, env_bool, env_float, env_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("False", False), ("off", False)],
)
def test_a_flag_reads_the_usual_spellings(value, expected):
    assert env_bool("FIRSTMILE_X", environ={"FIRSTMILE_X": value}) is expected


def test_an_unset_or_empty_flag_is_its_default():
    assert env_bool("FIRSTMILE_X", True, environ={}) is True
    assert env_bool("FIRSTMILE_X", False, environ={"FIRSTMILE_X": ""}) is False


@pytest.mark.parametrize("value", ["1   # refuses the development key", "yes please", "2", "１"])
def test_an_unreadable_flag_refuses_to_start_naming_the_variable(value):
    with pytest.raises(ImproperlyConfigured, match="FIRSTMILE_PRODUCTION"):
        env_bool("FIRSTMILE_PRODUCTION", environ={"FIRSTMILE_PRODUCTION": value})


def test_numbers_are_numbers_or_refused():
    assert env_int("FIRSTMILE_N", 5, environ={"FIRSTMILE_N": " 12 "}) == 12
    with pytest.raises(ImproperlyConfigured, match="FIRSTMILE_N='12 # per minute' carries a comment"):
        env_int("FIRSTMILE_N", 5, environ={"FIRSTMILE_N": "12 # per minute"})
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("FIRSTMILE_N", 5, environ={"FIRSTMILE_N": "twelve"})
    assert env_float("FIRSTMILE_F", 5.0, environ={"FIRSTMILE_F": "0.5"}) == 0.5
    for endless in ("inf", "nan", "1e999"):
        with pytest.raises(ImproperlyConfigured, match="not a number"):
            env_float("FIRSTMILE_F", 5.0, environ={"FIRSTMILE_F": endless})


def test_any_firstmile_or_database_value_with_a_trailing_comment_is_refused():
    check_no_trailing_comments({"FIRSTMILE_BIND": "10.0.1.5:8000", "PATH": "/bin # not ours", "HOME": "/root"})
    with pytest.raises(ImproperlyConfigured, match="FIRSTMILE_BIND"):
        check_no_trailing_comments({"FIRSTMILE_BIND": "10.0.1.5:8000   # a private address"})
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        check_no_trailing_comments({"DATABASE_URL": "postgres://db/firstmile\t# primary"})


def _settings_process(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTMILE_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "firstmile.settings",
            "FIRSTMILE_DATA_DIR": tempfile.mkdtemp(prefix="fm-settings-"),  # nothing collected there
            **extra_env,
        }
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from firstmile.core.logs import log_start; log_start('web'); "
        "print(settings.PRODUCTION, settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT)"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_guides_environment_block_starts_production_mode_and_says_so():
    """The variables as docs/deploy.md writes them: production on, and one JSON line saying which mode."""
    key = secrets.token_urlsafe(64)
    started = _settings_process(
        {"FIRSTMILE_PRODUCTION": "1", "FIRSTMILE_SECRET_KEY": key, "FIRSTMILE_ALLOWED_HOSTS": "firstmile.example.com"}
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["True", "True", "True"]
    (line,) = [json.loads(row) for row in started.stderr.splitlines() if "firstmile.startup" in row]
    assert line["mode"] == "production" and line["https_redirect"] is True and line["secure_cookies"] is True
    assert line["allowed_hosts"] == ["firstmile.example.com"]
    # Static files not collected here (test_deploy_drill.py collects them): said, as a warning.
    assert line["static_files"] == "app folders" and line["level"] == "WARNING" and "collectstatic" in line["message"]


def test_production_with_a_comment_left_on_the_line_refuses_to_start():
    key = secrets.token_urlsafe(64)
    refused = _settings_process(
        {"FIRSTMILE_PRODUCTION": "1        # HSTS, secure cookies", "FIRSTMILE_SECRET_KEY": key}
    )
    assert refused.returncode != 0
    assert "FIRSTMILE_PRODUCTION" in refused.stderr and "Put the comment on a line of its own" in refused.stderr
    typo = _settings_process({"FIRSTMILE_PRODUCTION": "ture", "FIRSTMILE_SECRET_KEY": key})
    assert typo.returncode != 0 and "neither on" in typo.stderr


def test_development_mode_is_announced_as_a_warning():
    started = _settings_process({})
    (line,) = [json.loads(row) for row in started.stderr.splitlines() if "firstmile.startup" in row]
    assert line["mode"] == "development" and line["level"] == "WARNING" and "DEVELOPMENT" in line["message"]


def test_every_logger_writes_json_lines_with_tracebacks_inside(monkeypatch):
    stream = io.StringIO()
    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("axes.handlers.database").warning("AXES: Locked out %s after repeated login failures", "dg")
        logging.getLogger("django.security.DisallowedHost").error("Invalid HTTP_HOST header: 'evil'")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("firstmile.events.worker").exception("job failed")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(row) for row in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [
        "axes.handlers.database",
        "django.security.DisallowedHost",
        "firstmile.events.worker",
    ]
    assert lines[0]["message"] == "AXES: Locked out dg after repeated login failures"
    assert "ValueError: boom" in lines[2]["exc_info"] and lines[2]["level"] == "ERROR"
    assert all(line["time"].endswith("+00:00") for line in lines)
