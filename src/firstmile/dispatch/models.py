from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel
from firstmile.core.phones import display_cn_phone


class Driver(BaseModel):
    """A carrier's driver (揽收司机); logs in as a user with the driver role."""

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="drivers")
    user = models.OneToOneField(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="driver"
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ["carrier", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_display(self) -> str:
        return display_cn_phone(self.phone)


class Route(BaseModel):
    """A set of areas (线路) one driver covers in a day, e.g. 东莞西线: 洪梅, 麻涌, 道滘."""

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="routes")
    name = models.CharField(_("name"), max_length=50)
    divisions = models.ManyToManyField("geo.Division", related_name="+", verbose_name=_("areas"))

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        constraints = [models.UniqueConstraint(fields=["carrier", "name"], name="route_name_unique_per_carrier")]

    def __str__(self) -> str:
        return self.name


class DayType(models.TextChoices):
    WEEKDAY = "weekday", _("Weekday")
    WEEKEND = "weekend", _("Weekend")


class RosterEntry(BaseModel):
    """The standing roster (排班): who drives which route on weekdays or weekends."""

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="roster")
    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="roster")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="roster")
    day_type = models.CharField(_("days"), max_length=8, choices=DayType.choices)
    capacity = models.PositiveIntegerField(_("stops per day"), default=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["driver", "day_type"], name="one_roster_entry_per_driver_and_day_type")
        ]

    def __str__(self) -> str:
        return f"{self.driver} {self.route} {self.day_type}"


class Shift(BaseModel):
    """One driver on one route on one (Beijing) day, made from the roster or by hand."""

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="shifts")
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="shifts")
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="shifts")
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("stops"), default=20)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        constraints = [models.UniqueConstraint(fields=["driver", "date"], name="one_shift_per_driver_and_day")]
        indexes = [models.Index(fields=["carrier", "date"])]

    def __str__(self) -> str:
        return f"{self.driver} {self.date} {self.route}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a driver")
    ASSIGNED = "assigned", _("Driver assigned")
    CLOSED = "closed", _("Stop closed")
    FAILED = "failed", _("Pickup failed")


class PickupTask(BaseModel):
    """揽收单: one warehouse's PICK UP parcels for one carrier on one day.

    The carrier is the one serving the warehouse's area that day, whatever
    carrier printed the labels: after a switchover the new carrier collects the
    old carrier's labels too (seed question 9).
    """

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="pickup_tasks")
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.PROTECT, related_name="pickup_tasks")
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    sequence = models.PositiveIntegerField(_("stop"), default=0)
    assigned_manually = models.BooleanField(default=False)
    # The earliest pickup window booked by the stop's parcels (Beijing time): the stop's place in the day.
    window_starts_at = models.TimeField(_("window from"), null=True, blank=True)
    window_ends_at = models.TimeField(_("window until"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pickup task")
        verbose_name_plural = _("pickup tasks")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "warehouse", "date"], name="one_task_per_warehouse_and_day")
        ]
        indexes = [models.Index(fields=["carrier", "date", "status"]), models.Index(fields=["warehouse", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.warehouse}"


class TaskParcel(models.Model):
    """Which task a PICK UP parcel is in; moved to the next day's task when not collected."""

    waybill = models.OneToOneField("shipping.Waybill", on_delete=models.CASCADE, related_name="task_link")
    task = models.ForeignKey(PickupTask, on_delete=models.CASCADE, related_name="parcels")
    first_task_date = models.DateField()  # how long it has been waiting, across rollovers
    # Failed pickups this parcel has been through, across rollovers: past
    # FIRSTMILE_PICKUP_FAILURE_LIMIT the merchant and the platform see it flagged.
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            # The flagged parcels of the attention view: only parcels that ever failed are in it.
            models.Index(fields=["failed_attempts"], name="parcel_failed_pickups", condition=Q(failed_attempts__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.waybill_id}@{self.task_id}"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached, coming")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    NOT_READY = "not_ready", _("Parcels not ready")
    RESCHEDULED = "rescheduled", _("Come another day")


class ContactAttempt(BaseModel):
    task = models.ForeignKey(PickupTask, on_delete=models.CASCADE, related_name="contacts")
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=16, choices=ContactOutcome.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome}"


class FailureReason(models.TextChoices):
    MERCHANT_CLOSED = "merchant_closed", _("Warehouse closed, nobody there")
    NOT_READY = "not_ready", _("Parcels not ready")
    REFUSED = "refused", _("Merchant refused to hand over")
    ADDRESS_WRONG = "address_wrong", _("Address wrong or not found")
    OVER_CAPACITY = "over_capacity", _("More parcels than the vehicle holds")
    NO_CONTACT = "no_contact", _("Contact unreachable")
    OTHER = "other", _("Other (say what)")


class PickupFailure(BaseModel):
    """A stop where the pickup did not happen, and why: its parcels are retried the next day."""

    task = models.ForeignKey(PickupTask, on_delete=models.CASCADE, related_name="failures")
    # The task's carrier and warehouse again, so each side's list is one index.
    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False)
    reason = models.CharField(_("reason"), max_length=20, choices=FailureReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    driver = models.ForeignKey(Driver, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    parcels_left = models.PositiveIntegerField(_("parcels left"), default=0)
    retry_on = models.DateField(_("retry on"))

    class Meta:
        verbose_name = _("pickup failure")
        verbose_name_plural = _("pickup failures")
        indexes = [
            models.Index(fields=["warehouse", "-created_at"]),
            models.Index(fields=["carrier", "-created_at"]),
            models.Index(fields=["-created_at"], name="pickup_failure_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.reason}"


class StopProof(BaseModel):
    """Proof of pickup at a stop: a photo and/or where the driver's phone said it was."""

    task = models.ForeignKey(PickupTask, on_delete=models.CASCADE, related_name="proofs")
    driver = models.ForeignKey(Driver, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    photo = models.FileField(_("photo"), upload_to="pickup-proof/%Y/%m/", blank=True)
    # WGS 84 degrees as the browser's Geolocation API gives them; accuracy in metres.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("proof of pickup")
        verbose_name_plural = _("proofs of pickup")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} proof"


class ScanKind(models.TextChoices):
    PICKUP = "pickup", _("Collected at warehouse")
    INBOUND = "inbound", _("Received at sorting centre")


class Scan(BaseModel):
    waybill = models.ForeignKey("shipping.Waybill", on_delete=models.PROTECT, related_name="scans")
    kind = models.CharField(max_length=10, choices=ScanKind.choices)
    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(PickupTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans")
    driver = models.ForeignKey(Driver, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sorting_centre = models.ForeignKey(
        "carriers.SortingCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scanned_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["waybill", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.waybill_id}"


class HandoverKind(models.TextChoices):
    PICKUP = "pickup", _("Collected at the warehouse")
    DROP_OFF = "drop_off", _("Dropped off at the sorting centre")


class HandoverStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")


class HandoverList(BaseModel):
    """A handover list (交接单): the parcels one side gave the other, signed for by the merchant's contact.

    At a stop it gathers the parcels the driver scans there; at a sorting centre's
    counter, the DROP OFF parcels one merchant brings in on a day. While open, the
    parcels on the merchant's list but not scanned show as missing; confirming
    writes them down and the list never changes again. A parcel scanned at the
    same stop afterwards goes on a new list that ``amends`` the confirmed one.
    """

    # Set from the primary key right after the insert (HO + 10 digits, printed as Code 128);
    # NULL until then, as NULLs never collide in the unique index.
    number = models.CharField(_("number"), max_length=16, unique=True, null=True)  # noqa: DJ001
    kind = models.CharField(_("kind"), max_length=10, choices=HandoverKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=HandoverStatus.choices, default=HandoverStatus.OPEN)
    date = models.DateField(_("date"))  # Beijing date of the handover
    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="+", db_index=False)
    merchant = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("pickup.Warehouse", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(PickupTask, null=True, blank=True, on_delete=models.PROTECT, related_name="handovers")
    driver = models.ForeignKey(Driver, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sorting_centre = models.ForeignKey(
        "carriers.SortingCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("amends")
    )
    parcel_count = models.PositiveIntegerField(_("parcels handed over"), default=0)
    missing_count = models.PositiveIntegerField(_("parcels missing"), default=0)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=2, null=True, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=50, blank=True)
    signature = models.FileField(_("signature"), upload_to="handover-signatures/%Y/%m/", blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("handover list")
        verbose_name_plural = _("handover lists")
        constraints = [
            # Scans at a stop (or a merchant's drop-offs at a counter in a day) go on one open list.
            models.UniqueConstraint(fields=["task"], condition=Q(status="open"), name="handover_one_open_per_stop"),
            models.UniqueConstraint(
                fields=["sorting_centre", "merchant", "date"],
                condition=Q(status="open", kind="drop_off"),
                name="handover_one_open_counter_list",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-id"], name="handover_merchant_recent"),
            models.Index(fields=["carrier", "-id"], name="handover_carrier_recent"),
        ]

    def __str__(self) -> str:
        return self.number or f"handover {self.pk}"


class HandoverLine(models.Model):
    """One waybill on a handover list: handed over, or on the merchant's list but missing."""

    handover = models.ForeignKey(HandoverList, on_delete=models.CASCADE, related_name="lines")
    waybill = models.ForeignKey("shipping.Waybill", on_delete=models.PROTECT, related_name="+")
    missing = models.BooleanField(_("missing"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)
    # Handed over inside this bundle (its lines show on the list as one, with their count).
    bundle = models.ForeignKey(
        "bundles.Bundle", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["handover", "waybill"], name="handover_line_unique")]
        # Most lines are single parcels: only bundled ones are indexed by their bundle.
        indexes = [models.Index(fields=["bundle"], condition=Q(bundle__isnull=False), name="handover_line_bundle")]

    def __str__(self) -> str:
        return f"{self.handover_id} {self.waybill_id}"
