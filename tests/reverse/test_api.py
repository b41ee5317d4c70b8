import io
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from firstmile.reverse.models import ReverseOrder

from .. import factories
from ..jobs import finished

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 7, 24, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def warehouse_api(api, warehouse_operator):
    return api(factories.token(warehouse_operator.organisation))


@pytest.fixture
def merchant_api(api, merchant):
    return api(factories.token(merchant.organisation))


def _raise(client, **extra):
    body = {
        "merchant_code": "dg-lighting",
        "order_no": "TT1",
        "reverse_type": "intercept_refused",
        "business_mode": "pop",
        "warehouse_code": "HZ-1",
        "warehouse_name": "杭州集货仓",
        "owner_id": "OW1",
        "owner_name": "东莞明亮",
        **extra,
    }
    return client.post("/reverse-orders", body)


def test_warehouse_raises_merchant_registers_warehouse_hands_over(warehouse_api, merchant_api):
    created = _raise(warehouse_api)
    assert created.status_code == 201
    order_id = created.json()["id"]
    page = merchant_api.get("/reverse-orders", tab="intercept_refused").json()
    assert [r["id"] for r in page["results"]] == [order_id]
    assert page["tab_counts"]["all"] == 1
    registered = merchant_api.post(
        "/reverse-orders/register-pickup",
        {
            "reverse_order_ids": [order_id],
            "method": "self_pickup",
            "phone": "13800138000",
            "person_name": "陈经理",
            "expected_pickup_at": "2024-07-26T10:00:00+08:00",
        },
    )
    assert registered.status_code == 200
    assert registered.json()[0]["status"] == "awaiting_pickup"
    assert [r["id"] for r in warehouse_api.get("/reverse-worklist").json()] == [order_id]
    done = warehouse_api.post(
        f"/reverse-orders/{order_id}/hand-over", {"person_name": "陈经理", "phone": "13800138000"}
    )
    assert done.json()["status"] == "completed"
    detail = merchant_api.get(f"/reverse-orders/{order_id}").json()
    assert detail["registration"]["person_name"] == "陈经理"
    assert [e["kind"] for e in detail["history"]] == [
        "reverse_order.created",
        "reverse_order.pickup_registered",
        "reverse_order.handed_over",
    ]


def test_bad_input_over_the_api(warehouse_api, merchant_api):
    assert _raise(warehouse_api, reverse_type="lost").json()["field"] == "reverse_type"
    assert _raise(warehouse_api, disposition="destroy").json()["field"] == "disposition"
    order_id = _raise(warehouse_api).json()["id"]
    response = merchant_api.post(
        "/reverse-orders/register-pickup",
        {"reverse_order_ids": [order_id], "method": "forward", "phone": "13800138000", "recipient_name": "陈"},
    )
    assert (response.status_code, response.json()["field"]) == (400, "division")
    # The tab is an enum of the schema now, so a wrong one is refused by validation (422), naming it.
    unknown_tab = merchant_api.get("/reverse-orders", tab="nope")
    assert (unknown_tab.status_code, unknown_tab.json()["field"]) == (422, "tab")
    assert ReverseOrder.objects.get().status == "awaiting_merchant"


def test_another_merchant_and_another_carrier_see_nothing(warehouse_api, api, merchant):
    order_id = _raise(warehouse_api).json()["id"]
    stranger = api(factories.token(factories.organisation()))
    assert stranger.get(f"/reverse-orders/{order_id}").status_code == 404
    assert stranger.get("/reverse-orders").json()["results"] == []
    other_carrier = api(factories.token(factories.carrier("QX").organisation))
    assert other_carrier.post(f"/reverse-orders/{order_id}/forward", {"tracking_no": "SF1"}).status_code == 404


def test_export_the_filtered_list(warehouse_api, merchant_api):
    _raise(warehouse_api, order_no="A1")
    _raise(warehouse_api, order_no="B2", reverse_type="customs_failed", disposition="destroy")
    xlsx = merchant_api.client.get("/api/v1/reverse-orders/export?tab=destroy", headers=merchant_api.headers)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "逆向管理单号"
    assert [r[2] for r in rows[1:]] == ["B2"]
    csv = merchant_api.client.get("/api/v1/reverse-orders/export?format=csv", headers=merchant_api.headers)
    assert csv.content.decode("utf-8-sig").count("\n") == 3


def test_destruction_with_time_and_photo_seen_only_by_its_merchant(
    warehouse_api, merchant_api, api, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    order_id = _raise(warehouse_api, reverse_type="customs_failed", disposition="destroy").json()["id"]
    assert (
        merchant_api.post("/reverse-orders/confirm-destruction", {"reverse_order_ids": [order_id]}).status_code == 200
    )

    def destroyed(**data):
        return warehouse_api.client.post(
            f"/api/v1/reverse-orders/{order_id}/destroyed", data, headers=warehouse_api.headers
        )

    later = time_machine.travel(datetime(2024, 7, 24, 4, 0, tzinfo=UTC), tick=False)  # 12:00 Beijing
    later.start()
    for moment in ("2024-07-24T12:01:00+08:00", "2024-07-24T09:59:00+08:00"):  # future; before confirming
        refused = destroyed(destroyed_at=moment)
        assert (refused.status_code, refused.json()["field"]) == (400, "destroyed_at")
    not_an_image = destroyed(photo=SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg"))
    assert (not_an_image.status_code, not_an_image.json()["field"]) == (400, "photo")
    assert ReverseOrder.objects.get().status == "awaiting_destruction"

    done = destroyed(
        destroyed_at="2024-07-24T11:30:00+08:00",
        photo=SimpleUploadedFile("p.png", factories.png_bytes(), content_type="image/png"),
    )
    later.stop()
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "completed"
    assert body["has_destruction_photo"] is True
    assert body["completed_at"].startswith("2024-07-24T11:30:00")
    photo = merchant_api.client.get(
        f"/api/v1/reverse-orders/{order_id}/destruction-photo", headers=merchant_api.headers
    )
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    stranger = api(factories.token(factories.organisation()))
    assert stranger.get(f"/reverse-orders/{order_id}/destruction-photo").status_code == 404


def test_warehouse_imports_a_spreadsheet_over_the_api(warehouse_api, merchant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        "商家编码,订单号,逆向类型,处理方式,经营方式,仓库编码,仓库名称,货主ID,货主名称\n"
        "dg-lighting,S1,仓拦截成功,退运,寄售,W,仓,O,主\n"
        "dg-lighting,S2,仓拦截成功,,寄售,W,仓,,主\n"
    ).encode()
    response = warehouse_api.client.post(
        "/api/v1/reverse-orders/import",
        {"file": SimpleUploadedFile("r.csv", content)},
        headers=warehouse_api.headers,
    )
    assert response.status_code == 202
    report = finished(response).json()
    assert (report["imported"], report["failed"]) == (1, 1)
    assert report["errors"][0]["row"] == 3 and report["errors"][0]["field"] == "owner_id"
    assert ReverseOrder.objects.get().reverse_type == "warehouse_intercepted"


def test_a_large_export_goes_to_the_worker(warehouse_api, merchant_api, monkeypatch):
    from firstmile.reverse import api as reverse_api

    from ..jobs import finished

    for n in range(3):
        _raise(warehouse_api, order_no=f"E{n}")
    monkeypatch.setattr(reverse_api, "SYNC_EXPORT_ROWS", 2)
    too_many = merchant_api.client.get("/api/v1/reverse-orders/export", headers=merchant_api.headers)
    assert too_many.status_code == 400 and too_many.json()["code"] == "export_too_large"

    queued = merchant_api.client.post("/api/v1/reverse-orders/exports?format=csv", headers=merchant_api.headers)
    assert queued.status_code == 202 and queued.json()["progress_total"] == 3
    job = finished(queued).job
    assert job.report == {"rows": 3, "format": "csv"}
    result = merchant_api.client.get(f"/api/v1/jobs/{job.pk}/result", headers=merchant_api.headers)
    assert result.status_code == 200
    assert b"".join(result.streaming_content).decode("utf-8-sig").count("\n") == 4
    # The warehouse cannot read the merchant's export.
    assert warehouse_api.client.get(f"/api/v1/jobs/{job.pk}/result", headers=warehouse_api.headers).status_code == 404


def test_an_import_uploaded_again_with_its_idempotency_key_imports_once(warehouse_api, merchant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from firstmile.events.models import Job

    from ..jobs import finished

    content = (
        "商家编码,订单号,逆向类型,处理方式,经营方式,仓库编码,仓库名称,货主ID,货主名称\n"
        "dg-lighting,K1,仓拦截成功,退运,寄售,W,仓,O,主\n"
    ).encode()

    def upload():
        # A new multipart boundary each time, as a client retrying after a dropped connection sends.
        return warehouse_api.client.post(
            "/api/v1/reverse-orders/import",
            {"file": SimpleUploadedFile("r.csv", content)},
            headers={**warehouse_api.headers, "Idempotency-Key": "import-2026-12-01-1"},
        )

    first = upload()
    again = upload()
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Job.objects.count() == 1
    assert finished(first).json()["imported"] == 1
    assert ReverseOrder.objects.filter(order_no="K1").count() == 1
    other = warehouse_api.client.post(
        "/api/v1/reverse-orders/import",
        {"file": SimpleUploadedFile("r.csv", content.replace(b"K1", b"K2"))},
        headers={**warehouse_api.headers, "Idempotency-Key": "import-2026-12-01-1"},
    )
    assert other.status_code == 422
