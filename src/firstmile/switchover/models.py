from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel


class Switchover(BaseModel):
    """The platform moving areas from one pickup carrier to another (切换), e.g. J&T → Wanse."""

    name = models.CharField(_("name"), max_length=100)
    from_carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="+")
    to_carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("switchover")
        verbose_name_plural = _("switchovers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class BatchStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # coverage and extensions written; addresses not pushed yet
    PUSHED = "pushed", _("Addresses pushed")  # the incoming carrier has the requests to review
    CANCELLED = "cancelled", _("Cancelled")


BATCH_TRANSITIONS: set[tuple[str, str]] = {
    (BatchStatus.SCHEDULED, BatchStatus.PUSHED),
    (BatchStatus.PUSHED, BatchStatus.PUSHED),  # a re-push of the failed warehouses
    (BatchStatus.SCHEDULED, BatchStatus.CANCELLED),
    (BatchStatus.PUSHED, BatchStatus.CANCELLED),
}


class SwitchoverBatch(BaseModel):
    """One step of the switchover (批次): its areas change carrier at ``cutover_at``.

    Orders created from ``extension_days_before`` days before the cutover day to
    ``extension_days_after`` days after it get ``extension_days`` more to ship.
    """

    switchover = models.ForeignKey(Switchover, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(_("name"), max_length=100)
    cutover_at = models.DateTimeField(_("cutover"))
    extension_days_before = models.PositiveSmallIntegerField(_("extension from days before cutover"), default=1)
    extension_days_after = models.PositiveSmallIntegerField(_("extension until days after cutover"), default=0)
    extension_days = models.PositiveSmallIntegerField(_("extra days to ship"), default=3)
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.SCHEDULED)
    push_total = models.PositiveIntegerField(default=0)
    push_done = models.PositiveIntegerField(default=0)
    push_started_at = models.DateTimeField(null=True, blank=True)
    push_finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("switchover batch")
        verbose_name_plural = _("switchover batches")
        ordering = ["cutover_at", "id"]

    def __str__(self) -> str:
        return f"{self.switchover} · {self.name}"

    @property
    def origin(self) -> str:
        """What the batch writes on the requests it pushes."""
        return f"switchover.batch:{self.pk}"


class BatchArea(models.Model):
    batch = models.ForeignKey(SwitchoverBatch, on_delete=models.CASCADE, related_name="areas")
    division = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "division"], name="batch_area_once")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.division_id}"


class PushFailure(models.Model):
    """A warehouse the address push could not take, and why; a later push retries it.

    Pushed warehouses need no row of their own: their request (origin = the
    batch) is the record.
    """

    batch = models.ForeignKey(SwitchoverBatch, on_delete=models.CASCADE, related_name="push_failures")
    warehouse = models.ForeignKey("pickup.Warehouse", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32)
    attempted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "warehouse"], name="push_failure_once_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.warehouse_id} {self.reason}"
