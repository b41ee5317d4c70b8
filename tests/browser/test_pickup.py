import pytest
from playwright.sync_api import expect

from .conftest import pick_region

pytestmark = pytest.mark.browser


def test_merchant_saves_a_dongguan_address_carrier_approves_merchant_sees_pickup_supported(login, demo, page):
    # The merchant adds a warehouse in Dongguan's 麻涌镇.
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/warehouses/new/")
    form = page.locator("#warehouse-form")
    form.locator("input[name=name]").fill("东莞麻涌三号仓")
    form.locator("input[name=code]").fill("DG-MY-03")
    form.locator("input[name=contact_name]").fill("陈经理")
    form.locator("input[name=phone]").fill("138 0013 8000")
    pick_region(page, form.locator(".region-picker"), "广东省", "东莞市", "麻涌镇")
    form.locator("input[name=address_detail]").fill("麻涌大道100号")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("极兔速递")
    expect(page.locator("h1")).to_contain_text("揽收待审核")
    expect(page.locator(".explain")).to_contain_text("DROP OFF")

    # J&T, which covers Dongguan, approves it in its review queue.
    page.context.clear_cookies()
    login("jt_dispatch")
    page.goto(f"{demo.url}/carrier/pickup-requests/")
    row = page.locator("tr", has_text="DG-MY-03")
    expect(row).to_contain_text("麻涌大道100号")
    row.locator("input[name=ids]").check()
    page.get_by_role("button", name="批准所选").click()
    expect(page.locator(".messages")).to_contain_text("已批准 1 个揽收申请")

    # The merchant now sees 支持揽收 under the warehouse name.
    page.context.clear_cookies()
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/warehouses/")
    row = page.locator("tr", has_text="DG-MY-03")
    expect(row.locator(".badge-ok")).to_have_text("支持揽收")
    expect(row).to_contain_text("PICK UP")
    page.screenshot(path="test-results/merchant-warehouses.png", full_page=True)


def test_carrier_rejects_with_a_reason_and_merchant_reads_it(login, demo, page):
    login("jt_dispatch")
    page.goto(f"{demo.url}/carrier/pickup-requests/")
    row = page.locator("tr", has_text="SZ-FT-01")
    row.locator("input[name=ids]").check()
    page.locator("select[name=reason]").select_option("merchant_declined")
    page.get_by_role("button", name="拒绝所选").click()
    expect(page.locator(".messages")).to_contain_text("已拒绝 1 个揽收申请")
    page.screenshot(path="test-results/carrier-queue.png", full_page=True)

    page.context.clear_cookies()
    login("sz_merchant")
    page.goto(f"{demo.url}/merchant/warehouses/")
    page.get_by_role("link", name="深圳福田仓").click()
    expect(page.locator(".explain")).to_contain_text("商家无需揽收")
    expect(page.locator(".explain")).to_contain_text("DROP OFF")
