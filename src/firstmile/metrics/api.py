import datetime as dt

from ninja import Field, Query, Router, Schema

from firstmile.core.pagination import CURSOR_DOC, with_cursor

from .selectors import (
    DRILLS,
    Filters,
    drill_parcels,
    parse_filters,
    performance,
    reverse_waiting,
    review_queue_sla,
    scorecards,
    today_by_hour,
)

router = Router()

RANGE_DOC = (
    "`days` (7, 30 or 90, ending today) or `from` and `to` (Beijing dates, YYYY-MM-DD, at most 400 days); "
    "`grain` day or week; filters `carrier`, `route`, `driver`, `warehouse` (ids) and `area` (a region code: "
    "the area and everything in it). A bad value is a 400 naming the parameter."
)


class FiguresOut(Schema):
    figures: dict[str, int] = Field(..., description="Summed counts (docs/metrics.md lists each)")
    rates: dict[str, float | None] = Field(..., description="Ratios 0–1; null when the denominator is 0")
    lead_hours_p50: float | None
    lead_hours_p90: float | None
    lead_hours_mean: float | None


class PeriodOut(FiguresOut):
    period: dt.date = Field(..., description="The day, or the Monday of the week")


class ReasonOut(Schema):
    reason: str
    label: str
    count: int


class LineOut(FiguresOut):
    key: str
    name: str


class HourOut(Schema):
    hour: int = Field(..., description="Beijing hour of today, 0–23")
    labels: int
    collected: int
    failed_attempts: int
    inbound: int


class ReviewOut(Schema):
    received: int = Field(..., description="Pickup requests received in the range")
    decided_in_time: int
    decided_late: int
    waiting: int = Field(..., description="Still waiting, within their 24 hours")
    overdue: int = Field(..., description="Still waiting, past their 24 hours")
    breaches: int = Field(..., description="decided_late + overdue")
    breach_rate: float | None


class WaitingOut(Schema):
    from_days: int
    to_days: int | None = Field(..., description="null: no upper bound")
    created_from: dt.datetime | None
    created_to: dt.datetime
    counts: dict[str, int] = Field(..., description="Per disposition: return, destroy")


class ScorecardCarrierOut(FiguresOut):
    key: int
    name: str


class ScorecardOut(Schema):
    key: str = Field(..., description="City code (the first six digits of an area code)")
    name: str
    carriers: list[ScorecardCarrierOut]


class PerformanceOut(Schema):
    first_day: dt.date
    last_day: dt.date
    grain: str
    totals: FiguresOut
    periods: list[PeriodOut]
    failures_by_reason: list[ReasonOut]
    breakdowns: dict[str, list[LineOut]] = Field(
        ..., description="merchant: warehouse, carrier; carrier: route, driver, area; platform: carrier, area"
    )
    today_by_hour: list[HourOut] = Field(..., description="Today's counts per Beijing hour, with the same filters")
    review_queue: ReviewOut | None = Field(None, description="Carriers and the platform: pickup request reviews")
    reverse_waiting: list[WaitingOut] | None = Field(
        None, description="Merchants: reverse orders waiting on them, by age (counted now)"
    )
    scorecards: list[ScorecardOut] | None = Field(None, description="The platform: carriers side by side per city")


class DrillParcelOut(Schema):
    waybill_no: str
    tracking_status: str
    issued_at: dt.datetime
    collected_at: dt.datetime | None
    received_at: dt.datetime | None
    carrier: str
    warehouse: str


class DrillOut(Schema):
    measure: str
    count: int = Field(..., description="The figure over the range (parcels; attempts for failed_attempts)")
    results: list[DrillParcelOut] = Field(..., description="Latest day first, up to `limit`")
    next_cursor: str | None = Field(..., description="Pass as `cursor` for the next page; null on the last page")
    next: str | None = Field(..., description="The next page's URL (this request with `cursor=next_cursor`)")


def _filters(request) -> Filters:
    # Read by parse_filters, which names the bad field in its 400 as the portal pages do;
    # RangeQuery below only documents the parameters in the OpenAPI schema.
    return parse_filters(request.GET)


class RangeQuery(Schema):
    days: int | None = Field(None, description="7, 30 or 90")
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    grain: str | None = Field(None, description="day or week")
    carrier: int | None = None
    route: int | None = None
    driver: int | None = None
    warehouse: int | None = None
    area: str | None = None


@router.get(
    "/metrics/performance",
    response=PerformanceOut,
    summary="Performance figures of the caller's parcels over a range",
    description=RANGE_DOC,
)
def metrics_performance(request, query: Query[RangeQuery]):
    filters = _filters(request)
    report = performance(actor=request.auth, filters=filters)
    return {
        "today_by_hour": today_by_hour(actor=request.auth, filters=filters),
        "review_queue": review_queue_sla(actor=request.auth, filters=filters),
        "reverse_waiting": reverse_waiting(actor=request.auth),
        "scorecards": [
            {**city, "name": str(city["name"]), "carriers": [{**c, "name": str(c["name"])} for c in city["carriers"]]}
            for city in scorecards(actor=request.auth, filters=filters) or []
        ]
        if request.auth.is_platform
        else None,
        "first_day": report.filters.first_day,
        "last_day": report.filters.last_day,
        "grain": report.filters.grain,
        "totals": report.totals,
        "periods": report.periods,
        "failures_by_reason": report.failures_by_reason,
        "breakdowns": {
            name: [{**line, "key": str(line["key"]), "name": str(line["name"])} for line in lines]
            for name, lines in report.breakdowns.items()
        },
    }


@router.get(
    "/metrics/parcels",
    response=DrillOut,
    summary="The parcels behind one figure",
    description=(
        f"`measure` is one of {', '.join(DRILLS)} (labels by default); `reason` narrows failed_attempts; "
        f"`cursor` (from `next_cursor`) opens the next page. {RANGE_DOC}"
    ),
)
def metrics_parcels(
    request,
    query: Query[RangeQuery],
    measure: str = "labels",
    reason: str = "",
    cursor: str = Query("", max_length=500, description=CURSOR_DOC),
    limit: int = Query(100, ge=1, le=500),
):
    page = drill_parcels(
        actor=request.auth, filters=_filters(request), measure=measure, reason=reason, cursor=cursor, size=limit
    )
    return {
        "measure": measure,
        "count": page.total,
        "next_cursor": page.next_cursor,
        "next": with_cursor(request.build_absolute_uri(), page.next_cursor),
        "results": [
            {
                "waybill_no": w.waybill_no,
                "tracking_status": w.tracking_status,
                "issued_at": w.issued_at,
                "collected_at": w.collected_at,
                "received_at": w.received_at,
                "carrier": w.carrier.code,
                "warehouse": w.warehouse.code,
            }
            for w in page.parcels
        ],
    }
