"""Reading the figures: one report per party over a range, by day or week, and the parcels behind a figure.

Everything here reads the daily sums (DailyFigure) and, for a drill-down, the
contribution rows: never the waybills themselves, so a 90-day page costs the same
with ten thousand parcels or ten million. A merchant sees its own parcels' figures, a
carrier those of the parcels it carries, the platform all; a filter naming another
party's warehouse or route simply matches nothing.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import Carrier
from firstmile.carriers.selectors import carrier_of
from firstmile.core import error_codes
from firstmile.core.clock import beijing_day_bounds, beijing_today, now, to_beijing
from firstmile.core.errors import ApplicationError, Forbidden
from firstmile.core.lookups import RowCompare
from firstmile.core.pagination import cursor_load, cursor_sign
from firstmile.dispatch.models import Driver, FailureReason, Route
from firstmile.geo.models import Division
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus, Warehouse
from firstmile.reverse.models import Disposition, ReverseOrder, ReverseStatus
from firstmile.shipping.models import Waybill

from .models import CITY_CODE_LENGTH, LEAD_BINS, MEASURES, CityFigure, Contribution, DailyFigure, HourlyFigure

MAX_DAYS = 400
RANGES = (7, 30, 90)
GRAINS = ("day", "week")
DIMENSION_FILTERS = ("carrier", "route", "driver", "warehouse")

# rate → (numerator, denominator, what it says)
RATES: dict[str, tuple[str, str, object]] = {
    "late_dispatch_rate": ("late_labels", "labels", _("Late dispatch rate")),
    "on_time_collection_rate": ("due_on_time", "due", _("On-time collection rate")),
    "slotted_on_time_rate": ("slotted_on_time", "due_slotted", _("On-time rate of booked windows")),
    "first_attempt_rate": ("first_attempt_ok", "first_attempts", _("First-attempt pickup success")),
    "handover_difference_rate": ("missing", "listed", _("Handover difference rate")),
    "inbound_on_time_rate": ("inbound_on_time", "inbound", _("On-time arrival at the sorting centre")),
}
# A figure a person can click: measure → what its parcels are.
DRILLS: dict[str, object] = {
    "labels": _("Labels printed"),
    "late_labels": _("Labels printed after the ship-by"),
    "due": _("Parcels due to be collected"),
    "due_on_time": _("Collected by their collect-by"),
    "collected": _("Collected"),
    "first_attempt_failed": _("First pickup attempt failed"),
    "failed_attempts": _("Failed pickup attempts"),
    "listed": _("On signed handover lists"),
    "missing": _("Missing from handover lists"),
    "inbound": _("Arrived at the sorting centre"),
    "dropped_off": _("Dropped off at a sorting centre"),
}


def _invalid(field_name: str, message) -> ApplicationError:
    return ApplicationError(error_codes.INVALID_INPUT, message, field=field_name)


@dataclass(frozen=True)
class Filters:
    first_day: date
    last_day: date
    grain: str = "day"
    carrier: int | None = None
    route: int | None = None
    driver: int | None = None
    warehouse: int | None = None
    area: str = ""  # a region code: the area and everything in it

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def query(self, **changes) -> dict:
        """The filters as query parameters (for links to the same view with a change)."""
        values = {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "grain": self.grain,
            **{name: getattr(self, name) for name in DIMENSION_FILTERS},
            "area": self.area,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _whole(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise _invalid(name, _("Give %(field)s as a whole number (an id).") % {"field": name})
    return int(raw)


def _day(params, name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(name, _("Give the date as YYYY-MM-DD.")) from None
    if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise _invalid(name, _("The date is out of range."))
    return value


def parse_filters(params, *, today: date | None = None) -> Filters:
    """Filters from query parameters: ``days`` (7, 30, 90) or ``from``/``to``; ``grain``; dimensions."""
    today = today or beijing_today()
    last = _day(params, "to") or today
    first = _day(params, "from")
    if first is None:
        raw = (params.get("days") or "30").strip()
        if raw not in {str(n) for n in RANGES}:
            raise _invalid("days", _("Choose 7, 30 or 90 days, or give from and to."))
        first = last - timedelta(days=int(raw) - 1)
    if first > last:
        raise _invalid("from", _("The first day is after the last."))
    if (last - first).days + 1 > MAX_DAYS:
        raise _invalid("from", _("At most %(n)s days at once.") % {"n": MAX_DAYS})
    grain = (params.get("grain") or "day").strip()
    if grain not in GRAINS:
        raise _invalid("grain", _("Choose day or week."))
    area = (params.get("area") or "").strip()
    if area and (not area.isdigit() or len(area) > 12):
        raise _invalid("area", _("Give the area as a region code."))
    return Filters(
        first_day=first,
        last_day=last,
        grain=grain,
        area=area,
        **{name: _whole(params, name) for name in DIMENSION_FILTERS},
    )


def _scope(actor: Actor) -> Q:
    require(actor, Operation.RECORDS_VIEW)
    if actor.is_driver:
        raise Forbidden(error_codes.FORBIDDEN, _("Drivers do not see the performance pages."))
    if actor.is_platform:
        return Q()
    if actor.is_carrier:
        carrier = carrier_of(actor)
        return Q(carrier_id=carrier.pk if carrier else -1)
    return Q(merchant_id=actor.organisation.pk)


def _where(actor: Actor, filters: Filters) -> Q:
    where = _scope(actor) & Q(day__range=(filters.first_day, filters.last_day))
    for name in DIMENSION_FILTERS:
        value = getattr(filters, name)
        if value is not None:
            where &= Q(**{f"{name}_id": value})
    if filters.area:
        where &= Q(division_id__startswith=filters.area)
    return where


def _rates(sums: dict) -> dict:
    sums = {**sums, "first_attempts": sums.get("first_attempt_ok", 0) + sums.get("first_attempt_failed", 0)}
    return {
        name: (round(sums[num] / sums[den], 4) if sums.get(den) else None) for name, (num, den, _l) in RATES.items()
    }


def _lead_percentile(sums: dict, share: float) -> float | None:
    """Hours from collection to arrival below which ``share`` of the arrivals fall, read off the histogram
    (linear within a bin; the open last bin answers with its lower edge)."""
    total = sum(sums.get(name, 0) for _limit, name in LEAD_BINS) + sums.get("lead_more", 0)
    if not total:
        return None
    wanted, seen, lower = share * total, 0, 0
    for limit, name in LEAD_BINS:
        count = sums.get(name, 0)
        if count and seen + count >= wanted:
            return round((lower + (wanted - seen) / count * (limit - lower)) / 60, 1)
        seen += count
        lower = limit
    return round(lower / 60, 1)


def _with_rates(sums: dict) -> dict:
    sums = {m: int(sums.get(m) or 0) for m in MEASURES}
    return {
        "figures": sums,
        "rates": _rates(sums),
        "lead_hours_p50": _lead_percentile(sums, 0.5),
        "lead_hours_p90": _lead_percentile(sums, 0.9),
        "lead_hours_mean": round(sums["lead_minutes"] / sums["inbound"] / 60, 1) if sums["inbound"] else None,
    }


def _period(day: date, grain: str) -> date:
    return day - timedelta(days=day.weekday()) if grain == "week" else day


@dataclass
class Report:
    filters: Filters
    totals: dict
    periods: list[dict]
    failures_by_reason: list[dict]
    breakdowns: dict[str, list[dict]] = field(default_factory=dict)


def _names(dimension: str, ids: list) -> dict:
    if dimension == "carrier":
        return {c.pk: c.display_name for c in Carrier.objects.filter(pk__in=ids)}
    if dimension == "route":
        return dict(Route.objects.filter(pk__in=ids).values_list("pk", "name"))
    if dimension == "driver":
        return dict(Driver.objects.filter(pk__in=ids).values_list("pk", "name"))
    if dimension == "warehouse":
        return {w.pk: f"{w.name} {w.code}" for w in Warehouse.objects.filter(pk__in=ids)}
    return {d.code: d.name for d in Division.objects.filter(code__in=ids)}


BREAKDOWNS = {
    "merchant": ("warehouse", "carrier"),
    "carrier": ("route", "driver", "area"),
    "ops": ("carrier", "area"),
}


def _party(actor: Actor) -> str:
    return "ops" if actor.is_platform else "carrier" if actor.is_carrier else "merchant"


def _figure_rows(actor: Actor, filters: Filters) -> tuple[QuerySet, object]:
    """The sums to read and how they name a city.

    Carriers and the platform read the city sums (CityFigure), whose rows do not multiply
    with the merchants' warehouses; a merchant, a warehouse filter or an area finer than a
    city needs the daily sums with every dimension.
    """
    if _party(actor) != "merchant" and filters.warehouse is None and len(filters.area) <= CITY_CODE_LENGTH:
        where = _scope(actor) & Q(day__range=(filters.first_day, filters.last_day))
        for name in ("carrier", "route", "driver"):
            value = getattr(filters, name)
            if value is not None:
                where &= Q(**{f"{name}_id": value})
        if filters.area:
            where &= Q(city_id__startswith=filters.area)
        return CityFigure.objects.filter(where), F("city_id")
    return DailyFigure.objects.filter(_where(actor, filters)), Substr("division_id", 1, CITY_CODE_LENGTH)


def performance(*, actor: Actor, filters: Filters) -> Report:
    """The actor's figures over the range: totals, one row per day or week, failures by reason,
    and the breakdowns its party reads (warehouses; routes, drivers and areas; carriers and areas)."""
    rows, city = _figure_rows(actor, filters)
    sums = {m: Sum(m) for m in MEASURES}
    by_day = {r["day"]: r for r in rows.values("day").annotate(**sums).order_by("day")}
    periods: dict[date, dict] = {}
    whole = dict.fromkeys(MEASURES, 0)
    day = filters.first_day
    while day <= filters.last_day:
        start = _period(day, filters.grain)
        bucket = periods.setdefault(start, dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            value = int((by_day.get(day) or {}).get(m) or 0)
            bucket[m] += value
            whole[m] += value
        day += timedelta(days=1)
    totals = _with_rates(whole)
    reasons = dict(FailureReason.choices)
    failures = [
        {"reason": r["reason"], "label": str(reasons.get(r["reason"], r["reason"])), "count": r["n"]}
        for r in rows.filter(failed_attempts__gt=0).values("reason").annotate(n=Sum("failed_attempts")).order_by("-n")
    ]
    breakdowns = {}
    for dimension in BREAKDOWNS[_party(actor)]:
        if dimension == "area":
            # By city: the first six digits of the sender's area code.
            grouped = rows.annotate(key=city).values("key")
        else:
            grouped = rows.values(key=F(f"{dimension}_id"))
        lines = list(grouped.annotate(**sums).order_by("key")[:200])
        names = _names(dimension, [line["key"] for line in lines])
        breakdowns[dimension] = [
            {"key": line["key"], "name": names.get(line["key"]) or _("(none)"), **_with_rates(line)}
            for line in lines
            if line["key"] not in (0, "")
        ]
    return Report(
        filters=filters,
        totals=totals,
        periods=[{"period": start, **_with_rates(values)} for start, values in sorted(periods.items())],
        failures_by_reason=failures,
        breakdowns=breakdowns,
    )


# What the today-by-hour chart shows.
HOURLY_SERIES = {
    "labels": _("Labels printed"),
    "collected": _("Collected"),
    "failed_attempts": _("Failed pickup attempts"),
    "inbound": _("Arrived at the sorting centre"),
}


def today_by_hour(*, actor: Actor, filters: Filters, at: datetime | None = None) -> list[dict]:
    """Today's counts hour by hour (Beijing), from the hourly sums: the day as it unfolds.

    A figure counts in the hour it happened: labels when printed, collections when
    collected; an arrival counts in its parcel's collection hour, as on the daily pages.
    """
    today = to_beijing(at).date() if at else beijing_today()
    where = _scope(actor) & Q(day=today)
    for name in DIMENSION_FILTERS:
        value = getattr(filters, name)
        if value is not None:
            where &= Q(**{f"{name}_id": value})
    if filters.area:
        where &= Q(division_id__startswith=filters.area)
    rows = HourlyFigure.objects.filter(where).values("hour").annotate(**{m: Sum(m) for m in HOURLY_SERIES})
    by_hour = {r["hour"]: r for r in rows.order_by("hour")}
    return [{"hour": h, **{m: int((by_hour.get(h) or {}).get(m) or 0) for m in HOURLY_SERIES}} for h in range(24)]


def review_queue_sla(*, actor: Actor, filters: Filters, at: datetime | None = None) -> dict | None:
    """Pickup requests received in the range and how their 24-hour review went: decided in time,
    decided late, still waiting, waiting past due. A carrier sees its own; the platform all."""
    party = _party(actor)
    if party == "merchant":
        return None
    _scope(actor)  # drivers: 403
    at = at or now()
    requests = PickupSubscription.objects.filter(
        requested_at__gte=beijing_day_bounds(filters.first_day)[0],
        requested_at__lt=beijing_day_bounds(filters.last_day)[1],
    )
    if party == "carrier":
        carrier = carrier_of(actor)
        requests = requests.filter(carrier_id=carrier.pk if carrier else -1)
    elif filters.carrier is not None:
        requests = requests.filter(carrier_id=filters.carrier)
    decided = Q(decided_at__isnull=False)
    counts = requests.aggregate(
        received=Count("pk"),
        decided_in_time=Count("pk", filter=decided & Q(decided_at__lte=F("review_due_at"))),
        decided_late=Count("pk", filter=decided & Q(decided_at__gt=F("review_due_at"))),
        waiting=Count("pk", filter=Q(status=SubscriptionStatus.PENDING_REVIEW, review_due_at__gte=at)),
        overdue=Count("pk", filter=Q(status=SubscriptionStatus.PENDING_REVIEW, review_due_at__lt=at)),
    )
    breached = counts["decided_late"] + counts["overdue"]
    counts["breaches"] = breached
    counts["breach_rate"] = round(breached / counts["received"], 4) if counts["received"] else None
    return counts


# Reverse orders waiting on the merchant, by how long: (label, from days, to days).
WAITING_AGES = (
    (_("Under 1 day"), 0, 1),
    (_("1–3 days"), 1, 3),
    (_("3–7 days"), 3, 7),
    (_("Over 7 days"), 7, None),
)


def reverse_waiting(*, actor: Actor, at: datetime | None = None) -> list[dict] | None:
    """The merchant's reverse orders waiting on it (register a pickup, confirm a destruction) by age,
    per disposition, with the creation window each count covers (for a link to the list)."""
    if _party(actor) != "merchant":
        return None
    _scope(actor)
    at = at or now()
    waiting = ReverseOrder.objects.filter(merchant=actor.organisation, status=ReverseStatus.AWAITING_MERCHANT)
    ages = []
    for index, (label, low, high) in enumerate(WAITING_AGES):
        window = Q(created_at__lte=at - timedelta(days=low))
        if high is not None:
            window &= Q(created_at__gt=at - timedelta(days=high))
        ages.append((f"a{index}", label, low, high, window))
    counts = waiting.aggregate(
        **{
            f"{key}_{disposition}": Count("pk", filter=window & Q(disposition=disposition))
            for key, _l, _lo, _hi, window in ages
            for disposition in Disposition.values
        }
    )
    return [
        {
            "label": label,
            "from_days": low,
            "to_days": high,
            "created_from": (at - timedelta(days=high)) if high is not None else None,
            "created_to": at - timedelta(days=low),
            "counts": {disposition: counts[f"{key}_{disposition}"] for disposition in Disposition.values},
        }
        for key, label, low, high, _window in ages
    ]


def scorecards(*, actor: Actor, filters: Filters, cities: int = 30) -> list[dict] | None:
    """For the platform: in each city (the busiest first), every carrier's figures side by side."""
    if _party(actor) != "ops":
        return None
    rows, city = _figure_rows(actor, filters)
    sums = {m: Sum(m) for m in MEASURES}
    lines = list(rows.annotate(city_key=city).values("city_key", "carrier_id").annotate(**sums).order_by())
    by_city: dict[str, list[dict]] = {}
    for line in lines:
        by_city.setdefault(line["city_key"], []).append(line)
    busiest = sorted(by_city, key=lambda c: -sum(line["labels"] + line["due"] for line in by_city[c]))[:cities]
    carriers = _names("carrier", sorted({line["carrier_id"] for line in lines}))
    places = _names("area", busiest)
    return [
        {
            "key": code,
            "name": places.get(code) or code,
            "carriers": [
                {"key": line["carrier_id"], "name": carriers.get(line["carrier_id"], ""), **_with_rates(line)}
                for line in sorted(by_city[code], key=lambda line: carriers.get(line["carrier_id"], ""))
            ],
        }
        for code in busiest
    ]


@dataclass
class DrillPage:
    parcels: list[Waybill]
    total: int  # the figure itself over the range: the parcels (attempts, for failed_attempts) behind it
    next_cursor: str | None


def _drill_cursor(raw: str) -> tuple[date, int] | None:
    """A page cursor (signed by the server): the last row's day and parcel id; anything else is a 400."""
    if not raw:
        return None
    data = cursor_load(raw)
    try:
        day, pk = date.fromisoformat(data[0]), int(data[1])
    except (TypeError, ValueError, IndexError, KeyError):
        day, pk = None, 0
    if day is None or not 0 < pk < 2**63:
        raise _invalid("cursor", _("This page link is not valid; start from the first page."))
    return day, pk


def _drill_keys(rows: QuerySet, limit: int) -> list[tuple[date, int]]:
    return list(rows.order_by("-day", "-waybill_id").values_list("day", "waybill_id")[:limit])


def drill_parcels(
    *, actor: Actor, filters: Filters, measure: str, reason: str = "", cursor: str = "", size: int = 50
) -> DrillPage:
    """The parcels behind a figure, a page at a time: latest day first.

    Read from the contribution rows in index order ((party, day, parcel)) and cut by a
    keyset cursor, so a page costs the same on the first day as on the ninetieth; the
    total is the figure's own sum, not a count of rows (at 10,000,000 parcels a COUNT
    over the range took seconds).
    """
    if measure not in DRILLS:
        raise _invalid("measure", _("No such figure."))
    where = _where(actor, filters) & Q(**{f"{measure}__gt": 0})
    if reason:
        if reason not in FailureReason.values:
            raise _invalid("reason", _("No such reason."))
        where &= Q(reason=reason)
    after = _drill_cursor(cursor)
    figures, _city = _figure_rows(actor, filters)
    if reason:
        figures = figures.filter(reason=reason)
    total = figures.aggregate(n=Sum(measure))["n"] or 0
    if not total:
        # Nothing behind the figure: no walk through the range's rows looking for it.
        return DrillPage(parcels=[], total=0, next_cursor=None)
    rows = Contribution.objects.filter(where)
    if after is not None:
        rows = rows.filter(RowCompare(("day", "waybill_id"), after, before=True))
    if _party(actor) == "ops" and filters.carrier is None:
        # No index leads with the day: each carrier's rows are read in its (carrier, day,
        # parcel) order and the pages merged, instead of sorting the whole range's rows.
        keys = heapq.nlargest(
            size + 1,
            (
                key
                for carrier_id in Carrier.objects.values_list("pk", flat=True)
                for key in _drill_keys(rows.filter(carrier_id=carrier_id), size + 1)
            ),
        )
    else:
        keys = _drill_keys(rows, size + 1)
    more = len(keys) > size
    keys = keys[:size]
    ids = list(dict.fromkeys(pk for _day, pk in keys))  # a parcel twice in a page (two attempts) shows once
    found = Waybill.objects.select_related("carrier", "warehouse").in_bulk(ids)
    return DrillPage(
        parcels=[found[pk] for pk in ids if pk in found],
        total=int(total),
        next_cursor=cursor_sign([keys[-1][0].isoformat(), keys[-1][1]]) if more else None,
    )


def filter_options(*, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """The choices each party's filters offer: its own warehouses, routes and drivers; carriers; cities."""
    party = _party(actor)
    options: dict[str, list[tuple[str, str]]] = {}
    if party == "merchant":
        warehouses = Warehouse.objects.filter(merchant=actor.organisation).order_by("code")
        options["warehouse"] = [(str(w.pk), f"{w.name} {w.code}") for w in warehouses]
    if party in ("merchant", "ops"):
        options["carrier"] = [(str(c.pk), c.display_name) for c in Carrier.objects.order_by("code")]
    if party == "carrier":
        carrier = carrier_of(actor)
        options["route"] = [(str(r.pk), r.name) for r in Route.objects.filter(carrier=carrier).order_by("name")]
        options["driver"] = [(str(d.pk), d.name) for d in Driver.objects.filter(carrier=carrier).order_by("name")]
    if party in ("carrier", "ops"):
        cities = CityFigure.objects.filter(_scope(actor)).values_list("city_id", flat=True).distinct()
        codes = sorted(set(cities[:500]))
        names = _names("area", codes)
        options["area"] = [(code, names.get(code, code)) for code in codes]
    return options
