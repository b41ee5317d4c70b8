import io

import pypdfium2
import pytest
import zxingcpp

from firstmile.shipping.models import Order, Waybill

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(api, merchant, hongmei):
    client = api(factories.token(merchant.organisation))
    return client


def _decode(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    image = page.render(scale=4).to_pil()
    return sorted(r.text for r in zxingcpp.read_barcodes(image))


def test_erp_creates_an_order_arranges_shipment_and_fetches_a_scannable_label(erp):
    created = erp.post("/orders", {"order_no": "TT-1001", "item_summary": "台灯"})
    assert created.status_code == 201
    order = created.json()
    assert order["warehouse_code"] == "DG-HM"
    assert order["ship_by"].endswith("+08:00")
    arranged = erp.post("/orders/arrange-shipment", {"order_ids": [order["id"]]}).json()
    [waybill] = arranged["waybills"]
    assert waybill["handover_method"] == "PICKUP"
    assert waybill["waybill_no"].startswith("JT")
    pdf = erp.client.get(waybill["label_url"], headers=erp.headers)
    assert pdf["Content-Type"] == "application/pdf"
    decoded = _decode(pdf.content)
    assert waybill["waybill_no"] in decoded  # the Code 128 barcode
    assert f"{waybill['waybill_no']}|TT-1001" in decoded  # the QR code
    assert Waybill.objects.get().print_count == 1


def test_batch_labels_in_one_pdf(erp):
    ids = [erp.post("/orders", {"order_no": f"B{i}"}).json()["id"] for i in range(3)]
    arranged = erp.post("/orders/arrange-shipment", {"order_ids": ids}).json()
    pdf = erp.client.get(arranged["labels_url"], headers=erp.headers)
    assert len(pypdfium2.PdfDocument(io.BytesIO(pdf.content))) == 3


def test_shipping_twice_is_a_conflict(erp):
    order_id = erp.post("/orders", {"order_no": "T2"}).json()["id"]
    erp.post("/orders/arrange-shipment", {"order_ids": [order_id]})
    again = erp.post("/orders/arrange-shipment", {"order_ids": [order_id]})
    assert again.status_code == 409
    assert again.json()["code"] == "order_not_awaiting_shipment"
    assert Waybill.objects.count() == 1


def test_parcel_status_history_and_explanation(erp):
    order_id = erp.post("/orders", {"order_no": "T3", "erp_warehouse_code": "OLD-WH"}).json()["id"]
    number = erp.post("/orders/arrange-shipment", {"order_ids": [order_id]}).json()["waybills"][0]["waybill_no"]
    detail = erp.get(f"/waybills/{number}").json()
    assert detail["status"] == "issued"
    assert [e["kind"] for e in detail["history"]] == ["order.created", "waybill.issued", "order.shipped"]
    assert any("PICK UP" in line for line in detail["explanation"])
    assert "OLD-WH" in detail["erp_mismatch"]


def test_another_merchant_cannot_see_or_ship_the_order(erp, api):
    order_id = erp.post("/orders", {"order_no": "T4"}).json()["id"]
    number = erp.post("/orders/arrange-shipment", {"order_ids": [order_id]}).json()["waybills"][0]["waybill_no"]
    stranger = api(factories.token(factories.organisation()))
    assert stranger.get(f"/orders/{order_id}").status_code == 404
    assert stranger.get(f"/waybills/{number}").status_code == 404
    assert stranger.client.get(f"/api/v1/waybills/{number}/label.pdf", headers=stranger.headers).status_code == 404
    assert stranger.post(f"/waybills/{number}/void", {}).status_code == 404
    assert Order.objects.get().status == "shipped"


def test_void_then_scan_is_refused_with_a_clear_message(erp):
    order_id = erp.post("/orders", {"order_no": "T5"}).json()["id"]
    number = erp.post("/orders/arrange-shipment", {"order_ids": [order_id]}).json()["waybills"][0]["waybill_no"]
    voided = erp.post(f"/waybills/{number}/void", {}).json()
    assert voided["status"] == "voided"
    voided = erp.post(f"/waybills/{number}/void", {})
    assert voided.status_code == 409 and voided.json()["code"] == "waybill_not_voidable"


def test_a_batch_of_labels_is_rendered_on_the_worker(erp):
    from firstmile.events.models import Job
    from firstmile.shipping import api as shipping_api

    from ..jobs import finished

    ids = [erp.post("/orders", {"order_no": f"LB-{n}"}).json()["id"] for n in range(3)]
    numbers = [w["waybill_no"] for w in erp.post("/orders/arrange-shipment", {"order_ids": ids}).json()["waybills"]]
    queued = erp.post("/label-batches", {"waybill_nos": numbers})
    assert queued.status_code == 202
    job = finished(queued).job
    assert job.report == {"labels": 3, "pages": 3}
    result = erp.client.get(f"/api/v1/jobs/{job.pk}/result", headers=erp.headers)
    pdf = b"".join(result.streaming_content)
    assert len(pypdfium2.PdfDocument(io.BytesIO(pdf))) == 3
    assert set(Waybill.objects.values_list("print_count", flat=True)) == {1}
    # An unknown number is refused at once, and no job is queued.
    assert erp.post("/label-batches", {"waybill_nos": [*numbers, "JT00000000000"]}).status_code == 404
    assert Job.objects.filter(kind="labels.batch").count() == 1
    too_many = erp.get("/labels.pdf", waybill=[f"JT{n:011}" for n in range(shipping_api.SYNC_LABELS + 1)])
    assert too_many.status_code == 422 and too_many.json()["field"] == "waybill"
