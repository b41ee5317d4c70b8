"""Direct-mail consolidation reverse management (直邮逆向管理, seed 003)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from firstmile.core.models import BaseModel
from firstmile.core.phones import display_cn_phone


class ReverseType(models.TextChoices):
    CUSTOMS_FAILED = "customs_failed", _("Customs clearance failed")  # 清关失败
    INTERCEPT_REFUSED = "intercept_refused", _("Intercepted / refused")  # 拦截拒收
    WAREHOUSE_INTERCEPTED = "warehouse_intercepted", _("Intercepted in the warehouse")  # 仓拦截成功


class Disposition(models.TextChoices):
    RETURN = "return", _("Return")  # 退运: the merchant collects or has it forwarded
    DESTROY = "destroy", _("Destroy")  # 销毁: only after the merchant confirms


class BusinessMode(models.TextChoices):
    CONSIGNMENT_SALE = "consignment_sale", _("Consignment sale")  # 代销
    CONSIGNMENT = "consignment", _("Consignment")  # 寄售
    POP = "pop", "POP"


class PickupMethod(models.TextChoices):
    SELF_PICKUP = "self_pickup", _("Self-pickup")  # 自提
    FORWARD = "forward", _("Forwarding")  # 转寄


class ReverseStatus(models.TextChoices):
    AWAITING_MERCHANT = "awaiting_merchant", _("Awaiting the merchant")  # register pickup or confirm destruction
    AWAITING_PICKUP = "awaiting_pickup", _("Awaiting pickup")  # 包裹待提货
    AWAITING_DESTRUCTION = "awaiting_destruction", _("Awaiting destruction")  # 包裹待销毁
    COMPLETED = "completed", _("Completed")


REVERSE_TRANSITIONS: set[tuple[str, str]] = {
    (ReverseStatus.AWAITING_MERCHANT, ReverseStatus.AWAITING_PICKUP),
    (ReverseStatus.AWAITING_MERCHANT, ReverseStatus.AWAITING_DESTRUCTION),
    (ReverseStatus.AWAITING_PICKUP, ReverseStatus.COMPLETED),
    (ReverseStatus.AWAITING_DESTRUCTION, ReverseStatus.COMPLETED),
}


def reverse_sources_of(target: str) -> list[str]:
    return [source for source, to in REVERSE_TRANSITIONS if to == target]


class ExceptionState(models.TextChoices):
    NONE = "none", _("No exception")  # 当前无异常
    OPEN = "open", _("Exception pending")  # 异常待处理
    CLOSED = "closed", _("Exception closed")  # 异常完结


class CompletionKind(models.TextChoices):
    HANDED_OVER = "handed_over", _("Handed over to the pickup person")
    FORWARDED = "forwarded", _("Forwarded")
    DESTROYED = "destroyed", _("Destroyed")


class ReverseOrder(BaseModel):
    """逆向管理单: a consolidated cross-border parcel coming back, and what happens to it."""

    reverse_no = models.CharField(_("reverse order number"), max_length=32, unique=True)
    merchant = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="reverse_orders")
    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="reverse_orders")
    sales_return_no = models.CharField(_("sales return number"), max_length=40, blank=True)
    order_no = models.CharField(_("order number"), max_length=64)
    product_id = models.CharField(_("product ID"), max_length=40, blank=True)
    product_name = models.CharField(_("product name"), max_length=200, blank=True)
    goods_id = models.CharField(_("goods ID"), max_length=40, blank=True)
    goods_name = models.CharField(_("goods name"), max_length=200, blank=True)
    warehouse_code = models.CharField(_("warehouse code"), max_length=40)
    warehouse_name = models.CharField(_("warehouse"), max_length=100)
    owner_id = models.CharField(_("cargo owner ID"), max_length=40)
    owner_name = models.CharField(_("cargo owner"), max_length=100)
    business_mode = models.CharField(_("business mode"), max_length=20, choices=BusinessMode.choices)
    reverse_type = models.CharField(_("reverse type"), max_length=24, choices=ReverseType.choices)
    disposition = models.CharField(_("disposition"), max_length=8, choices=Disposition.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=ReverseStatus.choices, default=ReverseStatus.AWAITING_MERCHANT
    )
    pickup_method = models.CharField(_("pickup method"), max_length=12, choices=PickupMethod.choices, blank=True)
    exception_state = models.CharField(
        _("exception"), max_length=8, choices=ExceptionState.choices, default=ExceptionState.NONE
    )
    completion_kind = models.CharField(_("completed as"), max_length=12, choices=CompletionKind.choices, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    destruction_confirmed_at = models.DateTimeField(_("destruction confirmed at"), null=True, blank=True)
    tracking_no = models.CharField(_("forwarding tracking number"), max_length=40, blank=True)
    destruction_photo = models.FileField(_("destruction photo"), upload_to="destruction/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("reverse order")
        verbose_name_plural = _("reverse orders")
        indexes = [
            # The merchant's list. On PostgreSQL this index also carries every column the
            # filters and tab counts read, so both are index-only scans over one merchant's
            # contiguous entries, never random reads of a table shared by all merchants.
            # (SQLite ignores INCLUDE and keeps the key.)
            models.Index(
                fields=["merchant", "-created_at", "-id"],
                include=[
                    "reverse_type",
                    "disposition",
                    "status",
                    "pickup_method",
                    "exception_state",
                    "business_mode",
                    "warehouse_code",
                    "updated_at",
                    "owner_id",
                    "owner_name",
                    "product_id",
                    "product_name",
                    "goods_id",
                    "goods_name",
                ],
                name="reverse_list_cover_idx",
            ),
            models.Index(fields=["merchant", "reverse_type", "disposition", "-created_at"], name="reverse_tab_idx"),
            models.Index(fields=["merchant", "status", "-created_at"], name="reverse_status_idx"),
            models.Index(fields=["merchant", "-updated_at", "-id"], name="reverse_updated_id_idx"),
            models.Index(fields=["merchant", "order_no"], name="reverse_order_no_idx"),
            models.Index(fields=["merchant", "sales_return_no"], name="reverse_sales_return_idx"),
            # ID or part of the name: on PostgreSQL the ID side uses these, the name side the
            # trigram indexes of migration 0004, and the two are OR-ed as bitmaps.
            models.Index(fields=["merchant", "product_id"], name="reverse_product_idx"),
            models.Index(fields=["merchant", "goods_id"], name="reverse_goods_idx"),
            models.Index(fields=["merchant", "owner_id"], name="reverse_owner_idx"),
            models.Index(fields=["merchant", "warehouse_code", "-created_at"], name="reverse_warehouse_idx"),
            models.Index(fields=["merchant", "exception_state", "-created_at"], name="reverse_exception_idx"),
            models.Index(fields=["carrier", "status", "-created_at"], name="reverse_carrier_work_idx"),
        ]

    def __str__(self) -> str:
        return self.reverse_no

    @property
    def tab(self) -> str:
        if self.reverse_type == ReverseType.CUSTOMS_FAILED:
            return "destroy" if self.disposition == Disposition.DESTROY else "return"
        return self.reverse_type


class PickupRegistration(BaseModel):
    """登记提货: how the merchant takes the parcel back. Never changed once submitted."""

    reverse_order = models.OneToOneField(ReverseOrder, on_delete=models.CASCADE, related_name="registration")
    method = models.CharField(_("pickup method"), max_length=12, choices=PickupMethod.choices)
    expected_pickup_at = models.DateTimeField(_("expected pickup time"), null=True, blank=True)
    person_name = models.CharField(_("pickup person"), max_length=50, blank=True)
    recipient_name = models.CharField(_("recipient"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    division = models.ForeignKey("geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address_detail = models.CharField(_("detail address"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    batch_ref = models.CharField(max_length=36)  # shared by the orders registered together
    registered_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("pickup registration")
        verbose_name_plural = _("pickup registrations")

    def __str__(self) -> str:
        return f"{self.reverse_order_id} {self.method}"

    @property
    def phone_display(self) -> str:
        return display_cn_phone(self.phone)


class ExceptionKind(models.TextChoices):
    NO_SHOW = "no_show", _("Pickup person did not come")
    PERSON_MISMATCH = "person_mismatch", _("Pickup person does not match the registration")
    UNDELIVERABLE = "undeliverable", _("Forwarding address undeliverable")
    PARCEL_DAMAGED = "parcel_damaged", _("Parcel damaged")
    OTHER = "other", _("Other")


class ReverseException(BaseModel):
    """A problem the consolidation warehouse raises, followed until it is closed with a resolution."""

    reverse_order = models.ForeignKey(ReverseOrder, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(_("exception"), max_length=20, choices=ExceptionKind.choices)
    description = models.CharField(_("description"), max_length=300)
    raised_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.reverse_order_id} {self.kind}"


class ConsolidationAgreement(BaseModel):
    """The platform's record that a carrier runs the consolidation warehouse (直邮集货仓) for a merchant.

    Only a carrier with a live agreement may raise reverse orders for that merchant;
    ending it stops new ones, while the orders already raised are still worked to the end.
    """

    carrier = models.ForeignKey("carriers.Carrier", on_delete=models.PROTECT, related_name="consolidation_agreements")
    merchant = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="consolidation_agreements"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consolidation agreement")
        verbose_name_plural = _("consolidation agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "merchant"],
                condition=models.Q(ended_at__isnull=True),
                name="one_live_consolidation_agreement",
            )
        ]

    @property
    def is_live(self) -> bool:
        return self.ended_at is None
