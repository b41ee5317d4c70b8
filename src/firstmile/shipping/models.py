from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel


class ShipByExtension(BaseModel):
    """Orders created in [created_from, created_to) from warehouses in a division
    get ``extra_hours`` more to ship (发货时效延长), e.g. around a carrier switchover.

    Data, not code: whoever grants an extension (the switchover) writes a row, and
    an order's deadline is fixed from the rows in force when it is created.
    """

    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    created_from = models.DateTimeField(_("orders created from"))
    created_to = models.DateTimeField(_("orders created until"))
    extra_hours = models.PositiveIntegerField(_("extra hours"))
    reason = models.CharField(_("reason"), max_length=200)
    source = models.CharField(max_length=64, blank=True)  # e.g. "switchover.batch:12"

    class Meta:
        verbose_name = _("ship-by extension")
        verbose_name_plural = _("ship-by extensions")
        indexes = [models.Index(fields=["division", "created_from"])]

    def __str__(self) -> str:
        return f"{self.division_id} +{self.extra_hours}h [{self.created_from:%Y-%m-%d}, {self.created_to:%Y-%m-%d})"


class OrderStatus(models.TextChoices):
    AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")  # 待发货
    SHIPPED = "shipped", _("Shipped")  # 已安排发货: a waybill is issued
    CANCELLED = "cancelled", _("Cancelled")


class Order(BaseModel):
    """A merchant's order to ship from one of its warehouses."""

    # (merchant, order_no) is unique, and that index serves merchant lookups.
    merchant = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    order_no = models.CharField(_("order number"), max_length=64)
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.PROTECT, related_name="orders")
    item_summary = models.CharField(_("items"), max_length=200, blank=True)
    # The warehouse as the merchant's ERP has it, when that differs from ours
    # (seed question 14: a label's handover follows the platform's, not the ERP's).
    erp_warehouse_code = models.CharField(_("ERP warehouse code"), max_length=40, blank=True)
    erp_warehouse_address = models.CharField(_("ERP warehouse address"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.AWAITING_SHIPMENT
    )
    handling_hours = models.PositiveIntegerField(_("base handling hours"))
    extension_hours = models.PositiveIntegerField(_("extension hours"), default=0)
    extension = models.ForeignKey(ShipByExtension, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ship_by = models.DateTimeField(_("ship by"))
    # When the buyer placed the order on the marketplace (the ERP sends it minutes or
    # hours later); the deadline and any switchover extension count from here.
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    # "computed" (base hours + extension from placed_at) or "marketplace" (given by the ERP).
    ship_by_source = models.CharField(_("deadline from"), max_length=12, default="computed")
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [models.UniqueConstraint(fields=["merchant", "order_no"], name="order_no_unique_per_merchant")]
        indexes = [
            models.Index(fields=["merchant", "status", "ship_by"]),
            models.Index(fields=["merchant", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.order_no


class HandoverMethod(models.TextChoices):
    PICKUP = "PICKUP", "PICK UP"  # the carrier collects at the warehouse
    DROP_OFF = "DROP_OFF", "DROP OFF"  # the merchant delivers to the sorting centre


class WaybillStatus(models.TextChoices):
    ISSUED = "issued", _("Label printed")  # waiting to be collected or dropped off
    COLLECTED = "collected", _("Collected")  # a driver scanned it at the warehouse
    RECEIVED = "received", _("At sorting centre")  # inbound scan: the first mile is done
    VOIDED = "voided", _("Voided")  # cancelled before pickup


WAYBILL_TRANSITIONS: set[tuple[str, str]] = {
    (WaybillStatus.ISSUED, WaybillStatus.COLLECTED),
    (WaybillStatus.ISSUED, WaybillStatus.RECEIVED),  # dropped off by the merchant
    (WaybillStatus.COLLECTED, WaybillStatus.RECEIVED),
    (WaybillStatus.ISSUED, WaybillStatus.VOIDED),
}


def waybill_sources_of(target: str) -> list[str]:
    return [source for source, to in WAYBILL_TRANSITIONS if to == target]


class TrackingStatus(models.TextChoices):
    """Where the parcel is in the first mile, as every party and the API name it (docs/tracking.md).

    Finer than WaybillStatus: it also tells a booked window, a failed pickup and a
    handover list apart. Written by the same statement as the change it follows.
    """

    LABEL_CREATED = "label_created", _("Label printed")
    PICKUP_SCHEDULED = "pickup_scheduled", _("Pickup scheduled")
    PICKUP_FAILED = "pickup_failed", _("Pickup failed")
    EXCEPTION = "exception", _("Exception")
    COLLECTED = "collected", _("Collected")
    HANDED_OVER = "handed_over", _("Handed over")
    RECEIVED = "received", _("At sorting centre")
    DROP_OFF_RECEIVED = "drop_off_received", _("Dropped off")
    VOIDED = "voided", _("Voided")


class Waybill(BaseModel):
    """A shipping label's facts, frozen at issue: who carries it, how it is handed
    over, where it goes, and the subscription state that decided the handover."""

    # Unique through a constraint rather than unique=True, which on PostgreSQL
    # also builds a LIKE-pattern index no query uses, kept up on every insert.
    waybill_no = models.CharField(_("waybill number"), max_length=24)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="waybills")
    # merchant, carrier, warehouse and sorting_centre lead the composite indexes
    # below, which serve their lookups too: no index of their own to keep up on
    # every waybill written.
    merchant = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The carrier, its coverage area, its sorting centre and the sender's division are
    # the platform's configuration: rows every merchant's waybills point at, deleted
    # by nobody (PROTECT, which Django enforces before any delete). Their database
    # constraints are off (db_constraint=False): PostgreSQL checked each per row at
    # commit with a FOR KEY SHARE lock on the same few rows for every merchant
    # arranging at once, 16 % of its work per waybill (bench/arrange_cost.py). The
    # waybill's own keys (order, merchant, warehouse, subscription) keep theirs.
    carrier = models.ForeignKey(
        "carriers.Carrier", on_delete=models.PROTECT, related_name="waybills", db_index=False, db_constraint=False
    )
    coverage = models.ForeignKey(
        "carriers.CoverageArea", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    handover_method = models.CharField(_("handover"), max_length=10, choices=HandoverMethod.choices)
    sorting_centre = models.ForeignKey(
        "carriers.SortingCentre", on_delete=models.PROTECT, related_name="waybills", db_index=False, db_constraint=False
    )
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.PROTECT, related_name="waybills", db_index=False)
    warehouse_address_version = models.PositiveIntegerField()
    sender_name = models.CharField(max_length=100)
    sender_contact = models.CharField(max_length=50)
    sender_phone = models.CharField(max_length=20)
    # Indexed for prefix matches only (a switchover's area: code LIKE '4419%'),
    # which serve equality too; see Meta.
    sender_division = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    sender_address = models.CharField(max_length=300)
    subscription = models.ForeignKey(
        "pickup.PickupSubscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The warehouse's pickup state when the label was issued (active, pending, …)
    # and the carrier that subscription was with: the answer to "why DROP OFF?".
    subscription_state = models.CharField(max_length=20)
    subscription_carrier_code = models.CharField(max_length=8, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    status = models.CharField(_("status"), max_length=12, choices=WaybillStatus.choices, default=WaybillStatus.ISSUED)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    tracking_status = models.CharField(
        _("tracking status"), max_length=20, choices=TrackingStatus.choices, default=TrackingStatus.LABEL_CREATED
    )
    tracking_since = models.DateTimeField(_("tracking status since"), null=True, blank=True)
    # The pickup window booked for this parcel (PICK UP only), and its date in Beijing time.
    pickup_window = models.ForeignKey(
        "carriers.PickupWindow", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    pickup_date = models.DateField(_("pickup date"), null=True, blank=True)
    # SLA clocks (docs/tracking.md): a PICK UP parcel is due to be collected by ``collect_by``
    # (its booked window's end, else the carrier's next service day); a collected one is due at
    # the sorting centre by ``inbound_by`` (collection + the collecting carrier's inbound hours).
    collect_by = models.DateTimeField(_("collect by"), null=True, blank=True)
    inbound_by = models.DateTimeField(_("at the sorting centre by"), null=True, blank=True)
    print_count = models.PositiveIntegerField(default=0)
    last_printed_at = models.DateTimeField(null=True, blank=True)
    # No index: waybills are found by number, owner and issue time, never by row creation.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("waybill")
        verbose_name_plural = _("waybills")
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=~Q(status="voided"), name="one_live_waybill_per_order"),
            models.UniqueConstraint(fields=["waybill_no"], name="waybill_no_unique"),
        ]
        indexes = [
            models.Index(fields=["sender_division"], name="waybill_sender_area", opclasses=["varchar_pattern_ops"]),
            # PICK UP parcels still waiting, oldest first: the platform's "not collected for N hours".
            models.Index(
                fields=["issued_at"],
                name="waybill_awaiting_pickup",
                condition=Q(status="issued", handover_method="PICKUP"),
            ),
            models.Index(fields=["merchant", "issued_at"]),
            models.Index(fields=["carrier", "status", "issued_at"]),
            models.Index(fields=["warehouse", "status"]),
            # A window's bookings on a date: its remaining capacity.
            models.Index(
                fields=["pickup_window", "pickup_date"],
                condition=Q(pickup_window__isnull=False),
                name="waybill_pickup_slot",
            ),
            models.Index(fields=["sorting_centre", "status"]),
            # Parcels late or due to be collected, and collected ones late or due at the sorting centre.
            models.Index(
                fields=["collect_by"],
                condition=Q(status="issued", handover_method="PICKUP"),
                name="waybill_collect_due",
            ),
            models.Index(fields=["inbound_by"], condition=Q(status="collected"), name="waybill_inbound_due"),
        ]

    def __str__(self) -> str:
        return self.waybill_no


class WaybillCounter(models.Model):
    """The waybill serial on databases without sequences (SQLite, where writers
    are serialised anyway); PostgreSQL uses the sequence shipping_waybill_serial."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)
