from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from firstmile.core.clock import BEIJING, to_beijing
from firstmile.core.models import BaseModel


class Carrier(BaseModel):
    """A first-mile pickup carrier (揽收服务商): J&T 极兔, Wanse 万色, …"""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="carrier", verbose_name=_("organisation")
    )
    code = models.CharField(_("code"), max_length=8, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    waybill_prefix = models.CharField(_("waybill prefix"), max_length=4, unique=True)
    hotline = models.CharField(_("customer hotline"), max_length=32)
    service_opens = models.TimeField(_("service opens"))
    service_closes = models.TimeField(_("service closes"))
    # ISO weekdays the hotline answers on, Monday=1 … Sunday=7.
    service_weekdays = models.CharField(_("service weekdays"), max_length=7, default="1234567")
    # How long a collected parcel may take to reach the sorting centre: its inbound-by clock.
    inbound_hours = models.PositiveSmallIntegerField(_("hours from collection to the sorting centre"), default=24)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def next_service_close(self, after: datetime) -> datetime:
        """The end of service hours on the first service day after ``after``'s Beijing date: a PICK UP
        parcel without a booked window is due to be collected by then (docs/tracking.md)."""
        day = to_beijing(after).date()
        for _step in range(7):
            day += timedelta(days=1)
            if str(day.isoweekday()) in (self.service_weekdays or "1234567"):
                break
        return datetime.combine(day, self.service_closes, tzinfo=BEIJING)

    @property
    def service_hours(self) -> str:
        days = self.service_weekdays
        if days == "1234567":
            span = _("Monday – Sunday")
        elif days == "12345":
            span = _("Monday – Friday")
        else:
            span = ",".join(days)
        return f"{span} {self.service_opens:%H:%M}–{self.service_closes:%H:%M}"


class SortingCentre(BaseModel):
    """A carrier's sorting centre (分拨仓), where the first mile ends."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="sorting_centres", verbose_name=_("carrier")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Shown in the English interface; the Chinese name where none is given.
    name_en = models.CharField(_("English name"), max_length=100, blank=True, default="")
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address_detail = models.CharField(_("detail address"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sorting centre")
        verbose_name_plural = _("sorting centres")
        ordering = ["carrier", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class CoverageArea(BaseModel):
    """Carrier X collects in division D from valid_from until valid_to (exclusive).

    Effective-dated rows, never a flag flipped by a job: the carrier serving an
    area at any instant, past or future, is one query, and a switchover is just
    a row that starts at the cutover instant.
    """

    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="coverage", verbose_name=_("carrier"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    # Set when a switchover has pushed the area's addresses to this carrier: from
    # then on, a re-saved address asks this carrier for pickup, effective at valid_from.
    requests_from = models.DateTimeField(_("takes pickup requests from"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage area")
        verbose_name_plural = _("coverage areas")
        ordering = ["division", "valid_from"]
        indexes = [
            models.Index(fields=["division", "valid_from"]),
            models.Index(fields=["carrier", "valid_from"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="coverage_period_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"{self.division_id} → {self.carrier_id} [{self.valid_from:%Y-%m-%d %H:%M}, {self.valid_to or '∞'})"


class CoverageRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for platform operations
    APPROVED = "approved", _("Approved")  # became a coverage row from valid_from
    REJECTED = "rejected", _("Rejected")  # with the platform's reason


class CoverageRequest(BaseModel):
    """A carrier's admin asks platform operations to let it collect in an area from an instant.

    Coverage itself stays the platform's to assign: approving a request calls the
    same service the ops page does, so the one-carrier-per-instant rule holds.
    """

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="coverage_requests", verbose_name=_("carrier")
    )
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    valid_from = models.DateTimeField(_("valid from"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CoverageRequestStatus.choices, default=CoverageRequestStatus.PENDING
    )
    requested_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("coverage request")
        verbose_name_plural = _("coverage requests")
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["carrier", "created_at"])]


class PickupWindow(BaseModel):
    """A pickup window (揽收时段) a carrier offers in an area on one weekday, with room for so many parcels.

    It applies to every warehouse in the area (a city, county or town). Times are
    Beijing wall-clock times; a booking, change or cancellation is accepted until
    ``cutoff_minutes`` before the window starts.
    """

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="pickup_windows", verbose_name=_("carrier")
    )
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # ISO: 1 = Monday … 7 = Sunday
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    capacity = models.PositiveIntegerField(_("parcels per window"))
    cutoff_minutes = models.PositiveIntegerField(_("booking cut-off (minutes before)"), default=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pickup window")
        verbose_name_plural = _("pickup windows")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7), name="pickup_window_weekday"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="pickup_window_order"),
            models.UniqueConstraint(
                fields=["carrier", "division", "weekday", "starts_at"],
                condition=Q(is_active=True),
                name="pickup_window_unique_active",
            ),
        ]
        indexes = [models.Index(fields=["carrier", "weekday", "division"], name="pickup_window_lookup")]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.division_id} {self.weekday} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class PickupClosure(BaseModel):
    """A date a carrier does not collect in an area (holiday, weather), or anywhere when no area is given."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="pickup_closures", verbose_name=_("carrier")
    )
    date = models.DateField(_("date"))
    division = models.ForeignKey(
        "geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    reason = models.CharField(_("reason"), max_length=100)

    class Meta:
        verbose_name = _("pickup closure")
        verbose_name_plural = _("pickup closures")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "date", "division"], name="pickup_closure_unique"),
            models.UniqueConstraint(
                fields=["carrier", "date"], condition=Q(division__isnull=True), name="pickup_closure_unique_all"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.date} {self.division_id or '*'}"
