"""From a booked pickup slot to a handover list signed on the driver's phone, downloaded by both sides."""

import io
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect

from firstmile.demo.data import DEMO_PASSWORD
from firstmile.dispatch.models import HandoverList
from firstmile.shipping.models import Waybill

pytestmark = pytest.mark.browser


def _barcodes(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    return [r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]


def test_slot_booked_one_parcel_missing_signed_on_the_phone_and_both_download_the_pdf(
    demo, playwright, browser_type_launch_args, tmp_path
):
    first, second = Waybill.objects.filter(handover_method="PICKUP").order_by("pk")
    browser = playwright.chromium.launch(**browser_type_launch_args)
    office = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    try:
        # The merchant books a pickup slot for the first parcel on its order page.
        merchant = office.new_page()
        merchant.goto(f"{demo.url}/login/")
        merchant.fill("input[name=username]", "dg_merchant")
        merchant.fill("input[name=password]", DEMO_PASSWORD)
        merchant.click("button[type=submit]")
        merchant.goto(f"{demo.url}/merchant/orders/{first.order_id}/")
        slots = merchant.locator("#pickup-slot")
        expect(slots).to_contain_text("可预约时段")
        slots.locator("input[name=slot]:not([disabled])").first.check()
        slots.get_by_role("button", name="预约此时段").click()
        expect(merchant.locator(".messages")).to_contain_text("已预约揽收时段")
        first.refresh_from_db()
        assert first.pickup_window_id is not None
        expect(merchant.locator("#pickup-slot")).to_contain_text("已预约")

        # The driver, on a phone, collects only the first parcel at the stop: the second is missing.
        driver = phone.new_page()
        driver.goto(f"{demo.url}/login/")
        driver.fill("input[name=username]", "jt_driver")
        driver.fill("input[name=password]", DEMO_PASSWORD)
        driver.click("button[type=submit]")
        driver.goto(f"{demo.url}/driver/")
        driver.locator(".stop", has_text="东莞洪梅一号仓").get_by_role("link", name="交接单").click()
        driver.fill("input[name=waybill_no]", first.waybill_no)
        driver.get_by_role("button", name="揽收", exact=True).click()
        expect(driver.locator(".messages")).to_contain_text(f"已揽收 {first.waybill_no}")
        open_list = driver.locator("#open-list")
        expect(open_list).to_contain_text("已扫描 1 件，缺件 1 件")
        expect(open_list.locator("ol.missing")).to_contain_text(second.waybill_no)
        assert driver.evaluate("document.documentElement.scrollWidth") <= 390

        # The merchant's contact checks the list and signs on the screen with a finger.
        driver.fill("input[name=signer_name]", "陈经理")
        pad = driver.locator("canvas.signature-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        driver.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
        driver.mouse.down()
        for step in range(1, 16):
            driver.mouse.move(
                box["x"] + 20 + step * (box["width"] - 40) / 15,
                box["y"] + box["height"] * (0.3 if step % 2 else 0.7),
            )
        driver.mouse.up()
        driver.screenshot(path="test-results/handover-phone.png", full_page=True)
        driver.get_by_role("button", name="确认交接").click()
        expect(driver.locator(".messages")).to_contain_text("已确认：交接 1 件，缺件 1 件")
        handover = HandoverList.objects.get()
        assert (handover.status, handover.signer_name, handover.missing_count) == ("confirmed", "陈经理", 1)
        with driver.expect_download() as on_phone:
            driver.locator(".confirmed-list").get_by_role("link", name="下载 PDF").click()
        assert handover.number in _barcodes(Path(on_phone.value.path()).read_bytes())

        # The merchant sees the same list, the missing parcel included, and downloads it too.
        merchant.goto(f"{demo.url}/merchant/handovers/")
        merchant.get_by_role("link", name=handover.number).click()
        expect(merchant.locator("#missing")).to_contain_text(second.waybill_no)
        expect(merchant.locator("body")).to_contain_text("陈经理")
        with merchant.expect_download() as at_office:
            merchant.get_by_role("link", name="下载 PDF").click()
        pdf = Path(at_office.value.path()).read_bytes()
        assert handover.number in _barcodes(pdf)
        text = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()
        assert first.waybill_no in text and second.waybill_no in text
    finally:
        office.close()
        phone.close()
        browser.close()
