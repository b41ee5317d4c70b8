"""Who is calling: an integration's bearer token, or a person's portal session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from firstmile.accounts.actor import Actor
from firstmile.accounts.selectors import api_token_authenticate
from firstmile.accounts.services import api_token_touch


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor:
        # Raises ApplicationError(401) naming what is wrong with the token,
        # rather than a bare "Unauthorized".
        api_token = api_token_authenticate(token)
        api_token_touch(api_token)
        return Actor.for_token(api_token)


class PortalSessionAuth(SessionAuth):
    """Lets a logged-in portal user call the API from the browser (CSRF checked)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if user.is_authenticated and user.organisation_id and user.organisation.is_active:
            return Actor.for_user(user)
        return None
