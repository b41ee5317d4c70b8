"""Bundles (集包 / 大包): the merchant's side — create, bind, unbind, close, cancel.

Scanning a bundle at pickup or at the sorting centre is the carrier's side and lives
with the other scans in ``dispatch.services``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.services import event_record, event_record_bulk
from firstmile.pickup.models import Warehouse
from firstmile.shipping.models import HandoverMethod, Waybill, WaybillStatus
from firstmile.shipping.numbers import luhn_digit

from . import error_codes
from .models import MAX_PARCELS, MAX_PER_CALL, PREFIX, Bundle, BundleParcel, BundleStatus, bundle_sources_of

WEIGHT_MAX_KG = Decimal(5000)
SIZE_MAX_CM = 500
_NUMBER = re.compile(rf"^{PREFIX}[0-9]{{11}}$")
_PHONE_TAIL = re.compile(r"^[0-9]{4}$")


def bundle_number(pk: int) -> str:
    digits = f"{pk:010d}"
    return f"{PREFIX}{digits}{luhn_digit(digits)}"


def is_bundle_number(value: str) -> bool:
    """Whether ``value`` is shaped like a bundle number with a valid check digit."""
    number = (value or "").strip().upper()
    return bool(_NUMBER.match(number)) and luhn_digit(number[2:12]) == number[12]


@dataclass
class NumberResult:
    """What became of one waybill number in a bind or unbind call."""

    waybill_no: str
    ok: bool
    error: dict | None = field(default=None)


def _invalid(name: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=name)


def _merchant_actor(actor: Actor) -> None:
    require(actor, Operation.SHIPPING_MANAGE)
    if not actor.is_merchant:
        raise Forbidden(core_codes.FORBIDDEN, _("Only the merchant who owns the parcels makes bundles."))


def _locked_bundle(actor: Actor, bundle_id: int) -> Bundle:
    _merchant_actor(actor)
    bundle = (
        Bundle.objects.select_for_update(of=("self",))
        .select_related("warehouse", "carrier", "sorting_centre")
        .filter(pk=bundle_id, merchant=actor.organisation)
        .first()
    )
    if bundle is None:
        raise NotFound(error_codes.BUNDLE_NOT_FOUND, _("No such bundle."), field="bundle_id")
    return bundle


def _require_open(bundle: Bundle) -> None:
    if bundle.status != BundleStatus.OPEN:
        raise Conflict(
            error_codes.BUNDLE_NOT_OPEN,
            _("Bundle %(no)s is %(status)s: parcels are bound and unbound only while it is open.")
            % {"no": bundle.number, "status": bundle.get_status_display()},
            field="bundle_id",
        )


def _numbers(raw: list[str] | tuple[str, ...], *, allow_empty: bool = False) -> list[str]:
    """The numbers of a call, trimmed, upper-cased and each once, in the order given."""
    if raw is None or isinstance(raw, str):
        raise _invalid("waybill_nos", _("Give the waybill numbers as a list."))
    seen: dict[str, None] = {}
    for value in raw:
        number = str(value or "").strip().upper()
        if number:
            seen.setdefault(number[:40], None)
    numbers = list(seen)
    if not numbers and not allow_empty:
        raise _invalid("waybill_nos", _("Give at least one waybill number."))
    if len(numbers) > MAX_PER_CALL:
        raise ApplicationError(
            error_codes.BUNDLE_TOO_MANY_NUMBERS,
            _("At most %(n)d waybill numbers per call.") % {"n": MAX_PER_CALL},
            field="waybill_nos",
        )
    return numbers


def _refuse(number: str, code: str, message) -> NumberResult:
    return NumberResult(number, False, {"code": code, "message": str(message), "field": "waybill_nos"})


def _bind(actor: Actor, bundle: Bundle, numbers: list[str]) -> list[NumberResult]:
    """Bind what may be bound of ``numbers`` into the (locked, open) bundle; a result per number."""
    # Lock the parcels, in one order for every caller: a parcel being bound elsewhere, or
    # scanned by a driver, waits here, then is seen as it now is.
    rows = list(
        Waybill.objects.select_for_update()
        .filter(waybill_no__in=numbers, merchant_id=bundle.merchant_id)
        .order_by("pk")
        .values("pk", "waybill_no", "status", "warehouse_id", "carrier_id", "sorting_centre_id", "handover_method")
    )
    by_number = {row["waybill_no"]: row for row in rows}
    held = dict(
        BundleParcel.objects.filter(waybill_id__in=[r["pk"] for r in rows], removed_at__isnull=True).values_list(
            "waybill_id", "bundle__number"
        )
    )
    carrier_id, centre_id = bundle.carrier_id, bundle.sorting_centre_id
    room = MAX_PARCELS - bundle.parcel_count
    results: list[NumberResult] = []
    accepted: list[dict] = []
    for number in numbers:
        row = by_number.get(number)
        if row is None:
            # Another merchant's parcel answers exactly as an unknown number.
            results.append(
                _refuse(number, error_codes.WAYBILL_UNKNOWN, _("Unknown waybill number: %(no)s.") % {"no": number})
            )
        elif row["pk"] in held:
            if held[row["pk"]] == bundle.number:
                results.append(NumberResult(number, True))  # bound before: a retry changes nothing
            else:
                results.append(
                    _refuse(
                        number,
                        error_codes.WAYBILL_ALREADY_BUNDLED,
                        _("Waybill %(no)s is already in bundle %(bundle)s.")
                        % {"no": number, "bundle": held[row["pk"]]},
                    )
                )
        elif row["status"] != WaybillStatus.ISSUED:
            results.append(
                _refuse(
                    number,
                    error_codes.WAYBILL_NOT_BINDABLE,
                    _("Waybill %(no)s is %(status)s: only printed labels not yet collected go into a bundle.")
                    % {"no": number, "status": WaybillStatus(row["status"]).label},
                )
            )
        elif row["warehouse_id"] != bundle.warehouse_id:
            results.append(
                _refuse(
                    number,
                    error_codes.WAYBILL_OTHER_WAREHOUSE,
                    _("Waybill %(no)s ships from another warehouse, not from %(warehouse)s.")
                    % {"no": number, "warehouse": bundle.warehouse.name},
                )
            )
        elif row["handover_method"] != bundle.handover_method:
            results.append(
                _refuse(
                    number,
                    error_codes.WAYBILL_MISMATCH,
                    _("Waybill %(no)s is %(method)s, the bundle is %(bundle)s: one handover method per bundle.")
                    % {
                        "no": number,
                        "method": HandoverMethod(row["handover_method"]).label,
                        "bundle": HandoverMethod(bundle.handover_method).label,
                    },
                )
            )
        elif carrier_id is not None and (row["carrier_id"], row["sorting_centre_id"]) != (carrier_id, centre_id):
            results.append(
                _refuse(
                    number,
                    error_codes.WAYBILL_MISMATCH,
                    _("Waybill %(no)s goes with another carrier or sorting centre: one of each per bundle.")
                    % {"no": number},
                )
            )
        elif room <= 0:
            results.append(
                _refuse(
                    number,
                    error_codes.BUNDLE_FULL,
                    _("Bundle %(bundle)s is full (%(max)d parcels): waybill %(no)s was not added.")
                    % {"bundle": bundle.number, "max": MAX_PARCELS, "no": number},
                )
            )
        else:
            carrier_id, centre_id = row["carrier_id"], row["sorting_centre_id"]
            room -= 1
            accepted.append(row)
            results.append(NumberResult(number, True))
    if accepted:
        ids = [row["pk"] for row in accepted]
        BundleParcel.objects.bulk_create([BundleParcel(bundle=bundle, waybill_id=pk) for pk in ids])
        Bundle.objects.filter(pk=bundle.pk).update(
            parcel_count=F("parcel_count") + len(ids),
            carrier_id=carrier_id,
            sorting_centre_id=centre_id,
            updated_at=now(),
        )
        event_record_bulk(
            actor=actor,
            kind="waybill.bundled",
            model=Waybill,
            subject_ids=ids,
            payload={"bundle": bundle.number},
            owner_field="merchant_id",
            counterparty_field="carrier__organisation_id",
        )
        bundle.refresh_from_db(fields=["parcel_count", "carrier", "sorting_centre", "updated_at"])
    return results


def _express(company: str, tracking_no: str, phone_tail: str) -> tuple[str, str, str]:
    """The domestic express company sending a DROP OFF bundle: all three facts, or none."""
    company, tracking_no, phone_tail = ((v or "").strip() for v in (company, tracking_no, phone_tail))
    if not (company or tracking_no or phone_tail):
        return "", "", ""
    if not company or len(company) > 40:
        raise _invalid("express_company", _("Name the express company (at most 40 characters)."))
    tracking_no = tracking_no.upper()
    if not re.fullmatch(r"[A-Z0-9-]{6,40}", tracking_no):
        raise _invalid("express_tracking_no", _("The express tracking number has 6 to 40 letters, digits or dashes."))
    if not _PHONE_TAIL.match(phone_tail):
        raise _invalid("sender_phone_tail", _("Give the last 4 digits of the sender's phone."))
    return company, tracking_no, phone_tail


@transaction.atomic
def bundle_create(
    *,
    actor: Actor,
    warehouse_id: int,
    handover_method: str,
    waybill_nos: list[str] | None = None,
    express_company: str = "",
    express_tracking_no: str = "",
    sender_phone_tail: str = "",
) -> tuple[Bundle, list[NumberResult]]:
    """An open bundle for one of the merchant's warehouses, with the parcels given bound at once."""
    _merchant_actor(actor)
    if handover_method not in HandoverMethod.values:
        raise _invalid("handover_method", _("Choose PICKUP or DROP_OFF."))
    numbers = _numbers(waybill_nos or [], allow_empty=True)
    express = _express(express_company, express_tracking_no, sender_phone_tail)
    if any(express) and handover_method != HandoverMethod.DROP_OFF:
        raise _invalid("express_company", _("Only a DROP OFF bundle is sent by an express company."))
    warehouse = Warehouse.objects.filter(pk=warehouse_id, merchant=actor.organisation).first()
    if warehouse is None:
        raise NotFound("warehouse_not_found", _("No such warehouse."), field="warehouse_id")
    bundle = Bundle.objects.create(
        merchant=actor.organisation,
        warehouse=warehouse,
        handover_method=handover_method,
        express_company=express[0],
        express_tracking_no=express[1],
        sender_phone_tail=express[2],
    )
    bundle.number = bundle_number(bundle.pk)
    bundle.save(update_fields=["number"])
    event_record(
        actor=actor,
        kind="bundle.created",
        subject=bundle,
        to_state=BundleStatus.OPEN,
        payload={"number": bundle.number, "warehouse": warehouse.code, "handover_method": handover_method},
        owner=actor.organisation,
    )
    results = _bind(actor, bundle, numbers) if numbers else []
    return bundle, results


@transaction.atomic
def bundle_bind(*, actor: Actor, bundle_id: int, waybill_nos: list[str]) -> tuple[Bundle, list[NumberResult]]:
    """Bind up to 50 waybills into an open bundle: each number bound or refused on its own."""
    numbers = _numbers(waybill_nos)
    bundle = _locked_bundle(actor, bundle_id)
    _require_open(bundle)
    return bundle, _bind(actor, bundle, numbers)


@transaction.atomic
def bundle_unbind(*, actor: Actor, bundle_id: int, waybill_nos: list[str]) -> tuple[Bundle, list[NumberResult]]:
    """Take up to 50 waybills out of an open bundle."""
    numbers = _numbers(waybill_nos)
    bundle = _locked_bundle(actor, bundle_id)
    _require_open(bundle)
    live = dict(
        BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True, waybill__waybill_no__in=numbers)
        .values_list("waybill__waybill_no", "waybill_id")
        .order_by()
    )
    results = [
        NumberResult(number, True)
        if number in live
        else _refuse(
            number,
            error_codes.WAYBILL_NOT_IN_BUNDLE,
            _("Waybill %(no)s is not in bundle %(bundle)s.") % {"no": number, "bundle": bundle.number},
        )
        for number in numbers
    ]
    if live:
        ids = list(live.values())
        moment = now()
        BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True, waybill_id__in=ids).update(
            removed_at=moment
        )
        left = bundle.parcel_count - len(ids)
        Bundle.objects.filter(pk=bundle.pk).update(
            parcel_count=left,
            # An empty bundle belongs to no carrier yet: the next parcel decides again.
            carrier_id=bundle.carrier_id if left else None,
            sorting_centre_id=bundle.sorting_centre_id if left else None,
            updated_at=moment,
        )
        event_record_bulk(
            actor=actor,
            kind="waybill.unbundled",
            model=Waybill,
            subject_ids=ids,
            payload={"bundle": bundle.number},
            owner_field="merchant_id",
            counterparty_field="carrier__organisation_id",
        )
        bundle.refresh_from_db()
    return bundle, results


def _weight(value) -> Decimal:
    try:
        weight = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        weight = None
    if weight is None or not weight.is_finite() or not 0 < weight <= WEIGHT_MAX_KG:
        raise _invalid("weight_kg", _("Weigh the bundle: a number of kilograms above 0 and at most 5,000."))
    return weight.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _size(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        size = int(str(value).strip())
    except ValueError:
        size = 0
    if not 0 < size <= SIZE_MAX_CM:
        raise _invalid(name, _("A side of the bundle is a whole number of centimetres from 1 to 500."))
    return size


@transaction.atomic
def bundle_close(
    *,
    actor: Actor,
    bundle_id: int,
    weight_kg,
    length_cm=None,
    width_cm=None,
    height_cm=None,
    express_company: str | None = None,
    express_tracking_no: str | None = None,
    sender_phone_tail: str | None = None,
) -> Bundle:
    """Seal an open bundle with its weight (and size): its label can be printed and the carrier scan it."""
    bundle = _locked_bundle(actor, bundle_id)
    if bundle.status not in bundle_sources_of(BundleStatus.CLOSED):
        raise Conflict(
            error_codes.BUNDLE_WRONG_STATE,
            _("Bundle %(no)s is %(status)s: only an open bundle can be closed.")
            % {"no": bundle.number, "status": bundle.get_status_display()},
            field="bundle_id",
        )
    weight = _weight(weight_kg)
    sizes = [_size(v, n) for v, n in ((length_cm, "length_cm"), (width_cm, "width_cm"), (height_cm, "height_cm"))]
    if express_company is not None or express_tracking_no is not None or sender_phone_tail is not None:
        express = _express(express_company or "", express_tracking_no or "", sender_phone_tail or "")
        if any(express) and bundle.handover_method != HandoverMethod.DROP_OFF:
            raise _invalid("express_company", _("Only a DROP OFF bundle is sent by an express company."))
        bundle.express_company, bundle.express_tracking_no, bundle.sender_phone_tail = express
    if bundle.parcel_count == 0:
        raise Conflict(
            error_codes.BUNDLE_EMPTY,
            _("Bundle %(no)s is empty: scan parcels into it before closing it.") % {"no": bundle.number},
            field="bundle_id",
        )
    bundle.status = BundleStatus.CLOSED
    bundle.weight_kg = weight
    bundle.length_cm, bundle.width_cm, bundle.height_cm = sizes
    bundle.closed_at = now()
    bundle.save()
    event_record(
        actor=actor,
        kind="bundle.closed",
        subject=bundle,
        from_state=BundleStatus.OPEN,
        to_state=BundleStatus.CLOSED,
        payload={"number": bundle.number, "parcels": bundle.parcel_count, "weight_kg": str(weight)},
        owner=bundle.merchant,
        counterparty=bundle.carrier.organisation if bundle.carrier_id else None,
    )
    return bundle


@transaction.atomic
def bundle_cancel(*, actor: Actor, bundle_id: int) -> Bundle:
    """Give up a bundle before the carrier took it: its parcels are free to bind or hand over alone."""
    bundle = _locked_bundle(actor, bundle_id)
    if bundle.status not in bundle_sources_of(BundleStatus.CANCELLED):
        raise Conflict(
            error_codes.BUNDLE_WRONG_STATE,
            _("Bundle %(no)s is %(status)s: only an open or closed bundle can be cancelled.")
            % {"no": bundle.number, "status": bundle.get_status_display()},
            field="bundle_id",
        )
    before, moment = bundle.status, now()
    ids = list(BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).values_list("waybill_id", flat=True))
    BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).update(removed_at=moment)
    counterparty = bundle.carrier.organisation if bundle.carrier_id else None
    bundle.status = BundleStatus.CANCELLED
    bundle.cancelled_at = moment
    bundle.parcel_count = 0
    bundle.save()
    if ids:
        event_record_bulk(
            actor=actor,
            kind="waybill.unbundled",
            model=Waybill,
            subject_ids=ids,
            payload={"bundle": bundle.number, "cancelled": True},
            owner_field="merchant_id",
            counterparty_field="carrier__organisation_id",
        )
    event_record(
        actor=actor,
        kind="bundle.cancelled",
        subject=bundle,
        from_state=before,
        to_state=BundleStatus.CANCELLED,
        payload={"number": bundle.number, "parcels": len(ids)},
        owner=bundle.merchant,
        counterparty=counterparty,
    )
    return bundle
