"""Reverse orders: raised by the consolidation warehouse, handled by the merchant (seed 003).

Return parcels (customs failed → 退运, 拦截拒收, 仓拦截成功) need the merchant to
register pickup — self-pickup or forwarding, one order or a batch sharing one set
of details, never changed once submitted. Destroy parcels need the merchant's
confirmation. The warehouse then completes them or raises exceptions that are
followed to their close.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Organisation, OrganisationKind
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import Carrier
from firstmile.carriers.selectors import carrier_of
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.core.images import check_photo
from firstmile.core.phones import normalise_cn_phone
from firstmile.events.services import event_record, event_record_bulk
from firstmile.geo.selectors import division_get, division_has_children

from . import error_codes
from .models import (
    BusinessMode,
    CompletionKind,
    ConsolidationAgreement,
    Disposition,
    ExceptionKind,
    ExceptionState,
    PickupMethod,
    PickupRegistration,
    ReverseException,
    ReverseOrder,
    ReverseStatus,
    ReverseType,
    reverse_sources_of,
)

MAX_BATCH = 500


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


def _carrier(actor: Actor, operation: Operation) -> Carrier:
    require(actor, operation)
    carrier = carrier_of(actor)
    if carrier is None:
        raise Forbidden(core_codes.FORBIDDEN, _("Only the consolidation warehouse's carrier does this."))
    return carrier


def _merchant(actor: Actor) -> None:
    require(actor, Operation.REVERSE_REGISTER)


def _consolidated_merchant(carrier: Carrier, merchant_code: str) -> Organisation:
    """The merchant this carrier consolidates for; unknown and unrelated codes get the same answer."""
    code = (merchant_code or "").strip()
    merchant = (
        Organisation.objects.filter(
            code=code,
            kind=OrganisationKind.MERCHANT,
            consolidation_agreements__carrier=carrier,
            consolidation_agreements__ended_at__isnull=True,
        )
        .distinct()
        .first()
    )
    if merchant is None:
        raise NotFound(
            error_codes.MERCHANT_UNKNOWN,
            _("No merchant %(code)s for whom your warehouse consolidates.") % {"code": code[:40]},
            field="merchant_code",
        )
    return merchant


def _required(value: str, field: str, label) -> str:
    value = (value or "").strip()
    if not value:
        raise _invalid(field, _("%(field)s is required.") % {"field": label})
    return value


def _event(actor, order: ReverseOrder, kind: str, before: str, payload=None) -> None:
    event_record(
        actor=actor,
        kind=kind,
        subject=order,
        from_state=before,
        to_state=order.status,
        payload={"reverse_no": order.reverse_no, **(payload or {})},
        owner=order.merchant,
        counterparty=order.carrier.organisation,
    )


@transaction.atomic
def reverse_order_create(
    *,
    actor: Actor,
    merchant_code: str,
    order_no: str,
    reverse_type: str,
    disposition: str = Disposition.RETURN,
    business_mode: str,
    warehouse_code: str,
    warehouse_name: str,
    owner_id: str,
    owner_name: str,
    reverse_no: str = "",
    sales_return_no: str = "",
    product_id: str = "",
    product_name: str = "",
    goods_id: str = "",
    goods_name: str = "",
) -> ReverseOrder:
    """The consolidation warehouse raises a reverse order for a merchant's parcel."""
    carrier = _carrier(actor, Operation.REVERSE_RAISE)
    merchant = _consolidated_merchant(carrier, merchant_code)
    if reverse_type not in ReverseType.values:
        raise _invalid("reverse_type", _("Unknown reverse type."))
    if disposition not in Disposition.values:
        raise _invalid("disposition", _("Disposition: return or destroy."))
    if reverse_type != ReverseType.CUSTOMS_FAILED and disposition != Disposition.RETURN:
        raise _invalid("disposition", _("Only parcels that failed customs can be destroyed."))
    if business_mode not in BusinessMode.values:
        raise _invalid("business_mode", _("Unknown business mode."))
    reverse_no = (reverse_no or "").strip() or f"RV{now():%y%m%d}{secrets.randbelow(10**10):010d}"
    fields = {
        "order_no": _required(order_no, "order_no", _("Order number")),
        "warehouse_code": _required(warehouse_code, "warehouse_code", _("Warehouse code")),
        "warehouse_name": _required(warehouse_name, "warehouse_name", _("Warehouse")),
        "owner_id": _required(owner_id, "owner_id", _("Cargo owner ID")),
        "owner_name": _required(owner_name, "owner_name", _("Cargo owner")),
    }
    try:
        with transaction.atomic():
            order = ReverseOrder.objects.create(
                reverse_no=reverse_no,
                merchant=merchant,
                carrier=carrier,
                sales_return_no=(sales_return_no or "").strip(),
                product_id=(product_id or "").strip(),
                product_name=(product_name or "").strip(),
                goods_id=(goods_id or "").strip(),
                goods_name=(goods_name or "").strip(),
                business_mode=business_mode,
                reverse_type=reverse_type,
                disposition=disposition,
                **fields,
            )
    except IntegrityError:
        raise Conflict(error_codes.REVERSE_NO_TAKEN, _("This reverse order number already exists."), field="reverse_no")
    _event(actor, order, "reverse_order.created", "", {"type": reverse_type, "disposition": disposition})
    return order


def _ids(reverse_order_ids) -> list[int]:
    try:
        ids = sorted({int(i) for i in reverse_order_ids})
    except (TypeError, ValueError):
        raise _invalid("reverse_order_ids", _("Reverse order ids must be whole numbers."))
    if not ids:
        raise _invalid("reverse_order_ids", _("Select at least one reverse order."))
    if len(ids) > MAX_BATCH:
        raise ApplicationError(
            error_codes.TOO_MANY,
            _("At most %(n)s reverse orders at once.") % {"n": MAX_BATCH},
            field="reverse_order_ids",
        )
    return ids


def _own_orders_locked(actor: Actor, ids: list[int]) -> list[ReverseOrder]:
    orders = list(
        ReverseOrder.objects.select_for_update()
        .select_related("carrier__organisation", "merchant")
        .filter(merchant=actor.organisation, pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {o.pk for o in orders})
    if missing:
        raise NotFound(
            error_codes.REVERSE_ORDER_NOT_FOUND,
            _("No such reverse order: %(ids)s.") % {"ids": ", ".join(map(str, missing[:20]))},
            field="reverse_order_ids",
        )
    return orders


def _refuse_unless(orders: list[ReverseOrder], ok, code: str, message) -> None:
    bad = [o.reverse_no for o in orders if not ok(o)]
    if bad:
        raise Conflict(
            code, message % {"orders": ", ".join(bad[:20])}, field="reverse_order_ids", extra={"reverse_nos": bad}
        )


def registration_validate(
    *,
    method: str,
    phone: str,
    expected_pickup_at: datetime | None = None,
    person_name: str = "",
    recipient_name: str = "",
    division_code: str = "",
    address_detail: str = "",
    note: str = "",
) -> dict:
    """The registration details, checked and normalised; raises naming the first bad field.

    The portal shows these on its confirmation screen before anything is submitted.
    """
    if method not in PickupMethod.values:
        raise _invalid("method", _("Choose self-pickup or forwarding."))
    phone = normalise_cn_phone(phone, field="phone")
    details = {"method": method, "phone": phone, "note": (note or "").strip()[:200]}
    if method == PickupMethod.SELF_PICKUP:
        if expected_pickup_at is None:
            raise _invalid("expected_pickup_at", _("Expected pickup time is required."))
        if timezone.is_naive(expected_pickup_at):
            raise _invalid("expected_pickup_at", _("The time must carry its time zone."))
        if expected_pickup_at <= now():
            raise _invalid("expected_pickup_at", _("The expected pickup time must be in the future."))
        details |= {
            "expected_pickup_at": expected_pickup_at,
            "person_name": _required(person_name, "person_name", _("Pickup person")),
        }
    else:
        details["recipient_name"] = _required(recipient_name, "recipient_name", _("Recipient"))
        if not (division_code or "").strip():
            raise _invalid("division", _("Pick the region of the forwarding address."))
        division = division_get(division_code.strip())
        if division_has_children(division):
            raise _invalid(
                "division",
                _("Pick the region down to the lowest level: %(name)s has levels below it.") % {"name": division.name},
            )
        details |= {
            "division": division,
            "address_detail": _required(address_detail, "address_detail", _("Detail address")),
        }
    return details


@transaction.atomic
def register_pickup(*, actor: Actor, reverse_order_ids, **registration) -> list[ReverseOrder]:
    """登记提货 for one order or a batch: one method and one set of details for all, final once submitted."""
    _merchant(actor)
    ids = _ids(reverse_order_ids)
    details = registration_validate(**registration)
    method = details["method"]
    orders = _own_orders_locked(actor, ids)
    _refuse_unless(
        orders,
        lambda o: o.disposition == Disposition.RETURN,
        error_codes.NOT_A_RETURN,
        _("To be destroyed, not returned: %(orders)s. Confirm their destruction instead."),
    )
    _refuse_unless(
        orders,
        lambda o: o.status in reverse_sources_of(ReverseStatus.AWAITING_PICKUP),
        error_codes.ALREADY_REGISTERED,
        _("Pickup is already registered, and cannot be changed, for: %(orders)s."),
    )
    moment = now()
    batch_ref = str(uuid.uuid4())
    PickupRegistration.objects.bulk_create(
        [PickupRegistration(reverse_order=o, batch_ref=batch_ref, registered_by=actor.user, **details) for o in orders]
    )
    ReverseOrder.objects.filter(pk__in=ids).update(
        status=ReverseStatus.AWAITING_PICKUP, pickup_method=method, updated_at=moment
    )
    event_record_bulk(
        actor=actor,
        kind="reverse_order.pickup_registered",
        subjects=ReverseOrder.objects.filter(pk__in=ids),
        from_state=ReverseStatus.AWAITING_MERCHANT,
        to_state=ReverseStatus.AWAITING_PICKUP,
        payload={"method": method, "batch_ref": batch_ref},
        owner_field="merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    return list(ReverseOrder.objects.filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def confirm_destruction(*, actor: Actor, reverse_order_ids) -> list[ReverseOrder]:
    """确认销毁 for one order or a batch of destroy orders (after the portal's second confirmation)."""
    _merchant(actor)
    ids = _ids(reverse_order_ids)
    orders = _own_orders_locked(actor, ids)
    _refuse_unless(
        orders,
        lambda o: o.disposition == Disposition.DESTROY,
        error_codes.NOT_A_DESTROY,
        _("Not to be destroyed: %(orders)s. Register their pickup instead."),
    )
    _refuse_unless(
        orders,
        lambda o: o.status in reverse_sources_of(ReverseStatus.AWAITING_DESTRUCTION),
        error_codes.WRONG_STATE,
        _("Destruction is already confirmed for: %(orders)s."),
    )
    moment = now()
    ReverseOrder.objects.filter(pk__in=ids).update(
        status=ReverseStatus.AWAITING_DESTRUCTION, destruction_confirmed_at=moment, updated_at=moment
    )
    event_record_bulk(
        actor=actor,
        kind="reverse_order.destruction_confirmed",
        subjects=ReverseOrder.objects.filter(pk__in=ids),
        from_state=ReverseStatus.AWAITING_MERCHANT,
        to_state=ReverseStatus.AWAITING_DESTRUCTION,
        owner_field="merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    return list(ReverseOrder.objects.filter(pk__in=ids).order_by("pk"))


def _carrier_order(actor: Actor, reverse_order_id: int) -> ReverseOrder:
    carrier = _carrier(actor, Operation.REVERSE_WORK)
    order = (
        ReverseOrder.objects.select_for_update()
        .select_related("carrier__organisation", "merchant")
        .filter(pk=reverse_order_id, carrier=carrier)
        .first()
    )
    if order is None:
        raise NotFound(error_codes.REVERSE_ORDER_NOT_FOUND, _("No such reverse order."), field="reverse_order_id")
    if order.status == ReverseStatus.COMPLETED:
        raise Conflict(
            error_codes.COMPLETED_READ_ONLY,
            _("Reverse order %(no)s is completed and read-only.") % {"no": order.reverse_no},
        )
    return order


def _complete(
    actor, order: ReverseOrder, kind: str, event_kind: str, payload: dict, at: datetime | None = None, **extra
) -> ReverseOrder:
    before = order.status
    order.status = ReverseStatus.COMPLETED
    order.completion_kind = kind
    order.completed_at = at or now()
    order.completed_by = actor.user
    for key, value in extra.items():
        setattr(order, key, value)
    order.save()
    _event(actor, order, event_kind, before, payload)
    return order


@transaction.atomic
def hand_over(*, actor: Actor, reverse_order_id: int, person_name: str, phone: str) -> ReverseOrder:
    """The pickup person came: hand over after checking them against the registration."""
    order = _carrier_order(actor, reverse_order_id)
    if order.status != ReverseStatus.AWAITING_PICKUP or order.pickup_method != PickupMethod.SELF_PICKUP:
        raise Conflict(
            error_codes.WRONG_STATE, _("Reverse order %(no)s is not awaiting self-pickup.") % {"no": order.reverse_no}
        )
    registration = order.registration
    given_phone = normalise_cn_phone(phone, field="phone")
    if person_name.strip() != registration.person_name or given_phone != registration.phone:
        raise Conflict(
            error_codes.PERSON_MISMATCH,
            _("This is not the registered pickup person (%(name)s, %(phone)s): do not hand the parcel over.")
            % {"name": registration.person_name, "phone": registration.phone_display},
            field="person_name",
        )
    return _complete(
        actor, order, CompletionKind.HANDED_OVER, "reverse_order.handed_over", {"person": person_name.strip()}
    )


@transaction.atomic
def forward(*, actor: Actor, reverse_order_id: int, tracking_no: str) -> ReverseOrder:
    """The parcel left for the registered forwarding address, with its tracking number."""
    order = _carrier_order(actor, reverse_order_id)
    if order.status != ReverseStatus.AWAITING_PICKUP or order.pickup_method != PickupMethod.FORWARD:
        raise Conflict(
            error_codes.WRONG_STATE, _("Reverse order %(no)s is not awaiting forwarding.") % {"no": order.reverse_no}
        )
    tracking_no = _required(tracking_no, "tracking_no", _("Tracking number"))[:40]
    return _complete(
        actor,
        order,
        CompletionKind.FORWARDED,
        "reverse_order.forwarded",
        {"tracking_no": tracking_no},
        tracking_no=tracking_no,
    )


@transaction.atomic
def record_destruction(
    *, actor: Actor, reverse_order_id: int, photo=None, destroyed_at: datetime | None = None
) -> ReverseOrder:
    """The parcel was destroyed: when (now unless given), by whom, and a photo if one was taken."""
    order = _carrier_order(actor, reverse_order_id)
    if order.status != ReverseStatus.AWAITING_DESTRUCTION:
        raise Conflict(
            error_codes.WRONG_STATE,
            _("Reverse order %(no)s is not awaiting destruction: the merchant has not confirmed it.")
            % {"no": order.reverse_no},
        )
    if destroyed_at is not None:
        if timezone.is_naive(destroyed_at):
            raise _invalid("destroyed_at", _("Give the time with its time zone."))
        if destroyed_at > now():
            raise _invalid("destroyed_at", _("The destruction time cannot be in the future."))
        if destroyed_at < order.destruction_confirmed_at:
            raise _invalid("destroyed_at", _("The destruction time is before the merchant confirmed destruction."))
    extra = {}
    if photo:
        check_photo(photo, stem="destroyed")
        extra["destruction_photo"] = photo
    payload = {"with_photo": bool(photo)}
    return _complete(actor, order, CompletionKind.DESTROYED, "reverse_order.destroyed", payload, destroyed_at, **extra)


@transaction.atomic
def exception_raise(*, actor: Actor, reverse_order_id: int, kind: str, description: str) -> ReverseException:
    """The warehouse reports a problem (no-show, undeliverable, …); the merchant sees "exception pending"."""
    order = _carrier_order(actor, reverse_order_id)
    if kind not in ExceptionKind.values:
        raise _invalid("kind", _("Choose what went wrong."))
    description = _required(description, "description", _("Description"))[:300]
    if order.exception_state == ExceptionState.OPEN:
        raise Conflict(error_codes.EXCEPTION_ALREADY_OPEN, _("An exception is already open for this reverse order."))
    exception = ReverseException.objects.create(
        reverse_order=order, kind=kind, description=description, raised_by=actor.user
    )
    before = order.exception_state
    order.exception_state = ExceptionState.OPEN
    order.save(update_fields=["exception_state", "updated_at"])
    event_record(
        actor=actor,
        kind="reverse_order.exception_raised",
        subject=order,
        from_state=before,
        to_state=ExceptionState.OPEN,
        payload={"kind": kind, "description": description},
        owner=order.merchant,
        counterparty=order.carrier.organisation,
    )
    return exception


@transaction.atomic
def exception_close(*, actor: Actor, exception_id: int, resolution: str) -> ReverseException:
    """Close an exception with its resolution (the warehouse, or the platform)."""
    exceptions = ReverseException.objects.select_for_update().select_related(
        "reverse_order__merchant", "reverse_order__carrier__organisation"
    )
    require(actor, Operation.REVERSE_EXCEPTION_CLOSE)
    if not actor.is_platform:
        exceptions = exceptions.filter(reverse_order__carrier=_carrier(actor, Operation.REVERSE_EXCEPTION_CLOSE))
    exception = exceptions.filter(pk=exception_id).first()
    if exception is None:
        raise NotFound(error_codes.EXCEPTION_NOT_FOUND, _("No such exception."), field="exception_id")
    if exception.closed_at is not None:
        raise Conflict(error_codes.EXCEPTION_CLOSED, _("This exception is already closed."))
    exception.resolution = _required(resolution, "resolution", _("Resolution"))[:300]
    exception.closed_at = now()
    exception.closed_by = actor.user
    exception.save(update_fields=["resolution", "closed_at", "closed_by", "updated_at"])
    order = exception.reverse_order
    order.exception_state = ExceptionState.CLOSED
    order.save(update_fields=["exception_state", "updated_at"])
    event_record(
        actor=actor,
        kind="reverse_order.exception_closed",
        subject=order,
        from_state=ExceptionState.OPEN,
        to_state=ExceptionState.CLOSED,
        payload={"resolution": exception.resolution},
        owner=order.merchant,
        counterparty=order.carrier.organisation,
    )
    return exception


# -- consolidation agreements (platform operations) -----------------------------------------


@transaction.atomic
def consolidation_agree(*, actor: Actor | None, carrier_code: str, merchant_code: str) -> ConsolidationAgreement:
    """The platform records that a carrier's warehouse consolidates a merchant's direct-mail parcels."""
    require(actor, Operation.CONSOLIDATION_MANAGE)
    carrier = Carrier.objects.select_related("organisation").filter(code=(carrier_code or "").strip()).first()
    if carrier is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such carrier."), field="carrier_code")
    merchant = Organisation.objects.filter(code=(merchant_code or "").strip(), kind=OrganisationKind.MERCHANT).first()
    if merchant is None:
        raise NotFound(error_codes.MERCHANT_UNKNOWN, _("No such merchant."), field="merchant_code")
    try:
        with transaction.atomic():
            agreement = ConsolidationAgreement.objects.create(
                carrier=carrier, merchant=merchant, created_by=actor.user if actor else None
            )
    except IntegrityError:
        raise Conflict(
            error_codes.AGREEMENT_EXISTS,
            _("%(carrier)s already consolidates for %(merchant)s.")
            % {"carrier": carrier.display_name, "merchant": merchant.name},
            field="merchant_code",
        )
    event_record(
        actor=actor,
        kind="consolidation.agreed",
        subject=agreement,
        to_state="live",
        payload={"carrier": carrier.code, "merchant": merchant.code},
        owner=merchant,
        counterparty=carrier.organisation,
    )
    return agreement


@transaction.atomic
def consolidation_end(*, actor: Actor | None, agreement_id: int) -> ConsolidationAgreement:
    """End an agreement: no new reverse orders from that carrier; the open ones are still worked."""
    require(actor, Operation.CONSOLIDATION_MANAGE)
    agreement = (
        ConsolidationAgreement.objects.select_for_update()
        .select_related("carrier__organisation", "merchant")
        .filter(pk=agreement_id)
        .first()
    )
    if agreement is None:
        raise NotFound(error_codes.AGREEMENT_NOT_FOUND, _("No such consolidation agreement."), field="agreement_id")
    if agreement.ended_at is not None:
        raise Conflict(error_codes.AGREEMENT_ENDED, _("This consolidation agreement has already ended."))
    agreement.ended_at = now()
    agreement.ended_by = actor.user if actor else None
    agreement.save(update_fields=["ended_at", "ended_by", "updated_at"])
    event_record(
        actor=actor,
        kind="consolidation.ended",
        subject=agreement,
        from_state="live",
        to_state="ended",
        payload={"carrier": agreement.carrier.code, "merchant": agreement.merchant.code},
        owner=agreement.merchant,
        counterparty=agreement.carrier.organisation,
    )
    return agreement
