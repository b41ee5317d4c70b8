from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel
from firstmile.shipping.models import HandoverMethod

# A bundle holds at most this many parcels (Shopee's limit per first-mile tracking number).
MAX_PARCELS = 10_000
# Numbers bound or unbound in one call (Shopee's limit per call).
MAX_PER_CALL = 50
# Bundle numbers: FB + 10-digit serial (the primary key) + Luhn check digit.
PREFIX = "FB"


class BundleStatus(models.TextChoices):
    OPEN = "open", _("Open")  # the merchant is scanning parcels into it
    CLOSED = "closed", _("Closed")  # sealed, weighed, its label printed: waiting for the carrier
    COLLECTED = "collected", _("Collected")  # a driver scanned it at the warehouse
    RECEIVED = "received", _("At sorting centre")  # scanned in at the sorting centre
    CANCELLED = "cancelled", _("Cancelled")  # its parcels are free again


BUNDLE_TRANSITIONS: set[tuple[str, str]] = {
    (BundleStatus.OPEN, BundleStatus.CLOSED),
    (BundleStatus.OPEN, BundleStatus.CANCELLED),
    (BundleStatus.CLOSED, BundleStatus.OPEN),  # reopened to add or take out a parcel before pickup
    (BundleStatus.CLOSED, BundleStatus.CANCELLED),
    (BundleStatus.CLOSED, BundleStatus.COLLECTED),
    (BundleStatus.CLOSED, BundleStatus.RECEIVED),  # a DROP OFF bundle brought or sent to the sorting centre
    (BundleStatus.COLLECTED, BundleStatus.RECEIVED),
}


def bundle_sources_of(target: str) -> list[str]:
    return [source for source, to in BUNDLE_TRANSITIONS if to == target]


# The states in which a bundle holds its parcels: a parcel is in at most one of these.
HOLDING = (BundleStatus.OPEN, BundleStatus.CLOSED)


class Bundle(BaseModel):
    """集包 / 大包: many of one merchant's parcels from one warehouse, handed over, scanned and tracked as one.

    Its carrier, sorting centre and handover method are those of its parcels, which
    all share them; they are set by the first parcel bound and cleared when the last
    one leaves. Scanning the bundle at pickup or at the sorting centre scans every
    parcel in it, each with its own events and tracking.
    """

    # Set from the primary key right after the insert (FB + 10 digits + check digit, printed as Code 128).
    number = models.CharField(_("bundle number"), max_length=16, unique=True, null=True)  # noqa: DJ001
    merchant = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.PROTECT, related_name="bundles")
    handover_method = models.CharField(_("handover"), max_length=10, choices=HandoverMethod.choices)
    carrier = models.ForeignKey(
        "carriers.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sorting_centre = models.ForeignKey(
        "carriers.SortingCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=BundleStatus.choices, default=BundleStatus.OPEN)
    parcel_count = models.PositiveIntegerField(_("parcels"), default=0)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=2, null=True, blank=True)
    length_cm = models.PositiveIntegerField(_("length (cm)"), null=True, blank=True)
    width_cm = models.PositiveIntegerField(_("width (cm)"), null=True, blank=True)
    height_cm = models.PositiveIntegerField(_("height (cm)"), null=True, blank=True)
    # DROP OFF by a domestic express company (TikTok Shop's CreateFirstMileBundle asks the same three).
    express_company = models.CharField(_("express company"), max_length=40, blank=True)
    express_tracking_no = models.CharField(_("express tracking number"), max_length=40, blank=True)
    sender_phone_tail = models.CharField(_("sender's phone, last 4 digits"), max_length=4, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Who collected it and where it arrived: the carrier serving the area that day, which may
    # differ from the one that printed its labels (across a switchover).
    collected_by = models.ForeignKey(
        "carriers.Carrier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    received_at_centre = models.ForeignKey(
        "carriers.SortingCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The sorting centre's check of its content against the manifest (opened and scanned out).
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    missing_count = models.PositiveIntegerField(_("parcels missing"), default=0)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        indexes = [
            models.Index(fields=["merchant", "-id"], name="bundle_merchant_recent"),
            models.Index(fields=["merchant", "status", "-id"], name="bundle_merchant_status"),
            models.Index(fields=["carrier", "status", "-id"], name="bundle_carrier_status"),
            # The collecting carrier's bundles on the way and to check (after a switchover, not the label's).
            models.Index(fields=["collected_by", "status", "-id"], name="bundle_collector_status"),
            models.Index(
                fields=["express_tracking_no"], condition=~Q(express_tracking_no=""), name="bundle_express_no"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(parcel_count__lte=MAX_PARCELS), name="bundle_at_most_10000"),
        ]

    def __str__(self) -> str:
        return self.number or f"bundle {self.pk}"


class BundleParcel(models.Model):
    """A parcel bound into a bundle; ``removed_at`` is set when it was unbound or the bundle cancelled.

    The partial unique index is what keeps a parcel in at most one bundle at a time,
    whichever sessions race to bind it.
    """

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="lines")
    # Found by waybill through the unique index below (a parcel's bundle now); no index of its own.
    waybill = models.ForeignKey("shipping.Waybill", on_delete=models.PROTECT, related_name="+", db_index=False)
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # At the sorting centre's check: when it was scanned out of the bundle, or written down as missing.
    checked_at = models.DateTimeField(null=True, blank=True)
    missing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["waybill"], condition=Q(removed_at__isnull=True), name="bundle_parcel_one_bundle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id} {self.waybill_id}"
