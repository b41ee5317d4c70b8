"""Performance figures from the API and the portals: each party its own parcels, bad filters named."""

import pytest
from django.test import Client

from firstmile.accounts.models import Role, User
from firstmile.carriers.models import Carrier
from firstmile.demo.data import load_demo
from firstmile.metrics.models import Contribution
from firstmile.metrics.selectors import parse_filters
from firstmile.metrics.services import rollup_rebuild, rollup_run
from firstmile.pickup.models import Warehouse
from firstmile.shipping.models import Waybill

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_demo()
    rollup_run()


def _api(username, role=Role.STAFF):
    token = factories.token(User.objects.get(username=username).organisation, role=role)
    return Client(headers={"authorization": f"Bearer {token}", "accept-language": "en"})


def _portal(username, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(User.objects.get(username=username))
    return client


def test_each_party_counts_its_own_labels(demo):
    merchant = User.objects.get(username="dg_merchant").organisation
    body = _api("dg_merchant").get("/api/v1/metrics/performance?days=7").json()
    assert body["totals"]["figures"]["labels"] == Waybill.objects.filter(merchant=merchant).count() > 0
    assert len(body["periods"]) == 7
    jt = _api("jt_admin").get("/api/v1/metrics/performance?days=30&grain=week").json()
    assert jt["totals"]["figures"]["labels"] == Waybill.objects.filter(carrier__code="JT").count()
    assert {line["name"] for line in jt["breakdowns"]["area"]} <= {"东莞市", "深圳市", "广州市", "佛山市"}
    everyone = _api("ops").get("/api/v1/metrics/performance?days=7").json()
    assert everyone["totals"]["figures"]["labels"] == Waybill.objects.count()


def test_another_partys_objects_filter_to_nothing_and_drill_downs_stay_scoped(demo):
    foreign = Warehouse.objects.exclude(merchant__users__username="dg_merchant").first()
    body = _api("dg_merchant").get(f"/api/v1/metrics/performance?days=7&warehouse={foreign.pk}").json()
    assert body["totals"]["figures"]["labels"] == 0
    parcels = _api("ws_admin").get("/api/v1/metrics/parcels?days=7&measure=labels&limit=500").json()
    assert parcels["count"] == Waybill.objects.filter(carrier__code="WS").count()
    assert all(p["carrier"] == "WS" for p in parcels["results"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=8", "days"),
        ("from=2024-01-01&to=2025-12-31", "from"),
        ("from=2025-02-01&to=2025-01-01", "from"),
        ("from=1999-13-01", "from"),
        ("grain=month", "grain"),
        ("area=44%25", "area"),
        ("route=1e9", "route"),
    ],
)
def test_bad_ranges_and_filters_are_400s_naming_the_field(demo, query, field):
    response = _api("jt_admin").get(f"/api/v1/metrics/performance?{query}")
    assert response.status_code in (400, 422), response.content
    if response.status_code == 400:
        assert response.json()["field"] == field


def test_an_unknown_figure_is_a_400_and_a_driver_is_refused(demo):
    response = _api("jt_admin").get("/api/v1/metrics/parcels?measure=secret")
    assert response.status_code == 400 and response.json()["field"] == "measure"
    driver = _portal("jt_driver")
    assert driver.get("/carrier/performance/").status_code == 403


@pytest.mark.parametrize(("username", "portal"), [("dg_merchant", "merchant"), ("jt_admin", "carrier"), ("ops", "ops")])
def test_the_performance_page_its_drill_down_and_csv(demo, username, portal):
    client = _portal(username, "zh-hans")
    page = client.get(f"/{portal}/performance/?days=30")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="performance-data"' in html and "echarts.min.js" in html and "<script>" not in html
    drill = client.get(f"/{portal}/performance/parcels/?days=30&measure=labels")
    assert drill.status_code == 200 and "data-drill-parcels" in drill.content.decode()
    csv = client.get(f"/{portal}/performance/?days=7&format=csv")
    assert csv["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("周期,labels")
    bad = client.get(f"/{portal}/performance/?days=9")
    assert bad.status_code == 400


def test_today_by_hour_counts_todays_labels_of_the_party(demo):
    from firstmile.core.clock import beijing_day_bounds, beijing_today

    start, end = beijing_day_bounds(beijing_today())
    for username, parcels in (
        ("jt_admin", Waybill.objects.filter(carrier__code="JT")),
        ("dg_merchant", Waybill.objects.filter(merchant__users__username="dg_merchant")),
        ("ops", Waybill.objects.all()),
    ):
        hours = _api(username).get("/api/v1/metrics/performance?days=7").json()["today_by_hour"]
        assert [h["hour"] for h in hours] == list(range(24))
        assert sum(h["labels"] for h in hours) == parcels.filter(issued_at__gte=start, issued_at__lt=end).count()


def test_review_deadlines_count_each_carriers_own_requests(demo):
    from datetime import timedelta

    from firstmile.core.clock import beijing_day_bounds, beijing_today, now
    from firstmile.pickup.models import PickupSubscription

    def review(username):
        return _api(username).get("/api/v1/metrics/performance?days=30").json()["review_queue"]

    def recount(code):
        """The same counts, one request at a time in Python."""
        at = now()
        first = beijing_day_bounds(beijing_today() - timedelta(days=29))[0]
        rows = [s for s in PickupSubscription.objects.filter(carrier__code=code) if s.requested_at >= first]
        pending = [s for s in rows if s.status == "pending_review"]
        late = sum(1 for s in rows if s.decided_at and s.decided_at > s.review_due_at)
        overdue = sum(1 for s in pending if s.review_due_at < at)
        return {
            "received": len(rows),
            "decided_in_time": sum(1 for s in rows if s.decided_at and s.decided_at <= s.review_due_at),
            "decided_late": late,
            "waiting": len(pending) - overdue,
            "overdue": overdue,
            "breaches": late + overdue,
            "breach_rate": round((late + overdue) / len(rows), 4) if rows else None,
        }

    assert review("jt_admin") == recount("JT") and review("ws_admin") == recount("WS")
    assert review("jt_admin")["received"] > 0
    assert review("ops")["received"] == recount("JT")["received"] + recount("WS")["received"]
    assert _api("dg_merchant").get("/api/v1/metrics/performance").json()["review_queue"] is None
    # A request left past its 24 hours: one more breach for JT, nothing moves for Wanse.
    ws_before, jt_before = review("ws_admin"), review("jt_admin")
    request = PickupSubscription.objects.filter(carrier__code="JT", status="pending_review").first()
    assert request is not None and request.review_due_at > now()
    PickupSubscription.objects.filter(pk=request.pk).update(
        requested_at=now() - timedelta(hours=30), review_due_at=now() - timedelta(hours=6)
    )
    assert review("jt_admin") == recount("JT")
    assert review("jt_admin")["overdue"] == jt_before["overdue"] + 1
    assert review("ws_admin") == ws_before
    page = _portal("jt_admin").get("/carrier/performance/").content.decode()
    assert "data-review-sla" in page and "/carrier/pickup-requests/?overdue=1" in page


def test_reverse_orders_waiting_on_the_merchant_by_age(demo):
    from datetime import timedelta

    from firstmile.core.clock import now
    from firstmile.reverse.models import ReverseOrder

    waiting = ReverseOrder.objects.filter(merchant__users__username="dg_merchant", status="awaiting_merchant")
    assert waiting.exists()
    old = waiting.first()
    ReverseOrder.objects.filter(pk=old.pk).update(created_at=now() - timedelta(days=5))
    ages = _api("dg_merchant").get("/api/v1/metrics/performance").json()["reverse_waiting"]
    assert [(a["from_days"], a["to_days"]) for a in ages] == [(0, 1), (1, 3), (3, 7), (7, None)]
    assert sum(sum(a["counts"].values()) for a in ages) == waiting.count()
    assert ages[2]["counts"][old.disposition] >= 1
    assert _api("jt_admin").get("/api/v1/metrics/performance").json()["reverse_waiting"] is None
    # The page links each age to the reverse list of just those orders.
    client = _portal("dg_merchant")
    page = client.get("/merchant/performance/")
    link = next(a["url"] for a in page.context["waiting"] if a["from_days"] == 3)
    listed = client.get(link)
    assert listed.status_code == 200 and old.reverse_no in listed.content.decode()


def test_the_platform_compares_carriers_city_by_city(demo):
    body = _api("ops").get("/api/v1/metrics/performance?days=30").json()
    cards = body["scorecards"]
    assert cards and all(card["carriers"] for card in cards)
    assert (
        sum(c["figures"]["labels"] for card in cards for c in card["carriers"]) == body["totals"]["figures"]["labels"]
    )
    names = {c["name"] for card in cards for c in card["carriers"]}
    assert names <= {carrier["name"] for carrier in body["breakdowns"]["carrier"]}
    assert _api("jt_admin").get("/api/v1/metrics/performance").json()["scorecards"] is None
    page = _portal("ops").get("/ops/performance/?days=30").content.decode()
    assert "data-scorecards" in page and "data-today" in page


def test_the_demo_plays_its_history_through_the_services_once():
    from datetime import timedelta

    from firstmile.core.clock import beijing_today
    from firstmile.dispatch.models import HandoverList, PickupFailure

    load_demo(history_days=4)
    rollup_run()
    printed = set(Waybill.objects.values_list("issued_at__date", flat=True))
    assert len(printed) >= 4  # labels on the past days, not only today
    assert not HandoverList.objects.filter(status="open", created_at__date__lt=beijing_today()).exists()
    body = _api("jt_admin").get("/api/v1/metrics/performance?days=7").json()
    assert body["totals"]["figures"]["collected"] > 0 and body["totals"]["figures"]["inbound"] > 0
    days_with_labels = [p for p in body["periods"] if p["figures"]["labels"]]
    assert len(days_with_labels) >= 4
    counts = (Waybill.objects.count(), PickupFailure.objects.count(), HandoverList.objects.count())
    load_demo(history_days=4)  # an existing demo gets no second history
    assert (Waybill.objects.count(), PickupFailure.objects.count(), HandoverList.objects.count()) == counts
    assert beijing_today() - timedelta(days=4) <= min(printed)


def test_drill_down_pages_follow_their_cursor_through_every_parcel_once(demo):
    client = _api("jt_admin")
    seen, cursor, pages = [], "", 0
    while True:
        body = client.get(f"/api/v1/metrics/parcels?days=7&measure=labels&limit=1&cursor={cursor}").json()
        seen += [p["waybill_no"] for p in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    jt = Waybill.objects.filter(carrier__code="JT")
    assert sorted(seen) == sorted(jt.values_list("waybill_no", flat=True)) and pages > 1
    assert body["count"] == jt.count()
    bad = client.get("/api/v1/metrics/parcels?days=7&measure=labels&cursor=2026-12-01.5")  # forged
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"
    page = _portal("jt_admin").get("/carrier/performance/parcels/?days=7&measure=labels&cursor=x.y")
    assert page.status_code == 400
    last_page = _portal("jt_admin").get("/carrier/performance/parcels/?days=7&measure=labels")
    assert "data-next-page" not in last_page.content.decode()  # two parcels, one page of fifty


def test_the_platforms_drill_down_merges_every_carriers_parcels_page_by_page(demo):
    filters = parse_filters({"days": "7"})
    # The demo's week is all J&T: hand one of its parcels to Wanse and write the figures again.
    moved = Waybill.objects.filter(carrier__code="JT").order_by("pk").values_list("pk", flat=True)[:1]
    Waybill.objects.filter(pk__in=list(moved)).update(carrier=Carrier.objects.get(code="WS"))
    rollup_rebuild(first_day=filters.first_day, last_day=filters.last_day)
    client = _api("ops")
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/metrics/parcels?days=7&measure=labels&limit=1&cursor={cursor}").json()
        seen += [p["waybill_no"] for p in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    behind = Contribution.objects.filter(labels__gt=0, day__range=(filters.first_day, filters.last_day))
    expected = Waybill.objects.filter(pk__in=behind.values("waybill_id"))
    assert len(set(expected.values_list("carrier", flat=True))) > 1  # two carriers' rows interleave
    assert len(seen) == len(set(seen)) and set(seen) == set(expected.values_list("waybill_no", flat=True))
    assert body["count"] == expected.count()


def test_a_figure_with_nothing_behind_it_answers_an_empty_page(demo):
    idle = factories.carrier("ZZ")
    client = _api("ops")
    body = client.get(f"/api/v1/metrics/parcels?days=7&measure=labels&carrier={idle.pk}").json()
    assert body["results"] == [] and body["count"] == 0 and body["next_cursor"] is None
    forged = client.get(f"/api/v1/metrics/parcels?days=7&measure=labels&carrier={idle.pk}&cursor=x.y")
    assert forged.status_code == 400 and forged.json()["field"] == "cursor"
