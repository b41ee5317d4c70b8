import re

import pytest
from playwright.sync_api import expect

from .conftest import pick_region

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "path", "zh_heading", "en_heading"),
    [
        ("dg_merchant", "/merchant/", "商家后台", "Merchant portal"),
        ("ws_dispatch", "/carrier/", "服务商后台", "Carrier portal"),
        ("ws_driver", "/driver/", "司机页面", "Driver page"),
        ("ops", "/ops/", "运营后台", "Operations portal"),
    ],
)
def test_each_party_logs_in_switches_language_and_sees_its_home(login, demo, username, path, zh_heading, en_heading):
    page = login(username)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("h1")).to_have_text(zh_heading)
    page.select_option("#language-select", "en")
    expect(page.locator("h1")).to_have_text(en_heading)
    page.select_option("#language-select", "zh-hans")
    expect(page.locator("h1")).to_have_text(zh_heading)


def test_a_merchant_cannot_open_the_carrier_or_ops_portal(login, demo):
    page = login("dg_merchant")
    for path in ("/carrier/", "/ops/", "/ops/coverage/"):
        response = page.goto(f"{demo.url}{path}")
        assert response.status == 403
        expect(page.locator("h1")).to_have_text("无权访问")


def test_ops_picks_a_town_with_the_cascading_picker_and_assigns_it(login, demo):
    page = login("ops")
    page.goto(f"{demo.url}/ops/coverage/")
    form = page.locator("#assign-coverage")
    pick_region(page, form.locator(".region-picker"), "广东省", "东莞市", "洪梅镇")
    expect(form.locator("input[name=division]")).to_have_value("441900125")
    form.locator("select[name=carrier]").select_option("WS")
    form.locator("input[name=valid_from]").fill("2030-09-19T00:00")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("洪梅镇")
    page.screenshot(path="test-results/ops-coverage.png", full_page=True)


def test_merchant_checks_coverage_of_an_address(login, demo):
    page = login("fs_merchant")
    picker = page.locator("#picker-division")
    pick_region(page, picker, "广东省", "佛山市", "南海区")
    expect(picker.locator("select")).to_have_count(4)
    expect(picker.locator("input[name=division]")).to_have_value("440605")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#coverage-result")).to_contain_text("不在任何揽收服务商的揽收范围内")
    page.screenshot(path="test-results/merchant-home.png", full_page=True)


def test_the_api_docs_render_under_the_content_security_policy(login, demo):
    page = login("dg_merchant")
    page.goto(f"{demo.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Firstmile API")


@pytest.mark.parametrize("username", ["dg_merchant", "ws_dispatch", "ops"])
def test_the_side_menu_folds_behind_a_button_on_a_phone(login, demo, page, username):
    page.set_viewport_size({"width": 390, "height": 844})
    login(username)
    menu = page.locator("#sidenav")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name="菜单").click()
    expect(menu).to_be_visible()
    expect(page.get_by_role("button", name="菜单")).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # On a laptop it is always there, grouped.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    expect(menu).to_be_visible()
    expect(menu.locator(".navgroup-heading").first).to_have_text("首页")


def test_warehouse_form_reads_a_pasted_address_into_region_and_detail(login, demo):
    page = login("dg_merchant")
    page.goto(f"{demo.url}/merchant/warehouses/new/")
    page.fill("#address-paste", "广东省东莞市长安镇锦厦社区振安路5号")
    page.get_by_role("button", name="识别").click()
    use = page.get_by_role("button", name="使用此地区和详细地址")
    expect(use).to_be_visible()
    expect(page.locator("#address-result")).to_contain_text("长安镇")
    use.click()
    expect(page.locator("#picker-division input[name=division]")).to_have_value("441900119")
    expect(page.locator("input[name=address_detail]")).to_have_value("锦厦社区振安路5号")
    page.fill("input[name=name]", "东莞长安三号仓")
    page.fill("input[name=code]", "DG-CA-03")
    page.fill("input[name=contact_name]", "陈经理")
    page.fill("input[name=phone]", "13800138000")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_contain_text("东莞长安三号仓")
    expect(page.locator(".card", has_text="服务商看到的信息")).to_contain_text("广东省 东莞市 长安镇 锦厦社区振安路5号")
