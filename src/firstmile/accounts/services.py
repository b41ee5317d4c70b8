from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, NotFound
from firstmile.events.services import event_record

from . import error_codes
from .actor import Actor
from .models import ApiToken, Organisation, OrganisationKind, Role, User
from .permissions import Operation, require

TOKEN_SCHEME = "fm_"
# How stale last_used_at may get before a request writes it again: a busy
# integration should not turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def _require_admin_of(actor: Actor | None, organisation: Organisation, operation: Operation) -> None:
    """Admins manage their own organisation; the platform's admins any organisation."""
    require(actor, operation)
    if actor is not None and not actor.is_platform and actor.organisation.pk != organisation.pk:
        raise NotFound(core_codes.NOT_FOUND, _("No such organisation."), field="organisation")


def _password_check(password: str, user: User, field: str = "password") -> None:
    """Django's configured validators, on every path that sets a password."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ApplicationError(core_codes.INVALID_INPUT, " ".join(exc.messages), field=field)


def _clean_text(value: str, field: str, label, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(core_codes.INVALID_INPUT, _("%(field)s is required.") % {"field": label}, field=field)
    if len(value) > max_length:
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("%(field)s: at most %(n)s characters.") % {"field": label, "n": max_length},
            field=field,
        )
    return value


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def organisation_create(*, actor: Actor | None, kind: str, code: str, name: str) -> Organisation:
    """Register a party (merchant, carrier or the platform itself)."""
    require(actor, Operation.ORGANISATION_MANAGE)
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


_ORGANISATION_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}\Z")


@transaction.atomic
def platform_bootstrap(*, code: str, name: str, username: str, password: str, email: str = "") -> User:
    """Day one of an installation: the platform's organisation and its first administrator.

    Run once, from the command line (``firstmile bootstrap-platform``), by whoever
    installs Firstmile; everyone else is then added from the platform's portal.
    A second run changes nothing: the platform is set up only once.
    """
    if Organisation.objects.select_for_update().filter(kind=OrganisationKind.PLATFORM).exists():
        raise Conflict(
            error_codes.PLATFORM_ALREADY_SET_UP,
            _("The platform organisation already exists: its administrators add people from the platform portal."),
        )
    if not _ORGANISATION_CODE.match(code):
        raise ApplicationError(
            core_codes.INVALID_INPUT, _("Code: 1–40 lower-case letters, digits and hyphens."), field="code"
        )
    name = _clean_text(name, "name", _("Name"), max_length=200)
    email = _clean_text(email, "email", _("Email"), max_length=254, required=False)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ApplicationError(core_codes.INVALID_INPUT, _("Enter a valid email address."), field="email")
    organisation = organisation_create(actor=None, kind=OrganisationKind.PLATFORM, code=code, name=name)
    user = user_create(actor=None, organisation=organisation, username=username, password=password, role=Role.ADMIN)
    if email:
        user.email = email
        user.save(update_fields=["email"])
    return user


_USERNAME = re.compile(r"^[\w.@+-]+\Z", re.ASCII)


def _role_check(role: str, organisation: Organisation) -> None:
    if role not in Role.values:
        raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown role."), field="role")
    if role == Role.DRIVER and organisation.kind != OrganisationKind.CARRIER:
        raise ApplicationError(error_codes.ROLE_NOT_ALLOWED, _("Only a carrier can have drivers."), field="role")


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
    """Add a person to an organisation; only its admins or the platform's may."""
    _require_admin_of(actor, organisation, Operation.USER_MANAGE)
    _role_check(role, organisation)
    username = _clean_text(username, "username", _("Username"), max_length=150)
    if not _USERNAME.match(username):
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("Username: letters, digits and @ . + - _ only."),
            field="username",
        )
    first_name = _clean_text(first_name, "first_name", _("Name"), max_length=150, required=False)
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
    _password_check(password, user)
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


def _managed_user(actor: Actor, user_id: int) -> User:
    require(actor, Operation.USER_MANAGE)
    users = User.objects.select_for_update().select_related("organisation")
    if not actor.is_platform:
        users = users.filter(organisation=actor.organisation)
    user = users.filter(pk=user_id, organisation__isnull=False).first()
    if user is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such user."), field="user_id")
    return user


@transaction.atomic
def user_update(*, actor: Actor, user_id: int, role: str | None = None, is_active: bool | None = None) -> User:
    """Change a person's role or (de)activate them; an admin cannot lock themselves out."""
    user = _managed_user(actor, user_id)
    before = {"role": user.role, "is_active": user.is_active}
    if role is not None:
        _role_check(role, user.organisation)
        if (user.role == Role.DRIVER) != (role == Role.DRIVER):
            # A driver is a row in the carrier's driver list too: make a new login instead.
            raise ApplicationError(
                error_codes.ROLE_NOT_ALLOWED, _("A driver cannot become office staff, or the reverse."), field="role"
            )
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if actor.user is not None and user.pk == actor.user.pk and (not user.is_active or user.role != Role.ADMIN):
        raise Conflict(error_codes.SELF_LOCKOUT, _("You cannot demote or deactivate yourself."), field="user_id")
    after = {"role": user.role, "is_active": user.is_active}
    if after == before:
        return user
    user.is_superuser = user.organisation.kind == OrganisationKind.PLATFORM and user.role == Role.ADMIN
    user.save(update_fields=["role", "is_active", "is_superuser"])
    event_record(
        actor=actor,
        kind="user.updated",
        subject=user,
        from_state="active" if before["is_active"] else "inactive",
        to_state="active" if user.is_active else "inactive",
        payload={"username": user.username, "before": before, "after": after},
        owner=user.organisation,
    )
    return user


@transaction.atomic
def user_password_set(*, actor: Actor, user_id: int, password: str) -> User:
    """An admin sets a new password for one of their people (checked by the password validators)."""
    user = _managed_user(actor, user_id)
    _password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    event_record(
        actor=actor,
        kind="user.password_reset",
        subject=user,
        payload={"username": user.username},
        owner=user.organisation,
    )
    return user


@transaction.atomic
def api_token_issue(
    *, actor: Actor | None, organisation: Organisation, name: str, role: str = Role.STAFF
) -> tuple[ApiToken, str]:
    """Issue an integration token; the plaintext is returned once and never stored."""
    _require_admin_of(actor, organisation, Operation.TOKEN_MANAGE)
    name = _clean_text(name, "name", _("Name"), max_length=100)
    if role not in (Role.ADMIN, Role.STAFF):
        raise ApplicationError(core_codes.INVALID_INPUT, _("A token acts as administrator or staff."), field="role")
    for _attempt in range(3):
        raw = TOKEN_SCHEME + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    organisation=organisation,
                    name=name,
                    role=role,
                    prefix=raw[len(TOKEN_SCHEME) : len(TOKEN_SCHEME) + 8],
                    digest=token_digest(raw),
                    created_by=actor.user if actor else None,
                    created_by_token=actor.token if actor else None,
                )
            break
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            continue
    event_record(
        actor=actor,
        kind="api_token.issued",
        subject=token,
        to_state="active",
        payload={"name": token.name, "prefix": token.prefix, "role": role},
        owner=organisation,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token at once; requests holding it are refused from now on."""
    require(actor, Operation.TOKEN_MANAGE)
    tokens = ApiToken.objects.select_for_update()
    if not actor.is_platform:
        tokens = tokens.filter(organisation=actor.organisation)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such API token."), field="token_id")
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
