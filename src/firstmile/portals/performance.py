"""Performance pages: each party's figures over 7, 30 or 90 days, as charts, tiles and tables, every
figure a link to the parcels behind it, and the same figures as CSV."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from firstmile.core.clock import to_beijing
from firstmile.core.errors import ApplicationError
from firstmile.metrics.exports import report_csv
from firstmile.metrics.selectors import (
    DRILLS,
    HOURLY_SERIES,
    RANGES,
    RATES,
    drill_parcels,
    filter_options,
    parse_filters,
    performance,
    reverse_waiting,
    review_queue_sla,
    scorecards,
    today_by_hour,
)
from firstmile.reverse.models import ReverseStatus

from .access import portal_view

# Tiles per party: (rate, the measure its parcels are found by)
TILES = {
    "merchant": [
        ("late_dispatch_rate", "late_labels"),
        ("on_time_collection_rate", "due_on_time"),
        ("first_attempt_rate", "first_attempt_failed"),
        ("handover_difference_rate", "missing"),
    ],
    "carrier": [
        ("on_time_collection_rate", "due_on_time"),
        ("slotted_on_time_rate", "due_on_time"),
        ("first_attempt_rate", "first_attempt_failed"),
        ("handover_difference_rate", "missing"),
        ("inbound_on_time_rate", "inbound"),
    ],
    "ops": [
        ("on_time_collection_rate", "due_on_time"),
        ("first_attempt_rate", "first_attempt_failed"),
        ("handover_difference_rate", "missing"),
        ("inbound_on_time_rate", "inbound"),
        ("late_dispatch_rate", "late_labels"),
    ],
}
DIMENSION_LABELS = {
    "warehouse": gettext_lazy("Warehouse"),
    "carrier": gettext_lazy("Carrier"),
    "route": gettext_lazy("Route"),
    "driver": gettext_lazy("Driver"),
    "area": gettext_lazy("Area"),
}


def _error_page(request, portal: str, err: ApplicationError, status: int = 400):
    return render(
        request,
        "portals/shared/performance.html",
        {"base_template": f"portals/{portal}/base.html", "portal": portal, "error": err.message},
        status=status,
    )


def _performance(request, portal: str):
    try:
        filters = parse_filters(request.GET)
        report = performance(actor=request.actor, filters=filters)
    except ApplicationError as err:
        return _error_page(request, portal, err)
    if request.GET.get("format") == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
        name = f"performance-{filters.first_day}-{filters.last_day}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    drill = reverse(f"portals:{portal}_performance_parcels")
    tiles = []
    for rate, measure in TILES[portal]:
        numerator, denominator, label = RATES[rate]
        figures = report.totals["figures"]
        # "first_attempts" is the one denominator that is not a stored figure.
        attempts = figures["first_attempt_ok"] + figures["first_attempt_failed"]
        tiles.append(
            {
                "rate": rate,
                "label": label,
                "value": report.totals["rates"][rate],
                "numerator": figures[numerator],
                "denominator": attempts if denominator == "first_attempts" else figures[denominator],
                "url": f"{drill}?{urlencode(filters.query(measure=measure))}",
            }
        )
    counts = [
        (DRILLS[m], report.totals["figures"][m], f"{drill}?{urlencode(filters.query(measure=m))}")
        for m in ("labels", "due", "collected", "failed_attempts", "listed", "inbound", "dropped_off")
    ]
    chart = {
        "periods": [p["period"].isoformat() for p in report.periods],
        "series": [
            {"key": rate, "name": str(RATES[rate][2]), "data": [p["rates"][rate] for p in report.periods]}
            for rate, _m in TILES[portal]
        ],
        "links": [_period_link(drill, filters, p["period"]) for p in report.periods],
        "reasons": [
            {"name": r["label"], "value": r["count"], "reason": r["reason"]} for r in report.failures_by_reason
        ],
        "reason_link": f"{drill}?{urlencode(filters.query(measure='failed_attempts'))}",
    }
    hours = today_by_hour(actor=request.actor, filters=filters)
    chart["hours"] = {
        "hours": [f"{h['hour']:02d}" for h in hours],
        "series": [{"name": str(label), "data": [h[m] for h in hours]} for m, label in HOURLY_SERIES.items()],
    }
    breakdowns = [
        {
            "dimension": dimension,
            "label": DIMENSION_LABELS[dimension],
            "lines": [{**line, "url": f"?{urlencode(filters.query(**{dimension: line['key']}))}"} for line in lines],
        }
        for dimension, lines in report.breakdowns.items()
    ]
    return render(
        request,
        "portals/shared/performance.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "report": report,
            "filters": filters,
            "ranges": RANGES,
            "days": filters.days,
            "options": [
                (name, DIMENSION_LABELS[name], choices) for name, choices in filter_options(actor=request.actor).items()
            ],
            "selected": {
                name: str(getattr(filters, name) or "") for name in ("carrier", "route", "driver", "warehouse")
            }
            | {"area": filters.area},
            "tiles": tiles,
            "counts": counts,
            "chart": chart,
            "breakdowns": breakdowns,
            "csv_url": f"?{urlencode(filters.query(format='csv'))}",
            "today_total": {m: sum(h[m] for h in hours) for m in HOURLY_SERIES},
            "hourly_series": HOURLY_SERIES,
            "review": _review(request.actor, portal, filters),
            "waiting": _waiting(request.actor, portal),
            "scorecards": _scorecards(request.actor, filters),
        },
    )


def _scorecards(actor, filters) -> list[dict] | None:
    cities = scorecards(actor=actor, filters=filters)
    for city in cities or []:
        for line in city["carriers"]:
            line["url"] = f"?{urlencode(filters.query(area=city['key'], carrier=line['key']))}"
    return cities


def _review(actor, portal: str, filters) -> dict | None:
    review = review_queue_sla(actor=actor, filters=filters)
    if review is not None and portal == "carrier":
        requests = reverse("portals:carrier_pickup_requests")
        review["overdue_url"] = f"{requests}?{urlencode({'overdue': '1'})}"
        review["all_url"] = f"{requests}?{urlencode({'status': 'all'})}"
    return review


def _waiting(actor, portal: str) -> list[dict] | None:
    """Reverse orders waiting on the merchant by age, each a link to the list of just those."""
    ages = reverse_waiting(actor=actor)
    if ages is None:
        return None
    listing = reverse(f"portals:{portal}_reverse")
    for age in ages:
        query = {"status": ReverseStatus.AWAITING_MERCHANT}
        if age["created_from"] is not None:
            query["created_from"] = to_beijing(age["created_from"]).strftime("%Y-%m-%dT%H:%M:%S")
        query["created_to"] = to_beijing(age["created_to"]).strftime("%Y-%m-%dT%H:%M:%S")
        age["url"] = f"{listing}?{urlencode(query)}"
        age["total"] = sum(age["counts"].values())
    return ages


def _period_link(drill: str, filters, start) -> str:
    """The parcels due to be collected in one day or week of the chart."""
    query = filters.query(measure="due", **{"from": start.isoformat(), "to": _end(start, filters).isoformat()})
    return f"{drill}?{urlencode(query)}"


def _end(start, filters):
    end = start + timedelta(days=6) if filters.grain == "week" else start
    return min(end, filters.last_day)


def _parcels(request, portal: str):
    measure = request.GET.get("measure") or "labels"  # without one: every parcel printed in the range
    reason = request.GET.get("reason", "")
    try:
        filters = parse_filters(request.GET)
        page = drill_parcels(
            actor=request.actor,
            filters=filters,
            measure=measure,
            reason=reason,
            cursor=request.GET.get("cursor", "")[:500],
        )
    except ApplicationError as err:
        return _error_page(request, portal, err)
    query = {**filters.query(measure=measure), "reason": reason}
    query = {k: v for k, v in query.items() if v}
    return render(
        request,
        "portals/shared/performance_parcels.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "title": DRILLS[measure],
            "filters": filters,
            "parcels": page.parcels,
            "total": page.total,
            "first_url": f"?{urlencode(query)}" if request.GET.get("cursor") else "",
            "next_url": f"?{urlencode({**query, 'cursor': page.next_cursor})}" if page.next_cursor else "",
            "back_url": f"{reverse(f'portals:{portal}_performance')}?{urlencode(filters.query())}",
        },
    )


merchant_performance = portal_view("merchant")(lambda request: _performance(request, "merchant"))
carrier_performance = portal_view("carrier")(lambda request: _performance(request, "carrier"))
ops_performance = portal_view("ops")(lambda request: _performance(request, "ops"))
merchant_performance_parcels = portal_view("merchant")(lambda request: _parcels(request, "merchant"))
carrier_performance_parcels = portal_view("carrier")(lambda request: _parcels(request, "carrier"))
ops_performance_parcels = portal_view("ops")(lambda request: _parcels(request, "ops"))
