"""Performance figures from the API and the portals: each party its own parcels, bad filters named."""

import pytest
from django.test import Client

from firstmile.accounts.models import Role, User
from firstmile.demo.data import load_demo
from firstmile.metrics.services import rollup_run
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
    assert all(p["carrier"] == "WS" for p in parcels["parcels"])


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
