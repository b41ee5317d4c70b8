from __future__ import annotations

import re

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.core import error_codes as core_codes
from firstmile.core.errors import ApplicationError, ErrorKind, NotFound
from firstmile.core.prepared import prepared

from . import error_codes
from .actor import Actor
from .models import ApiToken, Organisation, User
from .permissions import Operation, require
from .services import TOKEN_SCHEME, token_digest

_TOKEN_SHAPE = re.compile(r"^fm_[A-Za-z0-9_-]{40,64}$")


def api_token_prefix(raw: str) -> str | None:
    """The prefix a well-formed bearer token shows in token lists, or None if it is malformed."""
    raw = (raw or "").strip()
    return raw[len(TOKEN_SCHEME) : len(TOKEN_SCHEME) + 8] if _TOKEN_SHAPE.match(raw) else None


@prepared
def _token_by_digest(digest: str) -> QuerySet[ApiToken]:
    # Every API request reads this row; the bookkeeping instants that no check
    # looks at load only if asked for (a timestamp parse each on every request).
    tokens = ApiToken.objects.select_related("organisation").defer(
        "created_at", "updated_at", "organisation__created_at", "organisation__updated_at"
    )
    return tokens.filter(digest=digest)[:1]


def api_token_authenticate(raw: str) -> ApiToken:
    """The active token behind a bearer string, or an error saying what is wrong."""
    raw = (raw or "").strip()
    if not _TOKEN_SHAPE.match(raw):
        raise ApplicationError(
            error_codes.TOKEN_INVALID,
            _("Malformed API token: expected a bearer token starting with %(scheme)s.") % {"scheme": TOKEN_SCHEME},
            kind=ErrorKind.UNAUTHENTICATED,
        )
    found = _token_by_digest(digest=token_digest(raw))
    token = found[0] if found else None
    if token is None:
        raise ApplicationError(error_codes.TOKEN_INVALID, _("Unknown API token."), kind=ErrorKind.UNAUTHENTICATED)
    if token.revoked_at is not None:
        raise ApplicationError(
            error_codes.TOKEN_REVOKED, _("This API token has been revoked."), kind=ErrorKind.UNAUTHENTICATED
        )
    if not token.organisation.is_active:
        raise ApplicationError(
            error_codes.ORGANISATION_INACTIVE,
            _("This organisation is deactivated."),
            kind=ErrorKind.UNAUTHENTICATED,
        )
    return token


def api_token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    require(actor, Operation.TOKEN_MANAGE)
    tokens = ApiToken.objects.select_related("organisation")
    if not actor.is_platform:
        tokens = tokens.filter(organisation=actor.organisation)
    return tokens.order_by("-created_at")


def user_list(*, actor: Actor, organisation_id: int | None = None) -> QuerySet[User]:
    """The organisation's users; for the platform everyone's, or one organisation's."""
    require(actor, Operation.USER_MANAGE)
    users = User.objects.select_related("organisation")
    if not actor.is_platform:
        users = users.filter(organisation=actor.organisation)
    elif organisation_id is not None:
        users = users.filter(organisation_id=organisation_id)
    return users.order_by("username")


def organisation_list(*, actor: Actor, kind: str | None = None) -> QuerySet[Organisation]:
    organisations = Organisation.objects.all()
    if not actor.is_platform:
        organisations = organisations.filter(pk=actor.organisation.pk)
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.order_by("kind", "code")


def organisation_by_id(*, actor: Actor, organisation_id: int) -> Organisation:
    """One organisation for the platform's detail page; any other actor only its own."""
    organisation = organisation_list(actor=actor).filter(pk=organisation_id).first()
    if organisation is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such organisation."), field="organisation_id")
    return organisation


def organisation_get(*, actor: Actor, code: str | None, field: str = "organisation_code") -> Organisation:
    """The actor's organisation, or (platform only) the one with ``code``; others' codes are unknown."""
    if not code:
        return actor.organisation
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None or (not actor.is_platform and organisation.pk != actor.organisation.pk):
        raise NotFound(core_codes.NOT_FOUND, _("No such organisation."), field=field)
    return organisation
