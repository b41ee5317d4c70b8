"""The bad-token limit holds across web processes that share Redis (FIRSTMILE_REDIS_URL)."""

from __future__ import annotations

import secrets

import pytest
import redis

from firstmile.accounts.models import OrganisationKind

from .. import factories
from ..workerproc import free_port, http_get, start_gunicorn, stop
from .test_hygiene import REDIS_URL, _redis_reachable

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_processes_share_the_bad_token_limit_through_redis(tmp_path):
    if not _redis_reachable():
        pytest.skip(f"no Redis server at {REDIS_URL}")
    good = factories.token(factories.organisation(OrganisationKind.MERCHANT))
    env = {
        "FIRSTMILE_REDIS_URL": REDIS_URL,
        "FIRSTMILE_WEB_WORKERS": "1",
        "FIRSTMILE_WEB_THREADS": "1",
        "FIRSTMILE_TOKEN_FAILURE_LIMIT": "4",
        "FIRSTMILE_TRUSTED_PROXY_COUNT": "1",
        "FIRSTMILE_LOG_LEVEL": "WARNING",
    }
    # An address of this run only, so counters left in Redis by another run do not count.
    client = f"2001:db8::{secrets.randbelow(0xFFFF):x}:{secrets.randbelow(0xFFFF):x}"
    neighbour = f"2001:db8:1::{secrets.randbelow(0xFFFF):x}"
    ports = [free_port(), free_port()]
    with open(tmp_path / "gunicorn.log", "wb") as log:
        servers = [start_gunicorn(port, log, env) for port in ports]
        try:

            def me(port: int, token: str, address: str) -> int:
                headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": address}
                return http_get(f"http://127.0.0.1:{port}/api/v1/me", headers)[0]

            def guess() -> str:
                return "fm_" + secrets.token_urlsafe(32)

            # Four bad tokens, alternating between the processes: each saw only two.
            assert [me(ports[i % 2], guess(), client) for i in range(4)] == [401] * 4
            # The fifth is refused by either process.
            assert me(ports[0], guess(), client) == 429
            assert me(ports[1], guess(), client) == 429
            # A good token from that address, and bad ones from another address, are not.
            assert me(ports[0], good, client) == 200 and me(ports[1], good, client) == 200
            assert me(ports[1], guess(), neighbour) == 401
        finally:
            for server in servers:
                stop(server)
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*token-failures:{client}*")
    assert keys, "the counters live in Redis"
