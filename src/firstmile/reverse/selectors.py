from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.selectors import carrier_of
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import from_beijing_wall_clock
from firstmile.core.errors import ApplicationError, NotFound
from firstmile.core.lookups import RowCompare
from firstmile.core.pagination import cursor_load, cursor_sign
from firstmile.core.replica import from_replica
from firstmile.events.models import Event

from . import error_codes
from .models import ConsolidationAgreement, Disposition, ExceptionState, ReverseOrder, ReverseStatus, ReverseType

# The seed's tabs, each a condition on type and disposition.
TABS: dict[str, Q] = {
    "all": Q(),
    "customs_failed": Q(reverse_type=ReverseType.CUSTOMS_FAILED),
    "return": Q(reverse_type=ReverseType.CUSTOMS_FAILED, disposition=Disposition.RETURN),
    "destroy": Q(disposition=Disposition.DESTROY),
    "intercept_refused": Q(reverse_type=ReverseType.INTERCEPT_REFUSED),
    "warehouse_intercepted": Q(reverse_type=ReverseType.WAREHOUSE_INTERCEPTED),
}
TAB_LABELS = {
    "all": _("All"),
    "customs_failed": _("Customs clearance failed"),
    "return": _("Return"),
    "destroy": _("Destroy"),
    "intercept_refused": _("Intercepted / refused"),
    "warehouse_intercepted": _("Intercepted in the warehouse"),
}
SORTS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
}


@dataclass
class ReverseFilters:
    """Every filter of the seed's list; empty means "any"."""

    number: str = ""  # 销退单号 / 订单号 / 逆向管理单号
    product: str = ""  # 商品ID or name
    goods: str = ""  # 货品ID or name
    warehouse: str = ""  # warehouse code
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    pickup_method: str = ""
    exception_state: str = ""
    owner: str = ""  # 货主ID or name
    business_mode: str = ""
    status: str = ""
    tab: str = "all"
    sort: str = "-created_at"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_params(cls, params) -> ReverseFilters:
        def instant(name):
            value = (params.get(name) or "").strip()
            if not value:
                return None
            try:
                parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00")
            except ValueError:  # well-formed but impossible, e.g. 2024-02-30
                parsed = None
            if parsed is None or not 2000 <= parsed.year <= 2099:
                raise ApplicationError(
                    core_codes.INVALID_INPUT, _("Not a date and time: %(value)s.") % {"value": value}, field=name
                )
            return from_beijing_wall_clock(parsed)

        tab = params.get("tab") or "all"
        if tab not in TABS:
            raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown tab."), field="tab")
        sort = params.get("sort") or "-created_at"
        if sort not in SORTS:
            raise ApplicationError(core_codes.INVALID_INPUT, _("Unknown sort order."), field="sort")
        return cls(
            number=(params.get("number") or "").strip(),
            product=(params.get("product") or "").strip(),
            goods=(params.get("goods") or "").strip(),
            warehouse=(params.get("warehouse") or "").strip(),
            created_from=instant("created_from"),
            created_to=instant("created_to"),
            updated_from=instant("updated_from"),
            updated_to=instant("updated_to"),
            pickup_method=(params.get("pickup_method") or "").strip(),
            exception_state=(params.get("exception_state") or "").strip(),
            owner=(params.get("owner") or "").strip(),
            business_mode=(params.get("business_mode") or "").strip(),
            status=(params.get("status") or "").strip(),
            tab=tab,
            sort=sort,
        )


def _scope(actor: Actor) -> QuerySet[ReverseOrder]:
    orders = ReverseOrder.objects.all()
    if actor.is_merchant:
        return orders.filter(merchant=actor.organisation)
    carrier = carrier_of(actor)
    if carrier is not None:
        return orders.filter(carrier=carrier)
    return orders if actor.is_platform else orders.none()


def _id_or_name(prefix: str, value: str) -> Q:
    # An id is matched exactly (indexed); anything else as part of the name.
    return Q(**{f"{prefix}_id": value}) | Q(**{f"{prefix}_name__icontains": value})


def _filtered(actor: Actor, f: ReverseFilters) -> QuerySet[ReverseOrder]:
    orders = _scope(actor)
    if f.number:
        orders = orders.filter(Q(reverse_no=f.number) | Q(order_no=f.number) | Q(sales_return_no=f.number))
    if f.product:
        orders = orders.filter(_id_or_name("product", f.product))
    if f.goods:
        orders = orders.filter(_id_or_name("goods", f.goods))
    if f.owner:
        orders = orders.filter(_id_or_name("owner", f.owner))
    if f.warehouse:
        orders = orders.filter(warehouse_code=f.warehouse)
    if f.created_from:
        orders = orders.filter(created_at__gte=f.created_from)
    if f.created_to:
        orders = orders.filter(created_at__lt=f.created_to)
    if f.updated_from:
        orders = orders.filter(updated_at__gte=f.updated_from)
    if f.updated_to:
        orders = orders.filter(updated_at__lt=f.updated_to)
    for name in ("pickup_method", "exception_state", "business_mode", "status"):
        value = getattr(f, name)
        if value:
            orders = orders.filter(**{name: value})
    return orders


def reverse_list(*, actor: Actor, filters: ReverseFilters) -> QuerySet[ReverseOrder]:
    """The actor's reverse orders matching every filter and the tab, in the chosen order."""
    require(actor, Operation.RECORDS_VIEW)
    return _filtered(actor, filters).filter(TABS[filters.tab]).order_by(*SORTS[filters.sort])


def tab_counts(*, actor: Actor, filters: ReverseFilters) -> dict[str, int]:
    """How many orders each tab holds under the other filters: one query."""
    require(actor, Operation.RECORDS_VIEW)
    # Counting merchant_id (never null) rather than id: merchant_id leads every index of the
    # list, so the counts are index-only scans with no table reads. Counts a few seconds
    # old are fine, so they may come from a replica: the heaviest read of the list page.
    with from_replica():
        return _filtered(actor, filters).aggregate(**{name: Count("merchant", filter=q) for name, q in TABS.items()})


@dataclass
class Page:
    rows: list[ReverseOrder]
    next_cursor: str | None


def _encode(order: ReverseOrder, sort: str) -> str:
    key = sort.lstrip("-")
    return cursor_sign([sort, getattr(order, key).isoformat(), order.pk])


def page_after(queryset: QuerySet[ReverseOrder], *, sort: str, cursor: str | None, size: int = 50) -> Page:
    """Keyset pagination: every page costs what the first does, however deep."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    if cursor:
        # Signed, so the position is one this server handed out for this very sort.
        made_for, value, pk = cursor_load(cursor)
        if made_for != sort:
            raise ApplicationError(
                core_codes.INVALID_INPUT, _("This cursor belongs to another sort order."), field="cursor"
            )
        at = datetime.fromisoformat(value)
        # One row comparison: the database starts the index scan at the cursor.
        queryset = queryset.filter(RowCompare((key, "pk"), (at, pk), before=descending))
    # Ids first (an index-only scan when the filters are indexed columns), then those rows whole.
    ids = list(queryset.values_list("pk", flat=True)[: size + 1])
    more = len(ids) > size
    ids = ids[:size]
    # The ids come from the actor's scoped, filtered query, so the rows need no filter again.
    by_id = ReverseOrder.objects.in_bulk(ids)
    rows = [by_id[pk] for pk in ids if pk in by_id]
    return Page(rows, _encode(rows[-1], sort) if more and rows else None)


def reverse_get(*, actor: Actor, reverse_order_id: int) -> ReverseOrder:
    require(actor, Operation.RECORDS_VIEW)
    order = (
        _scope(actor)
        .select_related("carrier", "merchant", "registration__division")
        .prefetch_related("exceptions")
        .filter(pk=reverse_order_id)
        .first()
    )
    if order is None:
        raise NotFound(error_codes.REVERSE_ORDER_NOT_FOUND, _("No such reverse order."), field="reverse_order_id")
    return order


def destruction_photo_get(*, actor: Actor, reverse_order_id: int):
    """The destruction photo, for the merchant of the order and the warehouse that took it."""
    require(actor, Operation.RECORDS_VIEW)
    order = _scope(actor).filter(pk=reverse_order_id).only("destruction_photo").first()
    if order is None or not order.destruction_photo:
        raise NotFound(error_codes.REVERSE_ORDER_NOT_FOUND, _("No destruction photo."), field="reverse_order_id")
    return order.destruction_photo


def reverse_timeline(*, actor: Actor, order: ReverseOrder) -> QuerySet[Event]:
    require(actor, Operation.RECORDS_VIEW)
    events = Event.objects.filter(subject_type="reverse.reverseorder", subject_id=str(order.pk))
    if not actor.is_platform:
        events = events.filter(Q(owner=actor.organisation) | Q(counterparty=actor.organisation))
    return events.select_related("actor_user", "actor_organisation").order_by("occurred_at", "id")


def carrier_worklist(*, actor: Actor, status: str) -> QuerySet[ReverseOrder]:
    """The warehouse's to-do lists: awaiting pickup, awaiting destruction, open exceptions."""
    require(actor, Operation.RECORDS_VIEW)
    orders = _scope(actor).select_related("merchant", "registration__division")
    if status == "exceptions":
        return orders.filter(exception_state="open").order_by("updated_at", "id")
    if status not in (
        ReverseStatus.AWAITING_PICKUP,
        ReverseStatus.AWAITING_DESTRUCTION,
        ReverseStatus.AWAITING_MERCHANT,
    ):
        status = ReverseStatus.AWAITING_PICKUP
    return orders.filter(status=status).order_by("created_at", "id")


WORKLIST_STATES: dict[str, Q] = {
    ReverseStatus.AWAITING_MERCHANT: Q(status=ReverseStatus.AWAITING_MERCHANT),
    ReverseStatus.AWAITING_PICKUP: Q(status=ReverseStatus.AWAITING_PICKUP),
    ReverseStatus.AWAITING_DESTRUCTION: Q(status=ReverseStatus.AWAITING_DESTRUCTION),
    "exceptions": Q(exception_state=ExceptionState.OPEN),
}


def worklist_counts(*, actor: Actor) -> dict[str, int]:
    """How many of the actor's reverse orders wait in each work list (see carrier_worklist): one query."""
    require(actor, Operation.RECORDS_VIEW)
    return _scope(actor).aggregate(**{name: Count("merchant", filter=q) for name, q in WORKLIST_STATES.items()})


def consolidation_list(*, actor: Actor) -> QuerySet[ConsolidationAgreement]:
    """Agreements: all for the platform, a carrier's or a merchant's own for them; live first."""
    require(actor, Operation.RECORDS_VIEW)
    agreements = ConsolidationAgreement.objects.select_related("carrier", "merchant")
    if actor.is_carrier:
        agreements = agreements.filter(carrier__organisation=actor.organisation)
    elif actor.is_merchant:
        agreements = agreements.filter(merchant=actor.organisation)
    return agreements.order_by(F("ended_at").desc(nulls_first=True), "carrier__code", "merchant__code")
