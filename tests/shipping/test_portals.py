from datetime import UTC, datetime

import pypdfium2
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role
from firstmile.dispatch.models import PickupTask
from firstmile.dispatch.services import contact_record, day_plan, driver_create, roster_set, route_create
from firstmile.events.models import Event, Job
from firstmile.shipping.models import Order, Waybill
from firstmile.shipping.services import order_create, shipment_arrange

from .. import factories
from ..jobs import job_page

pytestmark = pytest.mark.django_db
MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant.user)
    return client


def test_order_form_and_batch_arrange(merchant_client, hongmei):
    merchant_client.post("/merchant/orders/new/", {"order_no": "P1", "warehouse_code": "DG-HM", "item_summary": "灯"})
    merchant_client.post("/merchant/orders/new/", {"order_no": "P2", "warehouse_code": "DG-HM"})
    ids = list(Order.objects.values_list("pk", flat=True))
    response = merchant_client.post("/merchant/orders/arrange/", {"order_ids": ids}, follow=True)
    page = response.content.decode()
    assert "已生成 2 个运单：2 PICK UP，0 DROP OFF" in page
    assert "打印面单（PDF）" in page
    numbers = ",".join(Waybill.objects.values_list("waybill_no", flat=True))
    # Two labels are two pages: the worker renders them, the job's page offers the PDF.
    queued = merchant_client.get(f"/merchant/labels.pdf?w={numbers}")
    page = job_page(merchant_client, queued)
    assert "下载 labels.pdf" in page
    job = Job.objects.get(kind="labels.batch")
    assert job.report == {"labels": 2, "pages": 2}
    pdf = merchant_client.get(f"/merchant/jobs/{job.pk}/download/")
    assert pdf["Content-Type"] == "application/pdf"
    assert len(pypdfium2.PdfDocument(b"".join(pdf.streaming_content))) == 2
    assert set(Waybill.objects.values_list("print_count", flat=True)) == {1}
    single = merchant_client.get(f"/merchant/labels.pdf?w={numbers.split(',')[0]}")
    assert single["Content-Type"] == "application/pdf"


def test_shipping_twice_in_the_portal_shows_a_message_and_changes_nothing(merchant_client, merchant, hongmei):
    order = order_create(actor=merchant, order_no="P3")
    shipment_arrange(actor=merchant, order_ids=[order.pk])
    events_before = Event.objects.count()
    response = merchant_client.post("/merchant/orders/arrange/", {"order_ids": [order.pk]}, follow=True)
    assert "已发货或已取消：P3" in response.content.decode()
    assert Waybill.objects.count() == 1
    assert Event.objects.count() == events_before


def test_order_of_another_merchant_is_404(client, merchant, hongmei):
    order = order_create(actor=merchant, order_no="P4")
    client.force_login(factories.user(factories.organisation(OrganisationKind.MERCHANT)))
    assert client.get(f"/merchant/orders/{order.pk}/").status_code == 404


def test_an_order_needs_a_warehouse(merchant_client):
    response = merchant_client.post("/merchant/orders/new/", {"order_no": "P5"}, follow=True)
    assert "请指定发货仓库" in response.content.decode()
    assert not Order.objects.exists()


def test_order_import_reports_rows(merchant_client, hongmei):
    content = "订单号,发货仓库编码,商品\nI1,DG-HM,灯\nI2,NOPE,灯\n,DG-HM,灯\n"
    response = merchant_client.post(
        "/merchant/orders/import/", {"file": SimpleUploadedFile("orders.csv", content.encode())}
    )
    page = job_page(merchant_client, response)
    assert "1 个已导入，2 个有错误" in page
    assert list(Order.objects.values_list("order_no", flat=True)) == ["I1"]


def test_no_driver_page_shows_task_driver_and_calls(client, merchant, hongmei, jt):
    boss = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    route = route_create(actor=boss, name="东莞", division_codes=["441900"])
    driver = driver_create(actor=boss, name="李师傅", phone="13900000001", username="li", password="drive-safe-1")
    roster_set(actor=boss, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=10)
    with time_machine.travel(MONDAY, tick=False):
        order = order_create(actor=merchant, order_no="Q7")
        shipment_arrange(actor=merchant, order_ids=[order.pk])
        day_plan(actor=boss)
        contact_record(actor=Actor.for_user(driver.user), task_id=PickupTask.objects.get().pk, outcome="no_answer")
        client.force_login(merchant.user)
        page = client.get("/merchant/pickup-help/").content.decode()
    assert "李师傅" in page
    assert "无人接听" in page
    assert jt.hotline in page
    assert "下午根据线路串点揽收" in page
