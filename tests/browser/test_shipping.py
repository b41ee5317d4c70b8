import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_arrange_print_collect_receive_and_the_merchant_sees_it_done(login, demo, page):
    # The merchant arranges shipment for a demo order and opens its label.
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/orders/")
    row = page.locator("tr", has_text="TT202309180001")
    row.locator("input[name=order_ids]").check()
    page.get_by_role("button", name="为所选订单安排发货").click()
    expect(page.locator(".messages")).to_contain_text("1 PICK UP")
    with page.expect_popup() as popup:
        page.get_by_role("link", name="打印面单（PDF）").click()
    label = popup.value
    assert label.url.endswith(".pdf") or "labels.pdf" in label.url
    label.close()
    number = page.locator("tr", has_text="TT202309180001").locator(".code").inner_text()
    assert re.fullmatch(r"JT\d{11}", number)

    # J&T plans the day again (the demo planned it already, with the stop on its
    # driver): the new parcel joins the stop; the driver calls, scans it and closes the stop.
    page.context.clear_cookies()
    login("jt_dispatch")
    page.goto(f"{demo.url}/carrier/dispatch/")
    page.get_by_role("button", name="规划当天").click()
    expect(page.locator(".messages")).to_contain_text("新增 1 个包裹")
    page.context.clear_cookies()
    login("jt_driver")
    stop = page.locator(".stop", has_text="东莞洪梅一号仓")
    expect(stop).to_contain_text(number)
    stop.get_by_role("button", name="记录通话").click()
    page.fill("input[name=waybill_no]", number.lower())
    page.get_by_role("button", name="揽收", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"已揽收 {number}")
    # Closing and failing sit apart, behind their own summary, and ask first.
    stop = page.locator(".stop", has_text="东莞洪梅一号仓")
    stop.locator("details.stop-end summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    stop.get_by_role("button", name="关闭站点").click()
    expect(page.locator(".messages")).to_contain_text("东莞洪梅一号仓")
    page.screenshot(path="test-results/driver.png", full_page=True)

    # The sorting centre scans it in: the first mile ends.
    page.context.clear_cookies()
    login("jt_dispatch")
    page.goto(f"{demo.url}/carrier/inbound/")
    page.fill("input[name=waybill_no]", number)
    page.get_by_role("button", name="入库").click()
    expect(page.locator("#inbound-results")).to_contain_text(number)
    page.fill("input[name=waybill_no]", number)
    page.get_by_role("button", name="入库").click()
    expect(page.locator("#inbound-results li").first).to_contain_text("已在分拨仓入库")

    # The merchant sees the parcel at the sorting centre.
    page.context.clear_cookies()
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/orders/?status=shipped")
    page.get_by_role("link", name="TT202309180001").click()
    expect(page.locator("h2", has_text="面单")).to_be_visible()
    expect(page.locator(".card", has=page.locator("h2", has_text="面单"))).to_contain_text("已到分拨仓")
    expect(page.locator(".timeline")).to_contain_text("已签收包裹")  # waybill.received, as a sentence
    page.screenshot(path="test-results/merchant-order.png", full_page=True)
