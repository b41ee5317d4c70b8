"""Accounts and deployment hygiene: throttled logins and tokens, production refusing unsafe settings, CSP."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.cache import cache, caches
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.api import auth
from firstmile.api.auth import forget_token_failure_checks

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    forget_token_failure_checks()
    yield
    cache.clear()
    forget_token_failure_checks()


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_failed_logins_lock_the_username_from_that_address_and_not_others():
    factories.user(factories.organisation(OrganisationKind.MERCHANT), Role.STAFF, "clerk")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        assert _login(client, "clerk", "wrong-password").status_code == 200
    assert _login(client, "clerk", "wrong-password").status_code == 429  # the fifth failure locks
    locked = _login(client, "clerk", factories.PASSWORD)
    assert locked.status_code == 429
    assert "15" in locked.content.decode()
    # The same person from another address, and another user from this one, still get in.
    assert _login(Client(REMOTE_ADDR="198.51.100.2"), "clerk", factories.PASSWORD).status_code == 302
    factories.user(factories.organisation(OrganisationKind.MERCHANT), Role.STAFF, "packer")
    assert _login(client, "packer", factories.PASSWORD).status_code == 302


REDIS_URL = os.environ.get("FIRSTMILE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def counters(request, settings):
    """The throttle counters in each cache a deployment can configure: memory (one
    process) or Redis (FIRSTMILE_REDIS_URL, as docs/deploy.md recommends)."""
    if request.param == "redis":
        if not _redis_reachable():
            pytest.skip(f"no Redis server at {REDIS_URL}")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"test-{secrets.token_hex(4)}",
            }
        }
    cache.clear()  # on Redis, the test database's keys (db 15 unless told)
    backend = type(caches["default"]).__name__
    assert backend == {"memory": "LocMemCache", "redis": "RedisCache"}[request.param]
    yield request.param
    cache.clear()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _random_token() -> str:
    return "fm_" + secrets.token_urlsafe(32)


def test_bad_tokens_are_throttled_per_address_without_refusing_good_ones(settings, counters):
    settings.FIRSTMILE_TOKEN_FAILURE_LIMIT = 3
    good = factories.token(factories.organisation(OrganisationKind.MERCHANT))
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert client.get("/api/v1/me", headers=_bearer(_random_token())).status_code == 401
    # Past the limit every new guess from the address is refused alike...
    throttled = client.get("/api/v1/me", headers=_bearer(_random_token()))
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "too_many_attempts"
    assert client.get("/api/v1/me", headers=_bearer("not-a-token")).status_code == 429
    # ...while a good token from the same address is not refused for them.
    assert client.get("/api/v1/me", headers=_bearer(good)).status_code == 200
    # Another address counts alone.
    assert Client(REMOTE_ADDR="198.51.100.3").get("/api/v1/me", headers=_bearer(_random_token())).status_code == 401


def test_guessing_one_tokens_secret_locks_that_token_at_that_address(settings, counters):
    settings.FIRSTMILE_TOKEN_FAILURE_LIMIT = 3
    good = factories.token(factories.organisation(OrganisationKind.MERCHANT))
    # The prefix is shown in token lists; guessing the rest is counted against it.
    same_prefix = good[:11] + secrets.token_urlsafe(32)[:32]
    client = Client(REMOTE_ADDR="203.0.113.19")
    for _ in range(3):
        assert client.get("/api/v1/me", headers=_bearer(same_prefix)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(same_prefix)).status_code == 429
    # The right secret waits too, so a guesser learns nothing from the answer.
    assert client.get("/api/v1/me", headers=_bearer(good)).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.20").get("/api/v1/me", headers=_bearer(good)).status_code == 200


def test_behind_a_proxy_clients_are_counted_by_their_own_address(settings, counters):
    settings.FIRSTMILE_TOKEN_FAILURE_LIMIT = 3
    settings.FIRSTMILE_TRUSTED_PROXY_COUNT = 1
    misconfigured = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50")
    neighbour = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.51")
    for _ in range(4):
        misconfigured.get("/api/v1/me", headers=_bearer(_random_token()))
    assert misconfigured.get("/api/v1/me", headers=_bearer(_random_token())).status_code == 429
    # The proxy's address is everyone's: the neighbour behind it is not locked out.
    assert neighbour.get("/api/v1/me", headers=_bearer(_random_token())).status_code == 401


def test_failures_counted_by_other_processes_reach_a_good_token_within_the_recheck(settings, counters, monkeypatch):
    # Another web process's failures reach this one through the shared counter; a
    # process that last found the token under the limit reads it again once
    # FIRSTMILE_TOKEN_FAILURE_RECHECK has passed, and at once after a failure of its own.
    settings.FIRSTMILE_TOKEN_FAILURE_LIMIT = 3
    settings.FIRSTMILE_TOKEN_FAILURE_RECHECK = 5
    moment = [1000.0]
    monkeypatch.setattr(auth, "_clock", lambda: moment[0])
    token = factories.token(factories.organisation(OrganisationKind.MERCHANT))
    key = f"firstmile:token-failures:203.0.113.10:{token[3:11]}"
    good = _bearer(token)
    bad = _bearer(token[:11] + secrets.token_urlsafe(32)[:32])
    client = Client(REMOTE_ADDR="203.0.113.10")
    assert client.get("/api/v1/me", headers=good).status_code == 200
    cache.set(key, 3, 600)  # what the other processes counted
    moment[0] += 4
    assert client.get("/api/v1/me", headers=good).status_code == 200  # within the recheck
    moment[0] += 1
    assert client.get("/api/v1/me", headers=good).status_code == 429
    # Under the limit again; then one failure here sends the next request to the counter.
    cache.set(key, 1, 600)
    assert client.get("/api/v1/me", headers=good).status_code == 200
    assert client.get("/api/v1/me", headers=bad).status_code == 401
    cache.set(key, 3, 600)
    assert client.get("/api/v1/me", headers=good).status_code == 429


def test_pages_carry_a_content_security_policy_without_inline_script():
    page = Client().get("/login/")
    policy = page.headers["Content-Security-Policy"]
    # No inline script and no eval of text; WebAssembly may compile (the driver page's barcode reader).
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert b"<script>" not in page.content and b"onclick=" not in page.content


def _check(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTMILE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"FIRSTMILE_PRODUCTION": "1", "FIRSTMILE_ALLOWED_HOSTS": "firstmile.example.com", **extra_env})
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**env, "DJANGO_SETTINGS_MODULE": "firstmile.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_the_public_key_and_debug_and_is_deploy_clean():
    refused = _check({})
    assert refused.returncode != 0 and "FIRSTMILE_SECRET_KEY" in refused.stderr
    key = secrets.token_urlsafe(64)
    with_debug = _check({"FIRSTMILE_SECRET_KEY": key, "FIRSTMILE_DEBUG": "1"})
    assert with_debug.returncode != 0 and "DEBUG" in with_debug.stderr
    clean = _check({"FIRSTMILE_SECRET_KEY": key})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no issues" in clean.stdout
