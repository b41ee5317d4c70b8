"""Who is acting: the argument every service and selector takes."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ApiToken, Organisation, OrganisationKind, Role, User


@dataclass(frozen=True)
class Actor:
    """A person in a portal, or an integration holding an API token."""

    organisation: Organisation
    user: User | None = None
    token: ApiToken | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(organisation=user.organisation, user=user)

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls(organisation=token.organisation, token=token)

    @classmethod
    def for_job(cls, job) -> Actor | None:
        """Who started a background job: the worker acts as them (None: the system)."""
        if job.created_by_id:
            return cls.for_user(job.created_by)
        if job.created_by_token_id:
            return cls.for_token(job.created_by_token)
        return None

    @property
    def kind(self) -> str:
        return self.organisation.kind

    @property
    def is_merchant(self) -> bool:
        return self.kind == OrganisationKind.MERCHANT

    @property
    def is_carrier(self) -> bool:
        return self.kind == OrganisationKind.CARRIER

    @property
    def is_platform(self) -> bool:
        return self.kind == OrganisationKind.PLATFORM

    @property
    def role(self) -> str:
        """A person's role, or the role the token was issued with."""
        if self.user is not None:
            return self.user.role
        return self.token.role if self.token is not None else Role.STAFF

    @property
    def is_driver(self) -> bool:
        return self.user is not None and self.user.role == Role.DRIVER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def require(self, operation: str) -> None:
        """Refuse (403) unless this actor's role may perform ``operation`` (see permissions.py)."""
        from .permissions import Operation, require

        require(self, Operation(operation))

    def __str__(self) -> str:
        who = self.user.username if self.user else f"token:{self.token.prefix}" if self.token else "?"
        return f"{who}@{self.organisation.code}"
