from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.services import event_record

from . import error_codes
from .actor import Actor
from .models import ApiToken, Organisation, OrganisationKind, Role, User

TOKEN_SCHEME = "fm_"
# How stale last_used_at may get before a request writes it again: a busy
# integration should not turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def _require_platform(actor: Actor | None) -> None:
    if actor is not None and not actor.is_platform:
        raise Forbidden(core_codes.FORBIDDEN, _("Only platform operations may do this."))


def _require_admin_of(actor: Actor | None, organisation: Organisation, message) -> None:
    if actor is None or actor.is_platform:
        return
    if actor.organisation.pk != organisation.pk or actor.user is None or actor.user.role != Role.ADMIN:
        raise Forbidden(core_codes.FORBIDDEN, message)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def organisation_create(*, actor: Actor | None, kind: str, code: str, name: str) -> Organisation:
    """Register a party (merchant, carrier or the platform itself)."""
    _require_platform(actor)
    if kind not in OrganisationKind.values:
        raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown organisation kind."), field="kind")
    if not name.strip():
        raise ApplicationError(core_codes.INVALID_INPUT, _("Name is required."), field="name")
    if Organisation.objects.filter(code=code).exists():
        raise Conflict(error_codes.ORGANISATION_CODE_TAKEN, _("This code is already taken."), field="code")
    organisation = Organisation.objects.create(kind=kind, code=code, name=name.strip())
    event_record(
        actor=actor,
        kind="organisation.created",
        subject=organisation,
        to_state="active",
        payload={"kind": kind, "code": code},
        owner=organisation,
    )
    return organisation


@transaction.atomic
def user_create(
    *,
    actor: Actor | None,
    organisation: Organisation,
    username: str,
    password: str,
    role: str = Role.STAFF,
    first_name: str = "",
    phone: str = "",
) -> User:
    """Add a person to an organisation; only its admins or the platform may."""
    _require_admin_of(actor, organisation, _("Only the organisation's administrators may add users."))
    if role not in Role.values:
        raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown role."), field="role")
    if role == Role.DRIVER and organisation.kind != OrganisationKind.CARRIER:
        raise ApplicationError(error_codes.ROLE_NOT_ALLOWED, _("Only a carrier can have drivers."), field="role")
    if User.objects.filter(username=username).exists():
        raise Conflict(error_codes.USERNAME_TAKEN, _("This username is already taken."), field="username")
    is_platform = organisation.kind == OrganisationKind.PLATFORM
    user = User(
        organisation=organisation,
        username=username,
        role=role,
        first_name=first_name,
        phone=phone,
        # Platform operators use Django admin; no other party ever reaches it.
        is_staff=is_platform,
        is_superuser=is_platform and role == Role.ADMIN,
    )
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        kind="user.created",
        subject=user,
        to_state="active",
        payload={"username": username, "role": role},
        owner=organisation,
    )
    return user


@transaction.atomic
def api_token_issue(*, actor: Actor | None, organisation: Organisation, name: str) -> tuple[ApiToken, str]:
    """Issue an integration token; the plaintext is returned once and never stored."""
    _require_admin_of(actor, organisation, _("Only the organisation's administrators may issue tokens."))
    if not name.strip():
        raise ApplicationError(core_codes.INVALID_INPUT, _("Name is required."), field="name")
    for _attempt in range(3):
        raw = TOKEN_SCHEME + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    organisation=organisation,
                    name=name.strip(),
                    prefix=raw[len(TOKEN_SCHEME) : len(TOKEN_SCHEME) + 8],
                    digest=token_digest(raw),
                    created_by=actor.user if actor else None,
                )
            break
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            continue
    event_record(
        actor=actor,
        kind="api_token.issued",
        subject=token,
        to_state="active",
        payload={"name": token.name, "prefix": token.prefix},
        owner=organisation,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token at once; requests holding it are refused from now on."""
    tokens = ApiToken.objects.select_for_update()
    if not actor.is_platform:
        tokens = tokens.filter(organisation=actor.organisation)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such API token."), field="token_id")
    if actor.user is None or (not actor.is_platform and actor.user.role != Role.ADMIN):
        raise Forbidden(core_codes.FORBIDDEN, _("Only the organisation's administrators may revoke tokens."))
    if token.revoked_at is not None:
        raise Conflict(error_codes.TOKEN_REVOKED, _("This token is already revoked."))
    token.revoked_at = now()
    token.save(update_fields=["revoked_at", "updated_at"])
    event_record(
        actor=actor,
        kind="api_token.revoked",
        subject=token,
        from_state="active",
        to_state="revoked",
        owner=token.organisation,
    )
    return token


def api_token_touch(token: ApiToken) -> None:
    """Record use of a token, at most once per interval."""
    moment = now()
    if token.last_used_at is None or moment - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)
        token.last_used_at = moment
