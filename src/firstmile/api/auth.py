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
from firstmile.accounts.selectors import api_token_authenticate
from firstmile.accounts.services import api_token_touch
from firstmile.core.errors import ApplicationError, ErrorKind


def _failure_key(request: HttpRequest) -> str:
    return f"firstmile:token-failures:{request.META.get('REMOTE_ADDR', '?')}"


# Addresses this process found under the failure limit, and when (monotonic
# seconds). With FIRSTMILE_REDIS_URL the counters live in Redis, and reading one
# on every request was a round trip and a fifth of a single GET's Python
# (bench/api_instructions.py). A failure seen here forgets its address, so this
# process reads the shared counter again on that address's next request: past
# the limit, each process lets at most one more guess per request in flight
# through (one per gthread thread), and a good token
# from the address is refused at most FIRSTMILE_TOKEN_FAILURE_RECHECK seconds late.
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


def forget_token_failure_checks() -> None:
    """Make this process read every address's failure counter afresh (for tests)."""
    _under_limit.clear()


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        # Guessing tokens from one address is throttled: past the limit even a good
        # token waits for the window to pass, so the answer tells the guesser nothing.
        key = _failure_key(request)
        if _over_failure_limit(key):
            raise ApplicationError(
                error_codes.TOO_MANY_ATTEMPTS,
                _("Too many failed API token attempts from this address; try again in %(n)s minutes.")
                % {"n": settings.FIRSTMILE_TOKEN_FAILURE_WINDOW // 60},
                kind=ErrorKind.TOO_MANY_REQUESTS,
            )
        try:
            # Raises ApplicationError(401) naming what is wrong with the token,
            # rather than a bare "Unauthorized".
            api_token = api_token_authenticate(token)
        except ApplicationError:
            _under_limit.pop(key, None)
            if not cache.add(key, 1, settings.FIRSTMILE_TOKEN_FAILURE_WINDOW):
                cache.incr(key)
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
