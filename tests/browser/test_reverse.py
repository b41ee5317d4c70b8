import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_merchant_batch_registers_self_pickup_warehouse_hands_over_merchant_sees_completed(login, demo, page):
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/reverse/")
    page.locator("a[data-tab=intercept_refused]").click()
    expect(page.locator("a[data-tab=intercept_refused] .count")).to_have_text("2")
    rows = page.locator("table.reverse tbody tr")
    expect(rows).to_have_count(2)
    for number in ("RV2407240001", "RV2407240002"):
        page.get_by_label(number).check()
    page.get_by_role("button", name="批量登记提货").click()
    form = page.locator("#register-form")
    form.locator("input[value=self_pickup]").check()
    form.locator("input[name=expected_pickup_at]").fill("2030-07-26T10:00")
    form.locator("input[name=person_name]").fill("陈经理")
    form.locator("input[name=phone]").fill("13800138000")
    form.get_by_role("button", name="下一步：核对").click()
    expect(page.locator("#register-form")).to_contain_text("提交后不支持修改")
    page.get_by_role("button", name="确定").click()
    expect(page.locator(".messages")).to_contain_text("已为 2 个逆向管理单登记提货")
    page.locator("a[data-tab=intercept_refused]").click()
    expect(page.locator("table.reverse tbody")).to_contain_text("包裹待提货")

    # The consolidation warehouse checks the pickup person and hands both over.
    page.context.clear_cookies()
    login("ws_dispatch")
    page.goto(f"{demo.url}/carrier/reverse/")
    for number in ("RV2407240001", "RV2407240002"):
        card = page.locator(f"section[data-reverse={number}]")
        card.locator("input[name=person_name]").fill("陈经理")
        card.locator("input[name=phone]").fill("13800138000")
        card.get_by_role("button", name="核对并交接").click()
        expect(page.locator(".messages")).to_contain_text("已保存")
    page.screenshot(path="test-results/carrier-reverse.png", full_page=True)

    page.context.clear_cookies()
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/reverse/?tab=intercept_refused")
    expect(page.locator("table.reverse tbody tr", has_text="已完成")).to_have_count(2)
    page.screenshot(path="test-results/merchant-reverse.png", full_page=True)
