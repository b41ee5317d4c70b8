from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.events.models import Event
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus, Warehouse
from firstmile.pickup.services import warehouse_create

from .. import factories
from ..jobs import job_page
from .conftest import ADDRESS

pytestmark = pytest.mark.django_db

FORM = {
    "name": "东莞一号仓",
    "code": "DG-01",
    "contact_name": "陈经理",
    "phone": "138 0013 8000",
    "division": "441900125",
    "address_detail": "洪屋涡村工业路3号",
}


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant.user)
    return client


@pytest.fixture
def jt_client(client, covered):
    client.force_login(factories.user(covered.organisation, Role.STAFF))
    return client


def test_merchant_adds_a_warehouse_and_sees_the_request(merchant_client, covered):
    response = merchant_client.post("/merchant/warehouses/new/", FORM, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "已向" in page or "揽收" in page
    warehouse = Warehouse.objects.get()
    assert PickupSubscription.objects.get().warehouse == warehouse
    assert "待审核" in merchant_client.get("/merchant/warehouses/").content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "123"}, "不是有效的中国手机或固定电话号码"),
        ({"division": "441900"}, "最低一级"),
        ({"division": ""}, "请选择地区"),
        ({"address_detail": " "}, "详细地址为必填项"),
    ],
)
def test_bad_form_input_shows_the_message_and_saves_nothing(merchant_client, covered, change, message):
    response = merchant_client.post("/merchant/warehouses/new/", {**FORM, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Warehouse.objects.exists()
    assert not Event.objects.filter(kind__startswith="warehouse.").exists()


def test_another_merchants_warehouse_is_404_in_the_portal(client, merchant, other_merchant, covered):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    client.force_login(other_merchant.user)
    assert client.get(f"/merchant/warehouses/{warehouse.pk}/").status_code == 404
    assert client.get(f"/merchant/warehouses/{warehouse.pk}/edit/").status_code == 404
    response = client.post(f"/merchant/warehouses/{warehouse.pk}/edit/", {**FORM, "address_detail": "x"})
    assert response.status_code == 404
    assert Warehouse.objects.get().address_detail == ADDRESS["address_detail"]


def test_carrier_approves_in_bulk_from_the_queue(client, merchant, covered):
    for n in range(3):
        warehouse_create(actor=merchant, **{**ADDRESS, "code": f"W{n}"})
    client.force_login(factories.user(covered.organisation, Role.STAFF))
    queue = client.get("/carrier/pickup-requests/").content.decode()
    assert queue.count('name="ids"') == 3
    ids = list(PickupSubscription.objects.values_list("pk", flat=True))
    response = client.post("/carrier/pickup-requests/decide/", {"ids": ids[:2], "action": "approve"}, follow=True)
    assert "已批准 2 个" in response.content.decode()
    assert PickupSubscription.objects.filter(status=SubscriptionStatus.ACTIVE).count() == 2


def test_carrier_reject_without_a_reason_is_refused(client, merchant, covered):
    warehouse_create(actor=merchant, **ADDRESS)
    client.force_login(factories.user(covered.organisation, Role.STAFF))
    sub = PickupSubscription.objects.get()
    response = client.post("/carrier/pickup-requests/decide/", {"ids": [sub.pk], "action": "reject"}, follow=True)
    assert "请选择拒绝原因" in response.content.decode()
    assert PickupSubscription.objects.get().status == SubscriptionStatus.PENDING_REVIEW


def test_merchant_cancels_pickup_in_the_portal(merchant_client, merchant, covered):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    merchant_client.post(f"/merchant/warehouses/{warehouse.pk}/cancel-pickup/")
    assert PickupSubscription.objects.get().status == SubscriptionStatus.CANCELLED
    page = merchant_client.get(f"/merchant/warehouses/{warehouse.pk}/").content.decode()
    assert "取消了向" in page and "的揽收申请" in page  # the history, as a sentence


def test_the_other_carrier_sees_an_empty_queue(client, merchant, covered, ws):
    warehouse_create(actor=merchant, **ADDRESS)
    client.force_login(factories.user(ws.organisation, Role.STAFF))
    assert 'name="ids"' not in client.get("/carrier/pickup-requests/").content.decode()


def test_import_page_reports_rows(merchant_client, covered):
    content = (
        "仓库名称,仓库编码,联系人,联系电话,仓库地址\n"
        "仓,A1,王,13800138000,广东省东莞市洪梅镇工业路3号\n"
        "仓,A2,王,1,广东省东莞市洪梅镇工业路5号\n"
    )
    response = merchant_client.post(
        "/merchant/warehouses/import/", {"file": SimpleUploadedFile("w.csv", content.encode())}
    )
    page = job_page(merchant_client, response)
    assert "1 个已导入" in page
    assert Warehouse.objects.count() == 1


def test_kinds_other_than_merchant_cannot_open_warehouses(client):
    client.force_login(factories.user(factories.organisation(OrganisationKind.CARRIER)))
    assert client.get("/merchant/warehouses/").status_code == 403


def test_overdue_request_shows_the_seeds_checklist_with_hotline_and_hours(merchant_client, merchant, covered):
    with time_machine.travel(datetime(2023, 9, 1, 2, 0, tzinfo=UTC), tick=False):
        warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    with time_machine.travel(datetime(2023, 9, 2, 2, 1, tzinfo=UTC), tick=False):
        page = merchant_client.get(f"/merchant/warehouses/{warehouse.pk}/").content.decode()
        english = merchant_client.get(
            f"/merchant/warehouses/{warehouse.pk}/", headers={"Accept-Language": "en"}
        ).content.decode()
    assert "揽收审核超时" in page
    assert "未在 24 小时内完成审核" in page
    assert covered.hotline in page
    assert "09:00–19:00" in page
    assert "has not reviewed the request within 24 hours" in english
