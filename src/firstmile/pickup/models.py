from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from firstmile.core.models import BaseModel
from firstmile.core.phones import display_cn_phone


class Warehouse(BaseModel):
    """A merchant's shipping warehouse (发货仓库): where parcels are collected from."""

    merchant = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="warehouses", verbose_name=_("merchant")
    )
    name = models.CharField(_("warehouse name"), max_length=100)
    code = models.CharField(_("warehouse code"), max_length=40)
    contact_name = models.CharField(_("contact person"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)  # E.164
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address_detail = models.CharField(_("detail address"), max_length=200)
    is_default = models.BooleanField(_("default shipping warehouse"), default=False)
    # Bumped by every save that changes what the carrier sees (address, contact,
    # phone): each bump is a new pickup request.
    address_version = models.PositiveIntegerField(_("address saves"), default=1)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="warehouse_code_unique_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(is_default=True), name="one_default_warehouse_per_merchant"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "name"]), models.Index(fields=["division"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def phone_display(self) -> str:
        return display_cn_phone(self.phone)


class SubscriptionStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Pending review")  # the carrier has 24 h to decide
    ACTIVE = "active", pgettext_lazy("subscription", "Active")  # 支持揽收: labels print PICK UP
    REJECTED = "rejected", _("Rejected")  # the carrier declined; the merchant self-sends
    CANCELLED = "cancelled", _("Cancelled")  # the merchant gave up pickup
    SUPERSEDED = "superseded", _("Superseded")  # a newer address save replaced it


OPEN_OR_ACTIVE = (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.ACTIVE)

# Every allowed (from, to); anything else is a conflict.
TRANSITIONS: set[tuple[str, str]] = {
    (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.ACTIVE),
    (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.REJECTED),
    (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.CANCELLED),
    (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.SUPERSEDED),
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED),
    (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUPERSEDED),
}


def sources_of(target: str) -> list[str]:
    return [source for source, to in TRANSITIONS if to == target]


class RejectReason(models.TextChoices):
    MERCHANT_DECLINED = "merchant_declined", _("Merchant declined pickup")
    ADDRESS_UNREACHABLE = "address_unreachable", _("Address unreachable")
    CONTACT_UNREACHABLE = "contact_unreachable", _("Contact could not be reached")
    OUTSIDE_ROUTE = "outside_route", _("Outside the carrier's routes")
    OTHER = "other", _("Other")


class PickupSubscription(BaseModel):
    """A request that a carrier collect from one warehouse address (揽收订阅).

    It freezes the address, contact and phone as they were when requested: the
    carrier reviews exactly what the merchant saved.
    """

    # No index of their own: the (warehouse, status) and (carrier, status, …) indexes
    # below lead with these columns, and every request written or decided paid for
    # two more index entries.
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="subscriptions", db_index=False, verbose_name=_("warehouse")
    )
    carrier = models.ForeignKey(
        "carriers.Carrier",
        on_delete=models.PROTECT,
        related_name="subscriptions",
        db_index=False,
        verbose_name=_("carrier"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING_REVIEW
    )
    address_version = models.PositiveIntegerField(_("address saves"))
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address_detail = models.CharField(_("detail address"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    requested_at = models.DateTimeField(_("requested at"))
    review_due_at = models.DateTimeField(_("review due at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reject_reason = models.CharField(_("reject reason"), max_length=32, choices=RejectReason.choices, blank=True)
    reject_note = models.CharField(_("note"), max_length=200, blank=True)
    # Pickup runs from effective_from (approval, when empty) until ended_at; both
    # may lie in the future, as when a switchover hands an area over at its cutover.
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=64, blank=True)  # e.g. "switchover.batch:3"
    # Not indexed here (BaseModel indexes it): nothing reads requests by creation
    # (requested_at is the request's instant), and every request written or decided
    # paid for one more index entry.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pickup subscription")
        verbose_name_plural = _("pickup subscriptions")
        constraints = [
            # At most one open request and one active subscription per warehouse.
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(status=SubscriptionStatus.PENDING_REVIEW),
                name="one_pending_subscription_per_warehouse",
            ),
            # One open-ended active subscription; an outgoing one has its end set
            # (the cutover), so the incoming carrier's can be approved beside it.
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(status=SubscriptionStatus.ACTIVE, ended_at__isnull=True),
                name="one_open_ended_active_subscription_per_warehouse",
            ),
        ]
        indexes = [
            models.Index(fields=["carrier", "status", "requested_at"]),
            models.Index(fields=["warehouse", "status"]),
            models.Index(fields=["carrier", "status", "review_due_at"]),
            # A switchover push finds the requests it just wrote by origin and instant.
            models.Index(fields=["origin", "requested_at"], condition=~Q(origin=""), name="subscription_origin_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id}→{self.carrier_id} {self.status}"

    @property
    def phone_display(self) -> str:
        return display_cn_phone(self.phone)

    def is_active_at(self, instant) -> bool:
        return (
            self.status == SubscriptionStatus.ACTIVE
            and (self.effective_from is None or self.effective_from <= instant)
            and (self.ended_at is None or self.ended_at > instant)
        )


class CoverageDecision(models.TextChoices):
    REQUESTED = "requested", _("Pickup requested from the carrier covering the address")
    NOT_COVERED = "not_covered", _("Address outside every carrier's coverage")


class PickupDecision(models.Model):
    """What one address save decided, covered or not: the record behind "why not"."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("warehouse")
    )
    address_version = models.PositiveIntegerField(_("address saves"))
    decided_at = models.DateTimeField(_("decided at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=CoverageDecision.choices)
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    carrier = models.ForeignKey(
        "carriers.Carrier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("carrier"),
    )
    subscription = models.OneToOneField(
        PickupSubscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decision",
        verbose_name=_("pickup request"),
    )

    class Meta:
        verbose_name = _("pickup decision")
        verbose_name_plural = _("pickup decisions")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.warehouse_id} v{self.address_version}: {self.outcome}"
