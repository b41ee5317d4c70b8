"""Who is calling: an integration's bearer token, or a person's portal session."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer, SessionAuth

from firstmile.accounts import error_codes
from firstmile.accounts.actor import Actor
from firstmile.accounts.selectors import api_token_authenticate, api_token_prefix
from firstmile.accounts.services import api_token_touch
from firstmile.core.client_ip import client_ip
from firstmile.core.errors import ApplicationError, ErrorKind


def _failure_keys(request: HttpRequest, raw: str) -> tuple[str, str]:
    """The client address's failure counter, and the counter of this token at that address.

    The address is the client's behind FIRSTMILE_TRUSTED_PROXY_COUNT proxies, as
    for login lockouts, so clients behind one reverse proxy do not share a
    counter. The second counter is keyed by the token's prefix (``-`` when the
    token is malformed), so a good token is refused only for failures with its
    own prefix at its own address, never for another client's bad tokens.
    """
    address = f"firstmile:token-failures:{client_ip(request) or '?'}"
    return address, f"{address}:{api_token_prefix(raw) or '-'}"


# Token counters this process found under the failure limit, and when (monotonic
# seconds). With FIRSTMILE_REDIS_URL the counters live in Redis, and reading one
# on every request was a round trip and a fifth of a single GET's Python
# (bench/api_instructions.py). A failure seen here forgets its key, so this
# process reads the shared counter again on that key's next request: a good
# token whose prefix is being guessed at its address is refused at most
# FIRSTMILE_TOKEN_FAILURE_RECHECK seconds late. Failures themselves are counted
# in the shared counter at once, so the limit on bad tokens holds across processes.
_under_limit: dict[str, float] = {}
_UNDER_LIMIT_KEPT = 10_000
_clock = time.monotonic


def _over_failure_limit(key: str) -> bool:
    seen = _under_limit.get(key)
    if seen is not None and _clock() - seen < settings.FIRSTMILE_TOKEN_FAILURE_RECHECK:
        return False
    if cache.get(key, 0) >= settings.FIRSTMILE_TOKEN_FAILURE_LIMIT:
        _under_limit.pop(key, None)
        return True
    if len(_under_limit) >= _UNDER_LIMIT_KEPT:
        _under_limit.clear()  # bounded memory; the next requests read the counters again
    _under_limit[key] = _clock()
    return False


def _count_failure(key: str) -> int:
    """Add one failure to a shared counter; the count after it."""
    _under_limit.pop(key, None)
    if cache.add(key, 1, settings.FIRSTMILE_TOKEN_FAILURE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, settings.FIRSTMILE_TOKEN_FAILURE_WINDOW)
        return 1


def forget_token_failure_checks() -> None:
    """Make this process read every counter afresh (for tests)."""
    _under_limit.clear()


def _too_many_attempts() -> ApplicationError:
    return ApplicationError(
        error_codes.TOO_MANY_ATTEMPTS,
        _("Too many failed API token attempts from this address; try again in %(n)s minutes.")
        % {"n": settings.FIRSTMILE_TOKEN_FAILURE_WINDOW // 60},
        kind=ErrorKind.TOO_MANY_REQUESTS,
    )


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        address_key, token_key = _failure_keys(request, token)
        # This token's own failures at this address (a guessed or revoked token):
        # past the limit even the right secret waits, so the answer tells nothing.
        if _over_failure_limit(token_key):
            raise _too_many_attempts()
        try:
            # Raises ApplicationError(401) naming what is wrong with the token,
            # rather than a bare "Unauthorized".
            api_token = api_token_authenticate(token)
        except ApplicationError:
            _count_failure(token_key)
            # Guessing with ever new tokens: past the limit at this address every
            # bad token gets 429, while good tokens from the address still pass.
            if _count_failure(address_key) > settings.FIRSTMILE_TOKEN_FAILURE_LIMIT:
                raise _too_many_attempts()
            raise
        api_token_touch(api_token)
        return Actor.for_token(api_token)


class PortalSessionAuth(SessionAuth):
    """Lets a logged-in portal user call the API from the browser (CSRF checked)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if user.is_authenticated and user.organisation_id and user.organisation.is_active:
            return Actor.for_user(user)
        return None
