from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import Carrier
from firstmile.carriers.selectors import carrier_of, serving_carrier_subquery
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, NotFound
from firstmile.core.json_rows import rows_subquery, rows_to_instances
from firstmile.core.prepared import prepared
from firstmile.events.models import Event
from firstmile.geo.selectors import division_kept

from . import error_codes
from .models import CoverageDecision, PickupDecision, PickupSubscription, SubscriptionStatus, Warehouse


class PickupStateKind:
    ACTIVE = "active"  # 支持揽收
    PENDING = "pending"  # waiting for the carrier, within 24 h
    OVERDUE = "overdue"  # waiting for the carrier, past 24 h
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NOT_COVERED = "not_covered"
    SCHEDULED = "scheduled"  # approved, starts later (the incoming carrier of a switchover)
    ENDED = "ended"  # active until an instant now past (the outgoing carrier of a switchover)
    NONE = "none"  # no decision recorded (a warehouse older than this feature)


@dataclass
class PickupState:
    """Where a warehouse stands on pickup at an instant, and why: seed question 14's "支持揽收" mark.

    ``subscription`` is the one in force at ``at`` if any, else the latest request;
    ``upcoming`` is a request or subscription with another carrier that starts later
    (a switchover in progress).
    """

    warehouse: Warehouse
    subscription: PickupSubscription | None
    decision_outcome: str | None  # the latest coverage decision for the current address
    at: datetime
    upcoming: PickupSubscription | None = None
    serving_carrier_id: int | None = None  # who serves the warehouse's area at ``at``

    @cached_property  # a state is built for one instant and not changed after; a row's output asks 4 times
    def kind(self) -> str:
        sub = self.subscription
        if sub is not None:
            if sub.status == SubscriptionStatus.ACTIVE:
                # A subscription with a carrier that no longer serves the area (after a
                # switchover the incoming carrier did not take up) no longer gives pickup.
                if sub.is_active_at(self.at) and sub.carrier_id == self.serving_carrier_id:
                    return PickupStateKind.ACTIVE
                if sub.effective_from and sub.effective_from > self.at:
                    return PickupStateKind.SCHEDULED
                return PickupStateKind.ENDED
            if sub.status == SubscriptionStatus.PENDING_REVIEW:
                return PickupStateKind.OVERDUE if self.at > sub.review_due_at else PickupStateKind.PENDING
            if sub.status == SubscriptionStatus.REJECTED:
                return PickupStateKind.REJECTED
            if sub.status == SubscriptionStatus.CANCELLED:
                return PickupStateKind.CANCELLED
        if self.decision_outcome == CoverageDecision.NOT_COVERED:
            return PickupStateKind.NOT_COVERED
        return PickupStateKind.NONE

    @property
    def supports_pickup(self) -> bool:
        return self.kind == PickupStateKind.ACTIVE

    @property
    def handover_method(self) -> str:
        return "PICKUP" if self.supports_pickup else "DROP_OFF"

    @property
    def carrier(self) -> Carrier | None:
        return self.subscription.carrier if self.subscription else None

    @property
    def label(self) -> str:
        return state_labels()[self.kind]


def state_labels() -> dict[str, str]:
    """Each state kind's label in the active language; a page takes them once rather than once a row."""
    return _state_labels_in(get_language())


@cache  # the catalogues do not change while the process runs
def _state_labels_in(language: str | None) -> dict[str, str]:
    return {kind: str(label) for kind, label in STATE_LABELS.items()}  # ``language`` is the active one


STATE_LABELS = {
    PickupStateKind.ACTIVE: _("Pickup supported"),
    PickupStateKind.PENDING: _("Pickup pending review"),
    PickupStateKind.OVERDUE: _("Pickup review overdue"),
    PickupStateKind.REJECTED: _("Pickup rejected"),
    PickupStateKind.CANCELLED: _("Pickup cancelled"),
    PickupStateKind.NOT_COVERED: _("Outside pickup coverage"),
    PickupStateKind.SCHEDULED: _("Pickup approved, starts later"),
    PickupStateKind.ENDED: _("Pickup ended"),
    PickupStateKind.NONE: _("No pickup"),
}


# The pickup states a merchant acts on, as a filter of the warehouse list (the home page's counts link there).
REQUEST_STATES = (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.REJECTED)


def _current_requests() -> QuerySet[PickupSubscription]:
    return PickupSubscription.objects.filter(warehouse=OuterRef("pk"), address_version=OuterRef("address_version"))


def _no_request_in_force(at: datetime) -> Q:
    in_force = _current_requests().filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=at),
        Q(ended_at__isnull=True) | Q(ended_at__gt=at),
        status=SubscriptionStatus.ACTIVE,
    )
    return ~Q(Exists(in_force))


def warehouse_list(
    *, actor: Actor, search: str | None = None, request_status: str | None = None
) -> QuerySet[Warehouse]:
    """The actor's own warehouses (platform: all), default first; ``request_status`` one of REQUEST_STATES."""
    require(actor, Operation.RECORDS_VIEW)
    warehouses = Warehouse.objects.select_related("division")
    if not actor.is_platform:
        warehouses = warehouses.filter(merchant=actor.organisation)
    if search:
        warehouses = warehouses.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if request_status in REQUEST_STATES:
        # As pickup_states labels them: the current address's latest request is in that
        # state and no approved one is in force (during a switchover the old one may be).
        latest = _current_requests().order_by("-requested_at", "-id").values("status")[:1]
        warehouses = warehouses.annotate(latest_request_status=Subquery(latest)).filter(
            _no_request_in_force(now()), latest_request_status=request_status
        )
    return warehouses.order_by("-is_default", "name", "id")


def warehouse_get(*, actor: Actor, warehouse_id: int, at: datetime | None = None) -> Warehouse:
    """One of the actor's warehouses, read with what its pickup state needs at ``at`` (now)."""
    require(actor, Operation.RECORDS_VIEW)
    at = at or now()
    if actor.is_platform:
        found = _any_warehouse(warehouse_id=warehouse_id, at=at)
    else:
        found = _own_warehouse(warehouse_id=warehouse_id, merchant_id=actor.organisation.pk, at=at)
        for warehouse in found:  # as select_related would have cached them
            Warehouse.merchant.field.set_cached_value(warehouse, actor.organisation)
            Warehouse.division.field.set_cached_value(warehouse, division_kept(warehouse.division_id))
    _facts_at(found, at)
    warehouse = found[0] if found else None
    if warehouse is None:
        raise NotFound(error_codes.WAREHOUSE_NOT_FOUND, _("No such warehouse."), field="warehouse_id")
    return warehouse


def with_pickup_facts(warehouses: QuerySet[Warehouse], at: datetime | None = None) -> QuerySet[Warehouse]:
    """Warehouses read together with their latest coverage decision and the carrier serving their area.

    pickup_states uses these instead of querying for them: reading one warehouse
    with its pickup state is then two queries (the warehouse, its subscriptions).
    """
    at = at or now()
    decision = PickupDecision.objects.filter(warehouse=OuterRef("pk"), address_version=OuterRef("address_version"))
    return warehouses.annotate(
        pickup_decision_outcome=Subquery(decision.order_by("-decided_at", "-id").values("outcome")[:1]),
        pickup_serving_carrier_id=serving_carrier_subquery(OuterRef("division_id"), at),
    )


def _facts_at(warehouses: list[Warehouse], at: datetime) -> list[Warehouse]:
    """Marks rows read through with_pickup_facts with the instant of their facts (see pickup_states).

    Set here rather than selected back from the database: that echo cost a
    timestamp parse per row of a page.
    """
    for w in warehouses:
        w.pickup_facts_at = at
    return warehouses


_SUBSCRIPTION_ROW_DEFER = (
    "created_at",
    "updated_at",
    "decided_by_id",
    "carrier__created_at",
    "carrier__updated_at",
    "carrier__organisation_id",
)


def _with_subscriptions(warehouses: QuerySet[Warehouse]) -> QuerySet[Warehouse]:
    """On PostgreSQL, the current address's subscriptions come in the warehouse's own row."""
    current = (
        PickupSubscription.objects.filter(warehouse=OuterRef("pk"), address_version=OuterRef("address_version"))
        .select_related("carrier")
        .order_by("requested_at", "id")
    )
    # Left out: bookkeeping no reader of a pickup state looks at.
    rows = rows_subquery(current, related=("carrier",), defer=_SUBSCRIPTION_ROW_DEFER)
    return warehouses if rows is None else warehouses.annotate(pickup_subscription_rows=rows)


# The API's single-warehouse reads, prepared once per process (core/prepared.py):
# one round trip for the warehouse, its pickup facts and its subscriptions.
@prepared
def _own_warehouse(warehouse_id: int, merchant_id: int, at: datetime) -> QuerySet[Warehouse]:
    # No joins: the merchant is the actor's own organisation and the division is
    # geo's kept row (warehouse_get sets both); nor created_at, which no reader of
    # one warehouse shows.
    warehouses = Warehouse.objects.filter(pk=warehouse_id, merchant_id=merchant_id).defer("created_at")
    return _with_subscriptions(with_pickup_facts(warehouses, at))


@prepared
def _any_warehouse(warehouse_id: int, at: datetime) -> QuerySet[Warehouse]:
    warehouses = Warehouse.objects.select_related("division", "merchant").filter(pk=warehouse_id)
    return _with_subscriptions(with_pickup_facts(warehouses, at))


WAREHOUSE_PAGE = 50  # the API's default page size (NINJA_PAGINATION_PER_PAGE): the one page read prepared


@prepared
def _own_warehouse_page(merchant_id: int, from_id: int, at: datetime) -> QuerySet[Warehouse]:
    # No division join: the page names regions by code (geo keeps them per process).
    # Nor created_at, which the page does not show: a timestamp parse less per row.
    warehouses = Warehouse.objects.filter(merchant_id=merchant_id, pk__gte=from_id).defer("created_at")
    return _with_subscriptions(with_pickup_facts(warehouses.order_by("id"), at))[: WAREHOUSE_PAGE + 1]


@prepared
def _warehouses_with_facts(warehouse_ids: list[int], at: datetime) -> QuerySet[Warehouse]:
    warehouses = Warehouse.objects.select_related("division").filter(pk__in_array=warehouse_ids)
    return _with_subscriptions(with_pickup_facts(warehouses, at))


def warehouses_with_pickup_facts(warehouse_ids: list[int], at: datetime) -> list[Warehouse]:
    """Warehouses by id (no actor: a service that has checked ownership already) with all pickup_states needs.

    One prepared round trip, the subscriptions carried in the rows on PostgreSQL:
    arrange-shipment reads its batch's warehouses this way.
    """
    return _facts_at(_warehouses_with_facts(warehouse_ids=warehouse_ids, at=at), at)


def warehouse_page(*, actor: Actor, from_id: int) -> list[Warehouse]:
    """The merchant's warehouses by id from ``from_id``: a page and one row more (is there a next page?).

    One prepared round trip brings each row's pickup facts and subscriptions, so
    pickup_states needs no query: the list costs what a few single reads do.
    """
    require(actor, Operation.RECORDS_VIEW)
    at = now()
    return _facts_at(_own_warehouse_page(merchant_id=actor.organisation.pk, from_id=from_id, at=at), at)


@prepared
def _current_subscriptions(warehouse_ids: list[int]) -> QuerySet[PickupSubscription]:
    return (
        PickupSubscription.objects.select_related("carrier")
        .filter(warehouse__pk__in_array=warehouse_ids, address_version=F("warehouse__address_version"))
        .order_by("requested_at", "id")
    )


@prepared
def _pickup_facts(warehouse_ids: list[int], at: datetime) -> QuerySet[Warehouse]:
    return with_pickup_facts(Warehouse.objects.filter(pk__in_array=warehouse_ids), at).only("pk")


def pickup_states(warehouses, at: datetime | None = None) -> list[PickupState]:
    """The pickup state of each warehouse, for its current address, in two queries at most.

    Warehouses read through with_pickup_facts for the same instant bring their
    decision and serving carrier along; the others get them in one query.
    """
    warehouses = list(warehouses)
    if at is None:
        at = next((w.pickup_facts_at for w in warehouses if hasattr(w, "pickup_facts_at")), None) or now()
    ids = [w.pk for w in warehouses]
    facts = {w.pk: w for w in warehouses if getattr(w, "pickup_facts_at", None) == at}
    lacking = [pk for pk in ids if pk not in facts]
    if lacking:
        facts.update((w.pk, w) for w in _pickup_facts(warehouse_ids=lacking, at=at))
    current: dict[int, list[PickupSubscription]] = {}
    carried = {w.pk: w.pickup_subscription_rows for w in warehouses if hasattr(w, "pickup_subscription_rows")}
    rows = [row for pk_rows in carried.values() for row in pk_rows]  # in each warehouse's order
    for sub in rows_to_instances(PickupSubscription, rows, related=("carrier",)):
        current.setdefault(sub.warehouse_id, []).append(sub)
    lacking_subscriptions = [pk for pk in ids if pk not in carried]
    for sub in _current_subscriptions(warehouse_ids=lacking_subscriptions) if lacking_subscriptions else ():
        current.setdefault(sub.warehouse_id, []).append(sub)
    states = []
    for w in warehouses:
        subs = current.get(w.pk, [])
        in_force = next((sub for sub in reversed(subs) if sub.is_active_at(at)), None)
        chosen = in_force or (subs[-1] if subs else None)
        upcoming = next(
            (
                sub
                for sub in reversed(subs)
                if sub is not chosen
                and sub.effective_from
                and sub.effective_from > at
                and sub.status in (SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.ACTIVE)
            ),
            None,
        )
        fact = facts.get(w.pk)
        states.append(
            PickupState(
                w,
                chosen,
                fact.pickup_decision_outcome if fact else None,
                at,
                upcoming,
                fact.pickup_serving_carrier_id if fact else None,
            )
        )
    return states


def pickup_state(warehouse: Warehouse, at: datetime | None = None) -> PickupState:
    return pickup_states([warehouse], at)[0]


def warehouse_timeline(*, actor: Actor, warehouse: Warehouse) -> QuerySet[Event]:
    """The warehouse's own events and those of its subscriptions, newest first."""
    require(actor, Operation.RECORDS_VIEW)
    subscription_ids = [str(i) for i in warehouse.subscriptions.values_list("pk", flat=True)]
    events = Event.objects.filter(
        Q(subject_type="pickup.warehouse", subject_id=str(warehouse.pk))
        | Q(subject_type="pickup.pickupsubscription", subject_id__in=subscription_ids)
    )
    if not actor.is_platform:
        events = events.filter(owner=actor.organisation)
    return events.select_related("actor_user", "actor_organisation").order_by("-occurred_at", "-id")


def _area_prefix(code: str) -> str:
    """GB/T 2260 codes nest by prefix: 440000 → 44, 441900 → 4419, 441900125 stays."""
    if len(code) == 6:
        for zeros in ("0000", "00"):
            if code.endswith(zeros):
                return code[: -len(zeros)]
    return code


MAX_AGE_HOURS = 24 * 366


def review_queue(
    *,
    actor: Actor,
    status: str | None = SubscriptionStatus.PENDING_REVIEW,
    area: str | None = None,
    overdue: bool | None = None,
    older_than_hours: int | None = None,
    at: datetime | None = None,
) -> QuerySet[PickupSubscription]:
    """A carrier's pickup requests, oldest first; nobody else's."""
    require(actor, Operation.RECORDS_VIEW)
    carrier = carrier_of(actor)
    rows = PickupSubscription.objects.select_related("warehouse__merchant", "division", "carrier")
    if carrier is not None:
        rows = rows.filter(carrier=carrier)
    elif not actor.is_platform:
        return rows.none()
    at = at or now()
    if status:
        rows = rows.filter(status=status)
    if area:
        rows = rows.filter(division__code__startswith=_area_prefix(area))
    if overdue is True:
        rows = rows.filter(status=SubscriptionStatus.PENDING_REVIEW, review_due_at__lt=at)
    elif overdue is False:
        rows = rows.exclude(status=SubscriptionStatus.PENDING_REVIEW, review_due_at__lt=at)
    if older_than_hours is not None and not 0 <= older_than_hours <= MAX_AGE_HOURS:
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("Age in hours: a whole number from 0 to %(n)s.") % {"n": MAX_AGE_HOURS},
            field="older_than_hours",
        )
    if older_than_hours:
        rows = rows.filter(requested_at__lte=at - timedelta(hours=older_than_hours))
    return rows.order_by("requested_at", "id")


def subscription_get(*, actor: Actor, subscription_id: int) -> PickupSubscription:
    require(actor, Operation.RECORDS_VIEW)
    subscription = review_queue(actor=actor, status=None).filter(pk=subscription_id).first()
    if subscription is None and actor.is_merchant:
        subscription = (
            PickupSubscription.objects.select_related("warehouse", "carrier")
            .filter(pk=subscription_id, warehouse__merchant=actor.organisation)
            .first()
        )
    if subscription is None:
        raise NotFound(error_codes.SUBSCRIPTION_NOT_FOUND, _("No such pickup request."), field="subscription_id")
    return subscription


def subscription_timeline(*, actor: Actor, subscription: PickupSubscription) -> QuerySet[Event]:
    """A pickup request's events the actor's organisation may see, newest first."""
    require(actor, Operation.RECORDS_VIEW)
    events = Event.objects.filter(subject_type="pickup.pickupsubscription", subject_id=str(subscription.pk))
    if not actor.is_platform:
        org = actor.organisation
        events = events.filter(Q(owner=org) | Q(counterparty=org) | Q(actor_organisation=org))
    return events.select_related("actor_user", "actor_organisation").order_by("-occurred_at", "-id")


def active_subscription(warehouse_id: int, carrier_id: int, at: datetime | None = None) -> PickupSubscription | None:
    """The warehouse's subscription with this carrier in force at ``at``, if any."""
    at = at or now()
    return (
        PickupSubscription.objects.filter(
            warehouse_id=warehouse_id, carrier_id=carrier_id, status=SubscriptionStatus.ACTIVE
        )
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=at))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .first()
    )
