"""Warehouses and their pickup subscriptions (seed 000, questions 4, 12, 13, 14).

Saving a warehouse with a changed address, contact or phone asks the carrier
covering the address at that instant for pickup; the carrier approves or
rejects within 24 h; the merchant may cancel. Every transition is listed in
models.TRANSITIONS and writes its event in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import Carrier
from firstmile.carriers.selectors import carrier_of, coverage_taking_requests
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.core.phones import normalise_cn_phone
from firstmile.events.services import event_record, event_record_bulk
from firstmile.geo.selectors import division_get, division_has_children

from . import error_codes
from .models import (
    CoverageDecision,
    PickupDecision,
    PickupSubscription,
    RejectReason,
    SubscriptionStatus,
    Warehouse,
    sources_of,
)

REVIEW_WINDOW = timedelta(hours=24)
MAX_BULK = 10_000
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
# What the carrier sees: a change to any of these is a new pickup request.
ADDRESS_FIELDS = ("contact_name", "phone", "division_id", "address_detail")


@dataclass
class WarehouseSaved:
    warehouse: Warehouse
    address_changed: bool
    decision: PickupDecision | None  # None when the save changed nothing the carrier sees


def _merchant(actor: Actor) -> None:
    require(actor, Operation.WAREHOUSE_MANAGE)


def _carrier(actor: Actor) -> Carrier:
    require(actor, Operation.PICKUP_REVIEW)
    carrier = carrier_of(actor)
    if carrier is None:
        raise Forbidden(error_codes.NOT_A_CARRIER, _("Only a carrier reviews pickup requests."))
    return carrier


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


def _code_taken() -> Conflict:
    return Conflict(error_codes.WAREHOUSE_CODE_TAKEN, _("You already have a warehouse with this code."), field="code")


def _own_warehouse(actor: Actor, warehouse_id: int, *, lock: bool = False) -> Warehouse:
    _merchant(actor)
    warehouses = Warehouse.objects.filter(merchant=actor.organisation)
    if lock:
        warehouses = warehouses.select_for_update()
    warehouse = warehouses.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise NotFound(error_codes.WAREHOUSE_NOT_FOUND, _("No such warehouse."), field="warehouse_id")
    return warehouse


def _clean(
    *, name: str, code: str, contact_name: str, phone: str, division_code: str, address_detail: str
) -> dict[str, object]:
    """Validate a warehouse's fields, in the order a form shows them."""
    name, code, contact_name = (name or "").strip(), (code or "").strip(), (contact_name or "").strip()
    # Only surrounding whitespace is trimmed: an added comma inside is a change.
    address_detail = (address_detail or "").strip()
    if not name:
        raise _invalid("name", _("Warehouse name is required."))
    if not _CODE.match(code):
        raise _invalid("code", _("Warehouse code: 1–40 letters, digits, - _ or ."))
    if not contact_name:
        raise _invalid("contact_name", _("Contact person is required."))
    phone = normalise_cn_phone(phone, field="phone")
    if not division_code:
        raise _invalid("division", _("Pick the region down to the town or street."))
    division = division_get(division_code)
    if division_has_children(division):
        raise ApplicationError(
            error_codes.DIVISION_NOT_LOWEST,
            _("Pick the region down to the lowest level (town or street): %(name)s has levels below it.")
            % {"name": division.name},
            field="division",
        )
    if not address_detail:
        raise _invalid("address_detail", _("Detail address is required."))
    if len(address_detail) > 200:
        raise _invalid("address_detail", _("Detail address: at most 200 characters."))
    return {
        "name": name,
        "code": code,
        "contact_name": contact_name,
        "phone": phone,
        "division_id": division.code,
        "address_detail": address_detail,
    }


def _subscription_event(actor, subscription: PickupSubscription, kind: str, from_state: str, payload=None) -> None:
    event_record(
        actor=actor,
        kind=kind,
        subject=subscription,
        from_state=from_state,
        to_state=subscription.status,
        payload={
            "warehouse_id": subscription.warehouse_id,
            "carrier": subscription.carrier.code,
            "address_version": subscription.address_version,
            **(payload or {}),
        },
        owner=subscription.warehouse.merchant,
        counterparty=subscription.carrier.organisation,
    )


def _supersede_current(actor, warehouse: Warehouse, moment) -> None:
    for subscription in PickupSubscription.objects.select_for_update().filter(
        warehouse=warehouse, status__in=sources_of(SubscriptionStatus.SUPERSEDED)
    ):
        before = subscription.status
        subscription.status = SubscriptionStatus.SUPERSEDED
        subscription.ended_at = moment
        subscription.save(update_fields=["status", "ended_at", "updated_at"])
        _subscription_event(actor, subscription, "subscription.superseded", before)


def _request_pickup(actor, warehouse: Warehouse, moment) -> PickupDecision:
    """Ask the carrier covering the address now; record the decision either way."""
    _supersede_current(actor, warehouse, moment)
    coverage = coverage_taking_requests(warehouse.division_id, moment)
    if coverage is None:
        decision = PickupDecision.objects.create(
            warehouse=warehouse,
            address_version=warehouse.address_version,
            decided_at=moment,
            outcome=CoverageDecision.NOT_COVERED,
            division_id=warehouse.division_id,
        )
        event_record(
            actor=actor,
            kind="warehouse.not_covered",
            subject=warehouse,
            to_state=CoverageDecision.NOT_COVERED,
            payload={"division": warehouse.division_id, "address_version": warehouse.address_version},
            owner=warehouse.merchant,
        )
        return decision
    subscription = PickupSubscription.objects.create(
        warehouse=warehouse,
        carrier=coverage.carrier,
        status=SubscriptionStatus.PENDING_REVIEW,
        address_version=warehouse.address_version,
        division_id=warehouse.division_id,
        address_detail=warehouse.address_detail,
        contact_name=warehouse.contact_name,
        phone=warehouse.phone,
        requested_at=moment,
        review_due_at=moment + REVIEW_WINDOW,
        # A request to the incoming carrier of a pushed switchover starts at its cutover.
        effective_from=coverage.valid_from if coverage.valid_from > moment else None,
    )
    _subscription_event(actor, subscription, "subscription.requested", "")
    return PickupDecision.objects.create(
        warehouse=warehouse,
        address_version=warehouse.address_version,
        decided_at=moment,
        outcome=CoverageDecision.REQUESTED,
        division_id=warehouse.division_id,
        carrier=coverage.carrier,
        subscription=subscription,
    )


def _set_default(warehouse: Warehouse) -> None:
    Warehouse.objects.filter(merchant=warehouse.merchant, is_default=True).exclude(pk=warehouse.pk).update(
        is_default=False
    )


@transaction.atomic
def warehouse_create(
    *,
    actor: Actor,
    name: str,
    code: str,
    contact_name: str,
    phone: str,
    division_code: str,
    address_detail: str,
    is_default: bool = False,
) -> WarehouseSaved:
    """Add a shipping warehouse; if its address is covered, pickup is requested."""
    _merchant(actor)
    fields = _clean(
        name=name,
        code=code,
        contact_name=contact_name,
        phone=phone,
        division_code=division_code,
        address_detail=address_detail,
    )
    if Warehouse.objects.filter(merchant=actor.organisation, code=fields["code"]).exists():
        raise Conflict(
            error_codes.WAREHOUSE_CODE_TAKEN, _("You already have a warehouse with this code."), field="code"
        )
    first = not Warehouse.objects.filter(merchant=actor.organisation).exists()
    warehouse = Warehouse(merchant=actor.organisation, is_default=False, **fields)
    try:
        with transaction.atomic():
            warehouse.save()
    except IntegrityError:  # the same code saved concurrently
        raise Conflict(
            error_codes.WAREHOUSE_CODE_TAKEN, _("You already have a warehouse with this code."), field="code"
        )
    if is_default or first:
        _set_default(warehouse)
        warehouse.is_default = True
        warehouse.save(update_fields=["is_default"])
    event_record(
        actor=actor,
        kind="warehouse.created",
        subject=warehouse,
        to_state="v1",
        payload={"code": warehouse.code, "division": warehouse.division_id},
        owner=warehouse.merchant,
    )
    return WarehouseSaved(warehouse, True, _request_pickup(actor, warehouse, now()))


@transaction.atomic
def warehouse_update(
    *,
    actor: Actor,
    warehouse_id: int,
    name: str,
    code: str,
    contact_name: str,
    phone: str,
    division_code: str,
    address_detail: str,
    is_default: bool | None = None,
) -> WarehouseSaved:
    """Save a warehouse; any change to address, contact or phone is a new pickup request.

    This is also the seed's way to re-subscribe (question 4) or to cancel via the
    carrier (question 13): edit the address, even by one comma, and save.
    """
    warehouse = _own_warehouse(actor, warehouse_id, lock=True)
    fields = _clean(
        name=name,
        code=code,
        contact_name=contact_name,
        phone=phone,
        division_code=division_code,
        address_detail=address_detail,
    )
    if (
        fields["code"] != warehouse.code
        and Warehouse.objects.filter(merchant=warehouse.merchant, code=fields["code"]).exists()
    ):
        raise Conflict(
            error_codes.WAREHOUSE_CODE_TAKEN, _("You already have a warehouse with this code."), field="code"
        )
    changed = [key for key, value in fields.items() if getattr(warehouse, key) != value]
    address_changed = any(key in ADDRESS_FIELDS for key in changed)
    default_changed = is_default is True and not warehouse.is_default
    if not changed and not default_changed:
        return WarehouseSaved(warehouse, False, None)
    for key, value in fields.items():
        setattr(warehouse, key, value)
    if address_changed:
        warehouse.address_version += 1
    if default_changed:
        _set_default(warehouse)
        warehouse.is_default = True
    warehouse.save()
    event_record(
        actor=actor,
        kind="warehouse.updated",
        subject=warehouse,
        to_state=f"v{warehouse.address_version}",
        payload={"changed": changed + (["is_default"] if default_changed else [])},
        owner=warehouse.merchant,
    )
    decision = _request_pickup(actor, warehouse, now()) if address_changed else None
    return WarehouseSaved(warehouse, address_changed, decision)


def _ids(subscription_ids) -> list[int]:
    try:
        ids = sorted({int(i) for i in subscription_ids})
    except (TypeError, ValueError):
        raise _invalid("subscription_ids", _("Subscription ids must be whole numbers."))
    if not ids:
        raise _invalid("subscription_ids", _("Select at least one pickup request."))
    if len(ids) > MAX_BULK:
        raise ApplicationError(
            error_codes.TOO_MANY,
            _("At most %(n)s pickup requests at once.") % {"n": MAX_BULK},
            field="subscription_ids",
        )
    return ids


def _decide(*, actor: Actor, subscription_ids, to: str, kind: str, reason: str = "", note: str = "") -> int:
    """Move pending requests of the actor's carrier to ``to``, all or none.

    One conditional UPDATE does the check and the change at once: a request
    decided meanwhile by someone else no longer matches ``status = pending``, so
    the counts differ and the whole decision is refused.
    """
    carrier = _carrier(actor)
    ids = _ids(subscription_ids)
    allowed = sources_of(to)
    moment = now()
    mine = PickupSubscription.objects.filter(pk__in_array=ids, carrier=carrier)
    if to == SubscriptionStatus.ACTIVE:
        _end_outgoing(mine.filter(status__in=allowed, effective_from__isnull=False), moment)
    changed = mine.filter(status__in=allowed).update(
        status=to,
        decided_at=moment,
        decided_by=actor.user,
        reject_reason=reason,
        reject_note=note,
        updated_at=moment,
    )
    if changed != len(ids):
        _refuse_partial(ids, mine, moment)
    event_record_bulk(
        actor=actor,
        kind=kind,
        subjects=PickupSubscription.objects.filter(pk__in_array=ids),
        from_state=SubscriptionStatus.PENDING_REVIEW,
        to_state=to,
        payload={"carrier": carrier.code, **({"reason": reason, "note": note} if reason else {})},
        owner_field="warehouse__merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    return changed


def _end_outgoing(starting, moment) -> None:
    """An approved handover request ends the warehouse's current subscription where the new one starts.

    (A switchover's incoming carrier approves ahead of the cutover; the outgoing
    carrier's pickup then runs until the cutover and no longer.)
    """
    # One UPDATE per distinct start instant (a batch's requests share its cutover).
    for start in starting.values_list("effective_from", flat=True).distinct().order_by():
        PickupSubscription.objects.filter(
            status=SubscriptionStatus.ACTIVE,
            ended_at__isnull=True,
            warehouse_id__in=starting.filter(effective_from=start).values("warehouse_id"),
        ).update(ended_at=start, updated_at=moment)


def _refuse_partial(ids: list[int], mine, moment) -> None:
    """Say which requests made a bulk decision fail; raising rolls the rest back."""
    states = dict(mine.exclude(decided_at=moment).values_list("pk", "status"))
    touched = set(mine.filter(decided_at=moment).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in states and i not in touched]
    if unknown:
        raise NotFound(
            error_codes.SUBSCRIPTION_NOT_FOUND,
            _("No such pickup request: %(ids)s.") % {"ids": ", ".join(map(str, unknown[:20]))},
            field="subscription_ids",
        )
    decided = sorted(states)
    raise Conflict(
        error_codes.SUBSCRIPTION_NOT_PENDING,
        _("Already decided or withdrawn, so not changed: %(ids)s.") % {"ids": ", ".join(map(str, decided[:20]))},
        field="subscription_ids",
        extra={"ids": decided, "statuses": {str(i): states[i] for i in decided}},
    )


@transaction.atomic
def subscription_approve(*, actor: Actor, subscription_ids) -> int:
    """Approve one or many pending requests: pickup is active at once (支持揽收)."""
    return _decide(
        actor=actor, subscription_ids=subscription_ids, to=SubscriptionStatus.ACTIVE, kind="subscription.approved"
    )


@transaction.atomic
def subscription_reject(*, actor: Actor, subscription_ids, reason: str, note: str = "") -> int:
    """Reject one or many pending requests with a reason; those warehouses self-send."""
    if reason not in RejectReason.values:
        raise ApplicationError(
            error_codes.REJECT_REASON_REQUIRED, _("Choose a reason for the rejection."), field="reason"
        )
    note = (note or "").strip()
    if reason == RejectReason.OTHER and not note:
        raise _invalid("note", _("Say why in the note when the reason is 'Other'."))
    if len(note) > 200:
        raise _invalid("note", _("Note: at most 200 characters."))
    return _decide(
        actor=actor,
        subscription_ids=subscription_ids,
        to=SubscriptionStatus.REJECTED,
        kind="subscription.rejected",
        reason=reason,
        note=note,
    )


@transaction.atomic
def subscription_cancel(*, actor: Actor, warehouse_id: int) -> PickupSubscription:
    """The merchant gives up pickup for a warehouse: from now on it self-sends (DROP OFF).

    Cancels every request or subscription the warehouse has open, the incoming
    carrier's included during a switchover.
    """
    warehouse = _own_warehouse(actor, warehouse_id, lock=True)
    moment = now()
    subscriptions = list(
        PickupSubscription.objects.select_for_update()
        .select_related("carrier__organisation", "warehouse__merchant")
        .filter(warehouse=warehouse, status__in=sources_of(SubscriptionStatus.CANCELLED))
        .exclude(ended_at__lte=moment)
        .order_by("pk")
    )
    if not subscriptions:
        raise Conflict(
            error_codes.NOTHING_TO_CANCEL, _("This warehouse has no pickup request or subscription to cancel.")
        )
    for subscription in subscriptions:
        before = subscription.status
        subscription.status = SubscriptionStatus.CANCELLED
        subscription.ended_at = moment
        subscription.save(update_fields=["status", "ended_at", "updated_at"])
        _subscription_event(actor, subscription, "subscription.cancelled", before)
    return subscriptions[-1]
