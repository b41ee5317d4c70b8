from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel


class OrganisationKind(models.TextChoices):
    MERCHANT = "merchant", _("Merchant")  # sells on the platform, ships from warehouses
    CARRIER = "carrier", _("Carrier")  # collects parcels, runs sorting centres
    PLATFORM = "platform", _("Platform")  # defines coverage, runs switchovers


class Organisation(BaseModel):
    """A party: every user, token and owned object belongs to exactly one."""

    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["kind", "code"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")  # manages the organisation's users and tokens
    STAFF = "staff", _("Staff")  # day-to-day work in the party's portal
    DRIVER = "driver", _("Driver")  # a carrier's driver: only the driver page


class User(AbstractUser):
    """A person, who acts for one organisation in one role."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,  # only superusers made from the command line may lack one
        blank=True,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class ApiToken(BaseModel):
    """An integration's credential (a merchant's ERP, a carrier's system).

    Only a SHA-256 digest is stored: the plaintext is shown once, at issue.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=100)
    # An integration acts in a role like a person does; drivers work only through their page.
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=[(Role.ADMIN.value, Role.ADMIN.label), (Role.STAFF.value, Role.STAFF.label)],
        default=Role.STAFF,
    )
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("created by"))
    # A token issued through the API by an integration holding another token.
    created_by_token = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("issued with token")
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def issued_by(self) -> str | None:
        """Who issued the token: a person's username, or ``token:<prefix>`` for an integration."""
        if self.created_by_id:
            return self.created_by.username
        if self.created_by_token_id:
            return f"token:{self.created_by_token.prefix}"
        return None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
