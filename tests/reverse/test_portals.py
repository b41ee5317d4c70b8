from datetime import UTC, datetime

import pytest
import time_machine

from firstmile.accounts.models import Role
from firstmile.reverse.models import PickupRegistration, ReverseOrder, ReverseStatus

from .. import factories
from ..jobs import job_page

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 7, 24, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant.user)
    return client


def test_list_filters_tabs_with_counts(merchant_client, make_order):
    make_order(reverse_type="customs_failed", disposition="destroy")
    make_order(order_no="FIND-ME")
    page = merchant_client.get("/merchant/reverse/", {"tab": "destroy"}).content.decode()
    assert 'data-tab="destroy"' in page
    assert "确认销毁" in page
    page = merchant_client.get("/merchant/reverse/", {"number": "FIND-ME"}).content.decode()
    assert "FIND-ME" in page
    assert merchant_client.get("/merchant/reverse/", {"tab": "bogus"}).status_code == 302


def test_batch_register_shows_a_confirmation_then_submits(merchant_client, make_order):
    a, b = make_order(), make_order()
    ids = f"{a.pk},{b.pk}"
    form = {
        "ids": ids,
        "method": "self_pickup",
        "expected_pickup_at": "2024-07-26T10:00",
        "person_name": "陈经理",
        "phone": "13800138000",
    }
    confirm = merchant_client.post("/merchant/reverse/register/", form).content.decode()
    assert "提交后不支持修改" in confirm
    assert not PickupRegistration.objects.exists()
    done = merchant_client.post("/merchant/reverse/register/", {**form, "confirmed": "1"}, follow=True)
    assert "已为 2 个逆向管理单登记提货" in done.content.decode()
    assert set(ReverseOrder.objects.values_list("status", flat=True)) == {ReverseStatus.AWAITING_PICKUP}


def test_register_with_a_bad_phone_says_so_and_saves_nothing(merchant_client, make_order):
    order = make_order()
    response = merchant_client.post(
        "/merchant/reverse/register/",
        {"ids": str(order.pk), "method": "forward", "recipient_name": "陈", "phone": "1", "confirmed": "1"},
    )
    assert response.status_code == 400
    assert "不是有效的中国手机或固定电话号码" in response.content.decode()
    assert not PickupRegistration.objects.exists()


def test_confirm_destruction_from_the_list(merchant_client, make_order):
    order = make_order(reverse_type="customs_failed", disposition="destroy")
    merchant_client.post("/merchant/reverse/confirm-destruction/", {"ids": [order.pk]})
    order.refresh_from_db()
    assert order.status == ReverseStatus.AWAITING_DESTRUCTION


def test_another_merchants_reverse_order_is_404(client, make_order, other_merchant, merchant):
    order = make_order()
    client.force_login(other_merchant.user)
    assert client.get(f"/merchant/reverse/{order.pk}/").status_code == 404


def test_warehouse_worklist_and_hand_over(client, merchant, make_order, warehouse_operator):
    from firstmile.core.clock import beijing
    from firstmile.reverse.services import register_pickup

    order = make_order()
    register_pickup(
        actor=merchant,
        reverse_order_ids=[order.pk],
        method="self_pickup",
        phone="13800138000",
        person_name="陈经理",
        expected_pickup_at=beijing(2024, 7, 26, 10),
    )
    client.force_login(factories.user(warehouse_operator.organisation, Role.STAFF))
    page = client.get("/carrier/reverse/").content.decode()
    assert order.reverse_no in page
    wrong = client.post(
        f"/carrier/reverse/{order.pk}/action/",
        {"action": "hand_over", "person_name": "张三", "phone": "13800138000"},
        follow=True,
    )
    assert "与登记的提货人" in wrong.content.decode()
    client.post(
        f"/carrier/reverse/{order.pk}/action/", {"action": "hand_over", "person_name": "陈经理", "phone": "13800138000"}
    )
    order.refresh_from_db()
    assert order.status == ReverseStatus.COMPLETED


def test_warehouse_raises_one_by_form_and_many_by_spreadsheet(client, merchant, warehouse_operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(factories.user(warehouse_operator.organisation, Role.STAFF))
    form = {
        "merchant_code": "dg-lighting",
        "order_no": "F1",
        "reverse_type": "intercept_refused",
        "disposition": "return",
        "business_mode": "pop",
        "warehouse_code": "W",
        "warehouse_name": "仓",
        "owner_id": "O",
        "owner_name": "主",
    }
    assert client.post("/carrier/reverse/new/", form).status_code == 302
    bad = client.post("/carrier/reverse/new/", {**form, "disposition": "destroy"})
    assert bad.status_code == 400
    content = (
        "商家编码,订单号,逆向类型,处理方式,经营方式,仓库编码,仓库名称,货主ID,货主名称\n"
        "dg-lighting,S1,清关失败,销毁,代销,W,仓,O,主\n"
        "dg-lighting,S2,拦截拒收,销毁,POP,W,仓,O,主\n"
        "nobody,S3,拦截拒收,退运,POP,W,仓,O,主\n"
    )
    response = client.post("/carrier/reverse/import/", {"file": SimpleUploadedFile("r.csv", content.encode())})
    assert "1 个已导入，2 个有错误" in job_page(client, response)
    assert ReverseOrder.objects.filter(order_no="S1", disposition="destroy", business_mode="consignment_sale").exists()


def test_destruction_recorded_with_photo_in_the_portal(
    client, merchant, other_merchant, make_order, warehouse_operator, settings, tmp_path
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from firstmile.reverse.services import confirm_destruction

    settings.MEDIA_ROOT = tmp_path
    order = make_order(reverse_type="customs_failed", disposition="destroy")
    confirm_destruction(actor=merchant, reverse_order_ids=[order.pk])
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "gray").save(buffer, format="JPEG")
    client.force_login(factories.user(warehouse_operator.organisation, Role.STAFF))
    page = client.get("/carrier/reverse/?status=awaiting_destruction").content.decode()
    assert 'name="destroyed_at"' in page
    client.post(
        f"/carrier/reverse/{order.pk}/action/",
        {"action": "destroyed", "destroyed_at": "", "photo": SimpleUploadedFile("d.jpg", buffer.getvalue())},
    )
    order.refresh_from_db()
    assert (order.status, order.completion_kind) == (ReverseStatus.COMPLETED, "destroyed")
    client.force_login(merchant.user)
    detail = client.get(f"/merchant/reverse/{order.pk}/").content.decode()
    assert f"/merchant/reverse/{order.pk}/destruction-photo/" in detail
    photo = client.get(f"/merchant/reverse/{order.pk}/destruction-photo/")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content)[:2] == b"\xff\xd8"
    client.force_login(other_merchant.user)
    assert client.get(f"/merchant/reverse/{order.pk}/destruction-photo/").status_code == 404
