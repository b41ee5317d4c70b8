from __future__ import annotations

import re
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Organisation, OrganisationKind
from firstmile.accounts.permissions import Operation, require
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import beijing_today, now
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.services import event_record
from firstmile.geo.models import Division
from firstmile.geo.selectors import ancestor_codes, division_get

from . import error_codes
from .models import (
    Carrier,
    CoverageArea,
    CoverageRequest,
    CoverageRequestStatus,
    PickupClosure,
    PickupWindow,
    SortingCentre,
)

_PREFIX = re.compile(r"^[A-Z]{2,4}$")
_CODE = re.compile(r"^[A-Z0-9]{2,8}$")
_HOTLINE = re.compile(r"^[0-9+\-() ]{5,32}$")


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


@transaction.atomic
def carrier_create(
    *,
    actor: Actor | None,
    organisation: Organisation,
    code: str,
    name_zh: str,
    name_en: str,
    waybill_prefix: str,
    hotline: str,
    service_opens: time,
    service_closes: time,
    service_weekdays: str = "1234567",
) -> Carrier:
    """Register a pickup carrier for a carrier organisation."""
    require(actor, Operation.CARRIER_MANAGE)
    if organisation.kind != OrganisationKind.CARRIER:
        raise ApplicationError(
            error_codes.NOT_A_CARRIER_ORGANISATION,
            _("The organisation is not a carrier."),
            field="organisation",
        )
    if not _CODE.match(code):
        raise _invalid("code", _("Carrier code: 2–8 capital letters or digits."))
    if not _PREFIX.match(waybill_prefix):
        raise _invalid("waybill_prefix", _("Waybill prefix: 2–4 capital letters."))
    if not name_zh.strip():
        raise _invalid("name_zh", _("Chinese name is required."))
    if not name_en.strip():
        raise _invalid("name_en", _("English name is required."))
    if not _HOTLINE.match(hotline):
        raise _invalid("hotline", _("Hotline: digits, spaces and + - ( ) only."))
    if service_closes <= service_opens:
        raise _invalid("service_closes", _("Service must close after it opens."))
    if not service_weekdays or not set(service_weekdays) <= set("1234567"):
        raise _invalid("service_weekdays", _("Service weekdays: digits 1 (Monday) to 7 (Sunday)."))
    if Carrier.objects.filter(code=code).exists():
        raise Conflict(error_codes.CARRIER_CODE_TAKEN, _("This carrier code is already taken."), field="code")
    if Carrier.objects.filter(waybill_prefix=waybill_prefix).exists():
        raise Conflict(
            error_codes.WAYBILL_PREFIX_TAKEN, _("Another carrier already uses this prefix."), field="waybill_prefix"
        )
    carrier = Carrier.objects.create(
        organisation=organisation,
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        waybill_prefix=waybill_prefix,
        hotline=hotline.strip(),
        service_opens=service_opens,
        service_closes=service_closes,
        service_weekdays="".join(sorted(set(service_weekdays))),
    )
    event_record(
        actor=actor,
        kind="carrier.created",
        subject=carrier,
        to_state="active",
        payload={"code": code, "waybill_prefix": waybill_prefix},
        owner=organisation,
    )
    return carrier


@transaction.atomic
def carrier_settings_update(
    *,
    actor: Actor | None,
    carrier_code: str,
    hotline: str,
    service_opens: time,
    service_closes: time,
    service_weekdays: str,
) -> Carrier:
    """A carrier's admin keeps the hotline and hours merchants are told to call (seed Q7)."""
    require(actor, Operation.CARRIER_SETTINGS)
    carriers = Carrier.objects.select_for_update()
    if actor is not None and not actor.is_platform:
        carriers = carriers.filter(organisation=actor.organisation)
    carrier = carriers.filter(code=carrier_code).first()
    if carrier is None:
        raise NotFound(core_codes.NOT_FOUND, _("No such carrier."), field="carrier_code")
    hotline = (hotline or "").strip()
    if not _HOTLINE.match(hotline):
        raise _invalid("hotline", _("Hotline: digits, spaces and + - ( ) only."))
    if service_closes <= service_opens:
        raise _invalid("service_closes", _("Service must close after it opens."))
    if not service_weekdays or not set(service_weekdays) <= set("1234567"):
        raise _invalid("service_weekdays", _("Service weekdays: digits 1 (Monday) to 7 (Sunday)."))
    before = {"hotline": carrier.hotline, "hours": carrier.service_hours}
    carrier.hotline = hotline
    carrier.service_opens = service_opens
    carrier.service_closes = service_closes
    carrier.service_weekdays = "".join(sorted(set(service_weekdays)))
    carrier.save(update_fields=["hotline", "service_opens", "service_closes", "service_weekdays", "updated_at"])
    event_record(
        actor=actor,
        kind="carrier.settings_changed",
        subject=carrier,
        payload={"before": before, "after": {"hotline": carrier.hotline, "hours": carrier.service_hours}},
        owner=carrier.organisation,
    )
    return carrier


@transaction.atomic
def sorting_centre_create(
    *,
    actor: Actor | None,
    carrier: Carrier,
    code: str,
    name: str,
    division_code: str,
    address_detail: str,
    name_en: str = "",
) -> SortingCentre:
    """Open a sorting centre where the carrier's first-mile parcels end up."""
    require(actor, Operation.CARRIER_MANAGE)
    division = division_get(division_code)
    if not name.strip():
        raise _invalid("name", _("Name is required."))
    if not address_detail.strip():
        raise _invalid("address_detail", _("Detail address is required."))
    if SortingCentre.objects.filter(code=code).exists():
        raise Conflict(error_codes.SORTING_CENTRE_CODE_TAKEN, _("This code is already taken."), field="code")
    centre = SortingCentre.objects.create(
        carrier=carrier,
        code=code,
        name=name.strip(),
        name_en=(name_en or "").strip(),
        division=division,
        address_detail=address_detail.strip(),
    )
    event_record(
        actor=actor,
        kind="sorting_centre.created",
        subject=centre,
        to_state="active",
        payload={"code": code, "division": division.code},
        owner=carrier.organisation,
    )
    return centre


def _aware(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise _invalid(field, _("The time must carry its time zone."))
    return value


@transaction.atomic
def coverage_assign(*, actor: Actor | None, division_code: str, carrier: Carrier, valid_from: datetime) -> CoverageArea:
    """Make ``carrier`` serve a division from ``valid_from`` on.

    The division's current coverage, if any, ends at that instant, so at every
    instant exactly one carrier (or none) serves it.
    """
    require(actor, Operation.COVERAGE_MANAGE)
    division = division_get(division_code)
    valid_from = _aware(valid_from, "valid_from")
    if not carrier.is_active:
        raise ApplicationError(error_codes.CARRIER_INACTIVE, _("The carrier is not active."), field="carrier")
    # Locking the division row serialises every coverage change of the area,
    # even when it has no coverage row to lock yet.
    Division.objects.select_for_update().filter(code=division.code).get()
    rows = CoverageArea.objects.select_for_update().filter(division=division)
    if rows.filter(valid_from__gte=valid_from).exists():
        raise Conflict(
            error_codes.COVERAGE_FUTURE_CHANGE_PLANNED,
            _("A coverage change for this area is already planned at or after this time."),
            field="valid_from",
        )
    current = rows.filter(valid_to__isnull=True).first() or rows.filter(valid_to__gt=valid_from).first()
    if current is not None and current.carrier_id == carrier.pk:
        raise Conflict(
            error_codes.COVERAGE_ALREADY_SERVED, _("This carrier already serves this area then."), field="carrier"
        )
    if current is not None:
        current.valid_to = valid_from
        current.save(update_fields=["valid_to", "updated_at"])
    coverage = CoverageArea.objects.create(division=division, carrier=carrier, valid_from=valid_from)
    event_record(
        actor=actor,
        kind="coverage.assigned",
        subject=coverage,
        from_state=current.carrier.code if current else "",
        to_state=carrier.code,
        payload={"division": division.code, "valid_from": valid_from.isoformat()},
        owner=carrier.organisation,
        counterparty=current.carrier.organisation if current else None,
    )
    return coverage


@transaction.atomic
def coverage_end(*, actor: Actor | None, coverage_id: int, valid_to: datetime) -> CoverageArea:
    """Stop a carrier serving an area from ``valid_to`` on, leaving it uncovered."""
    require(actor, Operation.COVERAGE_MANAGE)
    valid_to = _aware(valid_to, "valid_to")
    coverage = CoverageArea.objects.select_for_update().select_related("carrier").filter(pk=coverage_id).first()
    if coverage is None:
        raise NotFound(error_codes.COVERAGE_NOT_FOUND, _("No such coverage."), field="coverage_id")
    if coverage.valid_to is not None and coverage.valid_to <= valid_to:
        raise Conflict(error_codes.COVERAGE_ALREADY_ENDED, _("This coverage has already ended by then."))
    if valid_to <= coverage.valid_from:
        raise _invalid("valid_to", _("The end must come after the start."))
    previous = coverage.valid_to
    coverage.valid_to = valid_to
    coverage.save(update_fields=["valid_to", "updated_at"])
    event_record(
        actor=actor,
        kind="coverage.ended",
        subject=coverage,
        from_state="open" if previous is None else "ending",
        to_state="ending",
        payload={"division": coverage.division_id, "valid_to": valid_to.isoformat()},
        owner=coverage.carrier.organisation,
    )
    return coverage


def _planned_row(division_code: str, carrier: Carrier, valid_from: datetime) -> CoverageArea:
    Division.objects.select_for_update().filter(code=division_code).get()
    row = (
        CoverageArea.objects.select_for_update()
        .filter(division_id=division_code, carrier=carrier, valid_from=valid_from)
        .first()
    )
    if row is None:
        raise NotFound(error_codes.COVERAGE_NOT_FOUND, _("No such coverage."), field="valid_from")
    if row.valid_from <= now():
        raise Conflict(error_codes.COVERAGE_ALREADY_STARTED, _("This coverage has already started."))
    return row


@transaction.atomic
def coverage_reschedule(
    *, actor: Actor | None, division_code: str, carrier: Carrier, valid_from: datetime, new_valid_from: datetime
) -> CoverageArea:
    """Move a planned change of carrier to another instant; the outgoing row follows."""
    require(actor, Operation.COVERAGE_MANAGE)
    row = _planned_row(division_code, carrier, valid_from)
    new_valid_from = _aware(new_valid_from, "cutover_at")
    previous = CoverageArea.objects.select_for_update().filter(division_id=division_code, valid_to=valid_from)
    if previous.filter(valid_from__gte=new_valid_from).exists():
        raise _invalid("cutover_at", _("The new time is before the outgoing coverage even starts."))
    previous.update(valid_to=new_valid_from, updated_at=now())
    row.valid_from = new_valid_from
    row.save(update_fields=["valid_from", "updated_at"])
    event_record(
        actor=actor,
        kind="coverage.rescheduled",
        subject=row,
        payload={"division": division_code, "from": valid_from.isoformat(), "to": new_valid_from.isoformat()},
        owner=carrier.organisation,
    )
    return row


@transaction.atomic
def coverage_retract(*, actor: Actor | None, division_code: str, carrier: Carrier, valid_from: datetime) -> None:
    """Withdraw a planned change of carrier: the outgoing coverage runs on as before."""
    require(actor, Operation.COVERAGE_MANAGE)
    row = _planned_row(division_code, carrier, valid_from)
    CoverageArea.objects.filter(division_id=division_code, valid_to=valid_from).update(valid_to=None, updated_at=now())
    event_record(
        actor=actor,
        kind="coverage.retracted",
        subject=row,
        payload={"division": division_code, "valid_from": valid_from.isoformat()},
        owner=carrier.organisation,
    )
    row.delete()


# -- coverage requests: a carrier asks, the platform decides ----------------------------------


@transaction.atomic
def coverage_request_submit(
    *, actor: Actor, division_code: str, valid_from: datetime, note: str = ""
) -> CoverageRequest:
    """A carrier's admin asks platform operations to let the carrier collect in an area from ``valid_from``."""
    require(actor, Operation.COVERAGE_REQUEST)
    carrier = Carrier.objects.filter(organisation=actor.organisation).first()
    if carrier is None:
        raise NotFound(error_codes.CARRIER_UNKNOWN, _("No such carrier."), field="carrier")
    division = division_get(division_code, field="division_code")
    valid_from = _aware(valid_from, "valid_from")
    if valid_from <= now():
        raise _invalid("valid_from", _("Ask for a start in the future."))
    note = (note or "").strip()
    if len(note) > 300:
        raise _invalid("note", _("Note: at most 300 characters."))
    request = CoverageRequest.objects.create(
        carrier=carrier, division=division, valid_from=valid_from, note=note, requested_by=actor.user
    )
    event_record(
        actor=actor,
        kind="coverage_request.submitted",
        subject=request,
        to_state=CoverageRequestStatus.PENDING,
        payload={"carrier": carrier.code, "division": division.code, "valid_from": valid_from.isoformat()},
        owner=carrier.organisation,
    )
    return request


@transaction.atomic
def coverage_request_decide(
    *, actor: Actor | None, request_id: int, approve: bool, reason: str = ""
) -> CoverageRequest:
    """Platform operations approve (the area is assigned from the asked instant) or reject with a reason."""
    require(actor, Operation.COVERAGE_MANAGE)
    request = (
        CoverageRequest.objects.select_for_update()
        .select_related("carrier__organisation", "division")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound(error_codes.COVERAGE_REQUEST_NOT_FOUND, _("No such coverage request."), field="request_id")
    if request.status != CoverageRequestStatus.PENDING:
        raise Conflict(error_codes.COVERAGE_REQUEST_DECIDED, _("This coverage request has already been decided."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise _invalid("reason", _("Say why the request is rejected."))
    if len(reason) > 300:
        raise _invalid("reason", _("Reason: at most 300 characters."))
    if approve:
        coverage_assign(
            actor=actor, division_code=request.division_id, carrier=request.carrier, valid_from=request.valid_from
        )
    before = request.status
    request.status = CoverageRequestStatus.APPROVED if approve else CoverageRequestStatus.REJECTED
    request.decided_by = actor.user if actor else None
    request.decided_at = now()
    request.reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    event_record(
        actor=actor,
        kind=f"coverage_request.{request.status}",
        subject=request,
        from_state=before,
        to_state=request.status,
        payload={"carrier": request.carrier.code, "division": request.division_id, "reason": reason},
        owner=request.carrier.organisation,
    )
    return request


# -- pickup windows and closures ---------------------------------------------------------

CAPACITY_MAX = 100_000
CUTOFF_MAX_MINUTES = 7 * 24 * 60


def _dispatching_carrier(actor: Actor) -> Carrier:
    require(actor, Operation.DISPATCH_MANAGE)
    carrier = Carrier.objects.filter(organisation=actor.organisation).first() if actor.is_carrier else None
    if carrier is None:
        raise Forbidden(error_codes.NOT_A_CARRIER_ORGANISATION, _("Only a carrier publishes pickup windows."))
    return carrier


def _clock_time(value, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    text = str(value or "").strip()
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", text)
    if not match:
        raise _invalid(field, _("Give a time of day as HH:MM (Beijing time), for example 14:00."))
    return time(int(match.group(1)), int(match.group(2)))


def _whole(value, field: str, low: int, high: int, message) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise _invalid(field, message)
    return number


def _covered_area(carrier: Carrier, division_code: str, field: str = "division_code") -> Division:
    """An area the carrier covers now or from a planned date (the area itself, above it or within it)."""
    division = division_get(division_code, field=field)
    chain = [division.code, *ancestor_codes(division.code)]
    rows = CoverageArea.objects.filter(carrier=carrier).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=now()))
    if not rows.filter(
        Q(division_id__in=chain) | Q(division__code__startswith=division.code.rstrip("0") or "-")
    ).exists():
        raise Conflict(
            error_codes.PICKUP_AREA_NOT_COVERED,
            _("%(carrier)s does not cover %(area)s.") % {"carrier": carrier.display_name, "area": division.name},
            field=field,
        )
    return division


@transaction.atomic
def pickup_window_create(
    *,
    actor: Actor,
    division_code: str,
    weekdays,
    starts_at,
    ends_at,
    capacity,
    cutoff_minutes=120,
) -> list[PickupWindow]:
    """Publish a pickup window in an area on some weekdays (one row per weekday)."""
    carrier = _dispatching_carrier(actor)
    days = sorted({_whole(d, "weekdays", 1, 7, _("Weekdays are 1 (Monday) to 7 (Sunday).")) for d in weekdays or []})
    if not days:
        raise _invalid("weekdays", _("Pick at least one weekday."))
    start, end = _clock_time(starts_at, "starts_at"), _clock_time(ends_at, "ends_at")
    if start >= end:
        raise _invalid("ends_at", _("The window must end after it starts (on the same day)."))
    room = _whole(capacity, "capacity", 1, CAPACITY_MAX, _("The capacity is 1 to 100,000 parcels."))
    cutoff = _whole(
        cutoff_minutes, "cutoff_minutes", 0, CUTOFF_MAX_MINUTES, _("The cut-off is 0 to 10,080 minutes (a week).")
    )
    division = _covered_area(carrier, division_code)
    clash = (
        PickupWindow.objects.select_for_update()
        .filter(carrier=carrier, division=division, weekday__in=days, is_active=True)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .first()
    )
    if clash is not None:
        raise Conflict(
            error_codes.PICKUP_WINDOW_OVERLAP,
            _("It overlaps the window %(from)s–%(until)s on the same weekday in this area.")
            % {"from": f"{clash.starts_at:%H:%M}", "until": f"{clash.ends_at:%H:%M}"},
            field="starts_at",
        )
    windows = PickupWindow.objects.bulk_create(
        [
            PickupWindow(
                carrier=carrier,
                division=division,
                weekday=day,
                starts_at=start,
                ends_at=end,
                capacity=room,
                cutoff_minutes=cutoff,
            )
            for day in days
        ]
    )
    event_record(
        actor=actor,
        kind="pickup_window.published",
        subject=carrier,
        payload={
            "division": division.code,
            "weekdays": days,
            "from": f"{start:%H:%M}",
            "until": f"{end:%H:%M}",
            "capacity": room,
            "cutoff_minutes": cutoff,
        },
        owner=carrier.organisation,
    )
    return windows


@transaction.atomic
def pickup_window_withdraw(*, actor: Actor, window_id: int) -> PickupWindow:
    """Stop offering a window. Parcels already booked on it keep their booking and are collected."""
    carrier = _dispatching_carrier(actor)
    window = PickupWindow.objects.select_for_update().filter(pk=window_id, carrier=carrier).first()
    if window is None:
        raise NotFound(error_codes.PICKUP_WINDOW_NOT_FOUND, _("No such pickup window."), field="window_id")
    if not window.is_active:
        raise Conflict(error_codes.PICKUP_WINDOW_INACTIVE, _("This pickup window was already withdrawn."))
    window.is_active = False
    window.save(update_fields=["is_active", "updated_at"])
    event_record(
        actor=actor,
        kind="pickup_window.withdrawn",
        subject=carrier,
        payload={"window_id": window.pk, "division": window.division_id, "weekday": window.weekday},
        owner=carrier.organisation,
    )
    return window


@transaction.atomic
def pickup_closure_add(*, actor: Actor, day: date, reason: str, division_code: str = "") -> PickupClosure:
    """A date with no pickups in an area (or anywhere): its windows are not offered that day."""
    carrier = _dispatching_carrier(actor)
    if not isinstance(day, date):
        raise _invalid("date", _("Give the date as YYYY-MM-DD."))
    if day < beijing_today():
        raise _invalid("date", _("The date is in the past."))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why there is no pickup that day (e.g. a public holiday)."))
    if len(reason) > 100:
        raise _invalid("reason", _("The reason is longer than 100 characters."))
    division = _covered_area(carrier, division_code) if (division_code or "").strip() else None
    if PickupClosure.objects.filter(carrier=carrier, date=day, division=division).exists():
        raise Conflict(error_codes.PICKUP_CLOSURE_EXISTS, _("That day is already closed there."), field="date")
    closure = PickupClosure.objects.create(carrier=carrier, date=day, division=division, reason=reason)
    event_record(
        actor=actor,
        kind="pickup_closure.added",
        subject=carrier,
        payload={"closure_id": closure.pk, "date": day.isoformat(), "division": closure.division_id, "reason": reason},
        owner=carrier.organisation,
    )
    return closure


@transaction.atomic
def pickup_closure_remove(*, actor: Actor, closure_id: int) -> None:
    carrier = _dispatching_carrier(actor)
    closure = PickupClosure.objects.select_for_update().filter(pk=closure_id, carrier=carrier).first()
    if closure is None:
        raise NotFound(error_codes.PICKUP_CLOSURE_NOT_FOUND, _("No such closure."), field="closure_id")
    payload = {"closure_id": closure.pk, "date": closure.date.isoformat(), "division": closure.division_id}
    closure.delete()
    event_record(
        actor=actor, kind="pickup_closure.removed", subject=carrier, payload=payload, owner=carrier.organisation
    )
