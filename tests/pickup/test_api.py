import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from firstmile.accounts.models import OrganisationKind
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus, Warehouse

from .. import factories
from ..jobs import finished
from .conftest import ADDRESS

pytestmark = pytest.mark.django_db

BODY = {**ADDRESS, "phone": "13800138000"}


@pytest.fixture
def erp(api, covered):
    org = factories.organisation(OrganisationKind.MERCHANT)
    client = api(factories.token(org))
    client.organisation = org
    return client


@pytest.fixture
def jt_system(api, covered):
    return api(factories.token(covered.organisation))


def test_erp_creates_a_warehouse_and_sees_pickup_pending(erp):
    response = erp.post("/warehouses", BODY)
    assert response.status_code == 201
    body = response.json()
    assert body["pickup_requested"] is True
    pickup = body["warehouse"]["pickup"]
    assert (pickup["state"], pickup["supports_pickup"], pickup["handover_method"]) == ("pending", False, "DROP_OFF")
    assert pickup["carrier"] == "JT"
    assert body["warehouse"]["region"] == "广东省东莞市洪梅镇"
    assert body["warehouse"]["phone"] == "+8613800138000"


def test_carrier_approves_and_erp_sees_supports_pickup(erp, jt_system):
    warehouse_id = erp.post("/warehouses", BODY).json()["warehouse"]["id"]
    queue = jt_system.get("/pickup-requests").json()["results"]
    assert [r["warehouse_id"] for r in queue] == [warehouse_id]
    assert queue[0]["region"] == "广东省东莞市洪梅镇"
    decided = jt_system.post("/pickup-requests/approve", {"subscription_ids": [queue[0]["id"]]})
    assert decided.json() == {"decided": 1}
    listed = erp.get("/warehouses").json()["results"]
    assert listed[0]["pickup"]["supports_pickup"] is True
    assert listed[0]["pickup"]["handover_method"] == "PICKUP"
    again = jt_system.post("/pickup-requests/approve", {"subscription_ids": [queue[0]["id"]]})
    assert again.status_code == 409
    assert again.json()["code"] == "subscription_not_pending"


def test_erp_update_with_the_same_address_requests_nothing_and_a_comma_does(erp):
    warehouse_id = erp.post("/warehouses", BODY).json()["warehouse"]["id"]
    same = erp.client.put(
        f"/api/v1/warehouses/{warehouse_id}", BODY, content_type="application/json", headers=erp.headers
    ).json()
    assert (same["address_changed"], same["pickup_requested"]) == (False, False)
    comma = erp.client.put(
        f"/api/v1/warehouses/{warehouse_id}",
        {**BODY, "address_detail": BODY["address_detail"] + ","},
        content_type="application/json",
        headers=erp.headers,
    ).json()
    assert (comma["address_changed"], comma["pickup_requested"]) == (True, True)
    assert PickupSubscription.objects.filter(status=SubscriptionStatus.SUPERSEDED).count() == 1


def test_reject_needs_a_known_reason(erp, jt_system):
    erp.post("/warehouses", BODY)
    sub = PickupSubscription.objects.get()
    bad = jt_system.post("/pickup-requests/reject", {"subscription_ids": [sub.pk], "reason": "bored"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "reason"
    ok = jt_system.post("/pickup-requests/reject", {"subscription_ids": [sub.pk], "reason": "merchant_declined"})
    assert ok.status_code == 200
    assert erp.get(f"/warehouses/{sub.warehouse_id}").json()["pickup"]["state"] == "rejected"


def test_cancel_pickup_then_history(erp, jt_system):
    warehouse_id = erp.post("/warehouses", BODY).json()["warehouse"]["id"]
    cancelled = erp.post(f"/warehouses/{warehouse_id}/cancel-pickup", {})
    assert cancelled.json()["pickup"]["state"] == "cancelled"
    kinds = [e["kind"] for e in erp.get(f"/warehouses/{warehouse_id}/events").json()]
    assert kinds == ["subscription.cancelled", "subscription.requested", "warehouse.created"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"phone": "12345"}, 400, "phone"),
        ({"division_code": "441900"}, 400, "division"),
        ({"address_detail": ""}, 400, "address_detail"),
        ({"division_code": "000000"}, 404, "division"),
    ],
)
def test_bad_warehouse_input_over_the_api(erp, change, status, field):
    response = erp.post("/warehouses", {**BODY, **change})
    assert response.status_code == status
    assert response.json()["field"] == field
    assert not Warehouse.objects.exists()


def test_a_merchant_gets_404_for_another_merchants_warehouse(erp, api):
    warehouse_id = erp.post("/warehouses", BODY).json()["warehouse"]["id"]
    stranger = api(factories.token(factories.organisation(OrganisationKind.MERCHANT)))
    assert stranger.get(f"/warehouses/{warehouse_id}").status_code == 404
    put = stranger.client.put(
        f"/api/v1/warehouses/{warehouse_id}",
        {**BODY, "address_detail": "抢走"},
        content_type="application/json",
        headers=stranger.headers,
    )
    assert put.status_code == 404
    assert stranger.post(f"/warehouses/{warehouse_id}/cancel-pickup", {}).status_code == 404
    assert stranger.get("/warehouses").json()["results"] == []
    assert Warehouse.objects.get().address_detail == BODY["address_detail"]


def test_another_carrier_cannot_see_or_decide_the_request(erp, api, ws):
    erp.post("/warehouses", BODY)
    sub = PickupSubscription.objects.get()
    wanse = api(factories.token(ws.organisation))
    assert wanse.get("/pickup-requests").json()["results"] == []
    assert wanse.get(f"/pickup-requests/{sub.pk}").status_code == 404
    assert wanse.post("/pickup-requests/approve", {"subscription_ids": [sub.pk]}).status_code == 404
    assert PickupSubscription.objects.get().status == SubscriptionStatus.PENDING_REVIEW


def _upload(client, name, content):
    upload = SimpleUploadedFile(name, content)
    response = Client().post("/api/v1/warehouses/import", {"file": upload}, headers=client.headers)
    return finished(response) if response.status_code == 202 else response


def test_import_csv_saves_good_rows_and_reports_bad_ones(erp):
    csv_text = (
        "仓库名称,仓库编码,联系人,联系电话,仓库地址,默认发货仓\n"
        "东莞仓,DG-1,陈经理,13800138000,广东省东莞市洪梅镇洪屋涡村工业路3号,是\n"
        "深圳仓,SZ-1,林店长,0755-83001234,深圳市福田区福田街道福华三路88号,\n"
        "坏电话,BAD-1,王,12345,广东省东莞市长安镇振安路5号,\n"
        "不到底,BAD-2,王,13800138001,广州市天河区体育西路191号,\n"
        "重复,DG-1,王,13800138002,广东省东莞市虎门镇连升路,\n"
        "外星,BAD-3,王,13800138003,火星基地,\n"
    )
    report = _upload(erp, "warehouses.csv", csv_text.encode("gb18030")).json()
    assert report["imported"] == 2
    assert report["failed"] == 4
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (4, "phone"),
        (5, "address"),
        (6, "code"),
        (7, "address"),
    ]
    assert set(Warehouse.objects.values_list("code", flat=True)) == {"DG-1", "SZ-1"}
    assert PickupSubscription.objects.count() == 2


def test_import_xlsx(erp):
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "code", "contact", "phone", "address"])
    sheet.append(["Foshan", "FS-1", "He", "13800138000", "佛山市南海区桂城街道海八路12号"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = _upload(erp, "w.xlsx", buffer.getvalue()).json()
    assert report["imported"] == 1
    warehouse = Warehouse.objects.get()
    assert (warehouse.division_id, warehouse.address_detail) == ("440605011", "海八路12号")
    assert not PickupSubscription.objects.exists()  # Foshan: outside coverage


def test_import_rejects_a_file_without_the_columns(erp):
    response = _upload(erp, "w.csv", b"a,b\n1,2\n")
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert not Warehouse.objects.exists()


def test_the_prepared_list_pages_match_the_generic_paginator_and_the_single_reads(erp, jt_system):
    """Default-size forward pages take the prepared read; other sizes the generic one: same rows, same states."""
    for n in range(112):
        erp.post("/warehouses", {**BODY, "code": f"W{n:03}", "name": f"仓{n:03}"})
    queue = jt_system.get("/pickup-requests", page_size=10).json()["results"]
    jt_system.post("/pickup-requests/approve", {"subscription_ids": [r["id"] for r in queue]})

    def walk(**params):
        rows, pages, url = [], [], "/warehouses"
        while url:
            page = erp.client.get(url if url.startswith("http") else f"/api/v1{url}", params, headers=erp.headers)
            body = page.json()
            rows += body["results"]
            pages.append(body)
            url, params = body["next"], {}
        return rows, pages

    fast, fast_pages = walk()
    generic, _ = walk(page_size=49)
    assert [len(p["results"]) for p in fast_pages] == [50, 50, 12]
    assert fast == generic  # the same warehouses, order and pickup states
    assert len({w["id"] for w in fast}) == 112 and sorted(w["id"] for w in fast) == [w["id"] for w in fast]
    assert sum(w["pickup"]["supports_pickup"] for w in fast) == 10
    for row in fast[:3] + fast[-3:]:
        assert erp.get(f"/warehouses/{row['id']}").json() == row
    # Back from page 2 (a reversed cursor: the generic paginator) is page 1 again.
    back = erp.client.get(fast_pages[1]["previous"], headers=erp.headers).json()
    assert back["results"] == fast_pages[0]["results"]
    # A forged position is the signed cursor's 400, not a page.
    assert erp.get("/warehouses", cursor="cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5").status_code == 400
