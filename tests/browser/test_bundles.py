"""A merchant scans three labels into a bundle, closes it with a weight and prints its label; the driver
scans the bundle number on a phone and the three parcels show as collected on the merchant's side."""

import io

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import User
from firstmile.bundles.models import Bundle
from firstmile.demo.data import DEMO_PASSWORD
from firstmile.shipping.models import Order, Waybill
from firstmile.shipping.services import shipment_arrange

pytestmark = pytest.mark.browser


def _log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")


def test_a_merchant_bundles_three_labels_and_the_driver_collects_them_with_one_scan(
    demo, playwright, browser_type_launch_args
):
    merchant_actor = Actor.for_user(User.objects.get(username="dg_merchant"))
    waiting = Order.objects.filter(
        merchant=merchant_actor.organisation, status="awaiting_shipment", warehouse__code="DG-HM-01"
    )
    shipment_arrange(actor=merchant_actor, order_ids=[waiting.first().pk])
    labels = list(
        Waybill.objects.filter(handover_method="PICKUP", status="issued", warehouse__code="DG-HM-01")
        .order_by("pk")
        .values_list("waybill_no", flat=True)[:3]
    )
    assert len(labels) == 3
    browser = playwright.chromium.launch(**browser_type_launch_args)
    office = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    try:
        merchant = office.new_page()
        _log_in(merchant, demo.url, "dg_merchant")
        merchant.get_by_role("link", name="集包", exact=True).first.click()  # the side menu
        expect(merchant.locator("h1")).to_have_text("集包")
        merchant.select_option("select[name=warehouse_id]", label="东莞洪梅一号仓 (DG-HM-01)")
        merchant.select_option("select[name=handover_method]", value="PICKUP")
        merchant.get_by_role("button", name="新建集包").click()
        expect(merchant.locator(".messages")).to_contain_text("请扫描包裹面单")
        for number in labels:  # a scanner gun types the number and Enter
            merchant.fill("input[name=waybill_no]", number)
            merchant.press("input[name=waybill_no]", "Enter")
            expect(merchant.locator(".messages")).to_contain_text("已加入集包")
        expect(merchant.locator("#bundle-count")).to_have_text("3")
        merchant.fill("input[name=weight_kg]", "2.5")
        merchant.get_by_role("button", name="封包", exact=True).click()
        expect(merchant.locator("h1 .badge")).to_have_text("已封包")
        bundle = Bundle.objects.get(status="closed", warehouse__code="DG-HM-01")
        href = merchant.get_by_role("link", name="打印面单（PDF）").get_attribute("href")
        label = merchant.request.get(f"{demo.url}{href}")
        assert label.headers["content-type"] == "application/pdf"
        page = pypdfium2.PdfDocument(io.BytesIO(label.body()))[0]
        assert bundle.number in [r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]

        driver = phone.new_page()
        _log_in(driver, demo.url, "jt_driver")
        driver.goto(f"{demo.url}/driver/")
        driver.fill("input[name=waybill_no]", bundle.number)
        driver.get_by_role("button", name="揽收", exact=True).click()
        expect(driver.locator(".messages")).to_contain_text(f"已揽收集包 {bundle.number}：3 件")
        assert driver.evaluate("document.documentElement.scrollWidth") <= 390

        merchant.goto(f"{demo.url}/merchant/parcels/{labels[0]}/")
        expect(merchant.locator("[data-status]").first).to_have_attribute("data-status", "collected")
        expect(merchant.locator(".timeline")).to_contain_text(f"随集包 {bundle.number} 揽收了该包裹")
        merchant.goto(f"{demo.url}/merchant/bundles/{bundle.pk}/")
        expect(merchant.locator("h1 .badge")).to_have_text("已揽收")
        # The bundle page on a phone, in English.
        small = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
        _log_in(small, demo.url, "dg_merchant")
        small.context.add_cookies([{"name": "django_language", "value": "en", "url": demo.url}])
        small.goto(f"{demo.url}/merchant/bundles/{bundle.pk}/")
        expect(small.locator("h1")).to_contain_text("Bundle")
        assert small.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        browser.close()
