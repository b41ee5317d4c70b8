from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat, Left, Length
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core.clock import beijing_today, now
from firstmile.core.errors import NotFound
from firstmile.core.prepared import prepared
from firstmile.geo.selectors import ancestor_codes

from . import error_codes
from .models import Carrier, CoverageArea, CoverageRequest, PickupClosure, PickupWindow, SortingCentre


def coverage_serving(division_code: str, at: datetime | None = None) -> CoverageArea | None:
    """The coverage row that decides who collects in a division at instant ``at``.

    A town is served by its own row if it has one, else by its county's, city's
    or province's: the most specific row valid at ``at`` wins. One query.
    """
    found = _serving(division_codes=[division_code, *ancestor_codes(division_code)], at=at or now())
    return found[0] if found else None


# Prepared (core/prepared.py): arrange-shipment asks this for every batch it issues.
@prepared
def _serving(division_codes: list[str], at: datetime) -> QuerySet[CoverageArea]:
    return (
        CoverageArea.objects.select_related("carrier", "division")
        .filter(division__pk__in_array=division_codes, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .order_by(Length("division_id").desc(), "-valid_from")[:1]
    )


@prepared
def active_sorting_centres(carrier_id: int) -> QuerySet[SortingCentre]:
    """A carrier's sorting centres that take parcels, by code (prepared: read for every batch issued)."""
    return SortingCentre.objects.filter(carrier_id=carrier_id, is_active=True).order_by("code")


def coverage_taking_requests(division_code: str, at: datetime | None = None) -> CoverageArea | None:
    """The carrier a pickup request for this division goes to at ``at``.

    Normally the one serving now; once a switchover has pushed the area, the
    incoming carrier (its coverage starts later, at the cutover).
    """
    at = at or now()
    upcoming = (
        CoverageArea.objects.select_related("carrier", "division")
        .filter(
            division_id__in=[division_code, *ancestor_codes(division_code)],
            requests_from__lte=at,
            valid_from__gt=at,
        )
        .order_by(Length("division_id").desc(), "valid_from")
        .first()
    )
    return upcoming or coverage_serving(division_code, at)


def upcoming_coverage(division_code: str, at: datetime | None = None) -> CoverageArea | None:
    """The next change of carrier planned for a division after ``at``, if any."""
    at = at or now()
    return (
        CoverageArea.objects.select_related("carrier", "division")
        .filter(division_id__in=[division_code, *ancestor_codes(division_code)], valid_from__gt=at)
        .order_by("valid_from", Length("division_id").desc())
        .first()
    )


def carrier_serving(division_code: str, at: datetime | None = None) -> Carrier | None:
    """Which carrier serves a division at instant ``at`` (now by default)."""
    coverage = coverage_serving(division_code, at)
    return coverage.carrier if coverage else None


@prepared
def _active_carriers() -> QuerySet[Carrier]:
    return Carrier.objects.filter(is_active=True).order_by("code")


@prepared
def _active_centres_of(carrier_ids: list[int]) -> QuerySet[SortingCentre]:
    return SortingCentre.objects.filter(carrier__pk__in_array=carrier_ids, is_active=True).order_by("code")


def carrier_list(*, actor: Actor | None = None) -> list[Carrier]:
    """The active carriers by code, each with ``active_sorting_centres``: two prepared queries."""
    # Carriers' names, hotlines and hours are public to every party: merchants
    # need them to reach the carrier that collects from them.
    return with_active_centres(_active_carriers())


def with_active_centres(carriers: list[Carrier]) -> list[Carrier]:
    """Sets each carrier's ``active_sorting_centres`` (by code), in one query for them all."""
    by_id = {carrier.pk: carrier for carrier in carriers}
    for carrier in carriers:
        carrier.active_sorting_centres = []
    for centre in _active_centres_of(carrier_ids=list(by_id)) if by_id else ():
        by_id[centre.carrier_id].active_sorting_centres.append(centre)
    return carriers


def carrier_get(code: str) -> Carrier:
    carrier = Carrier.objects.filter(code=code).first()
    if carrier is None:
        raise NotFound(error_codes.CARRIER_UNKNOWN, _("Unknown carrier: %(code)s.") % {"code": code}, field="carrier")
    return carrier


def carrier_of_organisation(organisation) -> Carrier | None:
    """The carrier an organisation runs, if it is a carrier."""
    return Carrier.objects.filter(organisation=organisation).first()


def carrier_of(actor: Actor) -> Carrier | None:
    return Carrier.objects.filter(organisation=actor.organisation).first() if actor.is_carrier else None


def coverage_list(
    *, actor: Actor, at: datetime | None = None, carrier_code: str | None = None
) -> QuerySet[CoverageArea]:
    """Coverage rows: all of them for the platform, its own for a carrier, none for merchants."""
    require(actor, Operation.RECORDS_VIEW)
    rows = CoverageArea.objects.select_related("carrier", "division")
    if actor.is_carrier:
        rows = rows.filter(carrier__organisation=actor.organisation)
    elif not actor.is_platform:
        return rows.none()
    if carrier_code:
        rows = rows.filter(carrier__code=carrier_code)
    if at is not None:
        rows = rows.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    return rows.order_by("division_id", "valid_from", "id")


def sorting_centre_list(*, carrier: Carrier | None = None) -> QuerySet[SortingCentre]:
    centres = SortingCentre.objects.select_related("carrier", "division").filter(is_active=True)
    if carrier is not None:
        centres = centres.filter(carrier=carrier)
    return centres.order_by("carrier__code", "code")


def serving_carrier_ids(division_codes: set[str], at: datetime | None = None) -> dict[str, int | None]:
    """Carrier id serving each division at ``at``, in one query over all their ancestors."""
    at = at or now()
    wanted = {code: [code, *ancestor_codes(code)] for code in division_codes}
    all_codes = {c for chain in wanted.values() for c in chain}
    rows = CoverageArea.objects.filter(division_id__in=all_codes, valid_from__lte=at).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at)
    )
    by_code = {row.division_id: row.carrier_id for row in rows}
    return {code: next((by_code[c] for c in chain if c in by_code), None) for code, chain in wanted.items()}


def serving_carrier_subquery(division: OuterRef, at: datetime) -> Subquery:
    """The carrier serving the division an outer row points at, at ``at``: serving_carrier_ids in SQL.

    GB/T 2260 ancestors are the code's prefixes padded with zeros, and a nearer
    ancestor's code sorts after a farther one's (441900125 > 441900 > 440000), so
    the nearest coverage row is the greatest code among them.
    """
    in_chain = (
        Q(division_id=division)
        | Q(division_id=Left(division, 6))
        | Q(division_id=Concat(Left(division, 4), Value("00")))
        | Q(division_id=Concat(Left(division, 2), Value("0000")))
    )
    in_force = Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    rows = CoverageArea.objects.filter(in_chain, in_force)
    return Subquery(rows.order_by("-division_id").values("carrier_id")[:1])


def coverage_request_list(*, actor: Actor, status: str | None = None) -> QuerySet[CoverageRequest]:
    """Coverage requests: all for the platform, a carrier's own for it, newest first."""
    require(actor, Operation.RECORDS_VIEW)
    requests = CoverageRequest.objects.select_related("carrier", "division", "requested_by")
    if actor.is_carrier:
        requests = requests.filter(carrier__organisation=actor.organisation)
    elif not actor.is_platform:
        return requests.none()
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-created_at", "-id")


def _carrier_rows(rows: QuerySet, actor: Actor) -> QuerySet:
    """A carrier's own rows, every carrier's for the platform, none for anyone else."""
    require(actor, Operation.RECORDS_VIEW)
    if actor.is_carrier:
        return rows.filter(carrier__organisation=actor.organisation)
    return rows if actor.is_platform else rows.none()


def pickup_windows(*, actor: Actor, include_withdrawn: bool = False) -> QuerySet[PickupWindow]:
    """A carrier's own pickup windows (all carriers' for the platform), by area, weekday and time."""
    rows = _carrier_rows(PickupWindow.objects.select_related("carrier", "division"), actor)
    if not include_withdrawn:
        rows = rows.filter(is_active=True)
    return rows.order_by("carrier_id", "division_id", "weekday", "starts_at", "id")


def pickup_closures(*, actor: Actor, upcoming_only: bool = True) -> QuerySet[PickupClosure]:
    rows = _carrier_rows(PickupClosure.objects.select_related("carrier", "division"), actor)
    if upcoming_only:
        rows = rows.filter(date__gte=beijing_today())
    return rows.order_by("date", "division_id", "id")
