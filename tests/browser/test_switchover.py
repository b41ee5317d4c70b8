from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from firstmile.core.clock import beijing_day_bounds, beijing_today

from .conftest import pick_region

pytestmark = pytest.mark.browser


def test_operator_pushes_carrier_approves_clock_passes_cutover_merchant_prints_ws(login, demo, worker, page):
    cutover = beijing_day_bounds(beijing_today() + timedelta(days=1))[0]  # tomorrow 00:00 Beijing
    # The operator plans J&T → Wanse and schedules Dongguan for tomorrow 00:00.
    login("ops")
    page.goto(f"{demo.url}/ops/switchovers/")
    plan = page.locator("form", has=page.locator("select[name=from_carrier]"))
    plan.locator("input[name=name]").fill("极兔 → 万色")
    plan.locator("select[name=from_carrier]").select_option("JT")
    plan.locator("select[name=to_carrier]").select_option("WS")
    plan.get_by_role("button", name="计划").click()
    batch_form = page.locator("form.batch-form")
    batch_form.locator("input[name=name]").fill("东莞")
    batch_form.locator("input[name=cutover_at]").fill(cutover.strftime("%Y-%m-%dT%H:%M"))
    pick_region(page, batch_form.locator(".region-picker"), "广东省", "东莞市")
    batch_form.get_by_role("button", name="安排批次").click()
    expect(page.locator(".messages")).to_contain_text("批次 东莞 已安排")
    page.get_by_role("button", name="向新服务商推送地址").click()
    expect(page.locator(".messages")).to_contain_text("地址推送已在后台开始")
    # The worker runs the push; the page polls it to the end.
    expect(page.locator("#push-progress [data-testid=job]")).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.locator("#push-progress")).to_contain_text("已处理 1 / 1 个仓库")

    # Wanse approves its pushed requests in bulk.
    page.context.clear_cookies()
    login("ws_dispatch")
    page.goto(f"{demo.url}/carrier/pickup-requests/")
    expect(page.locator("tr", has_text="DG-HM-01")).to_contain_text("切换")
    page.get_by_label("全选").check()
    page.get_by_role("button", name="批准所选").click()
    expect(page.locator(".messages")).to_contain_text("已批准 1 个揽收申请")

    # The merchant is told what is coming.
    page.context.clear_cookies()
    login("dg_merchant")
    expect(page.locator(".notice[data-warehouse=DG-HM-01]")).to_contain_text("万色速递")

    # The clock passes the cutover: the next label is Wanse's, PICK UP, to 东莞洪梅.
    with time_machine.travel(cutover + timedelta(hours=9), tick=True):
        page.goto(f"{demo.url}/merchant/orders/")
        page.locator("tr", has_text="TT202309180002").locator("input[name=order_ids]").check()
        page.get_by_role("button", name="为所选订单安排发货").click()
        expect(page.locator(".messages")).to_contain_text("1 PICK UP")
        number = page.locator("tr", has_text="TT202309180002").locator(".code").inner_text()
        assert number.startswith("WS")
        page.get_by_role("link", name="TT202309180002").click()
        expect(page.locator(".card", has=page.locator("h2", has_text="面单"))).to_contain_text("万色东莞洪梅分拨仓")
        page.goto(f"{demo.url}/merchant/")
        expect(page.locator(".notice[data-warehouse=DG-HM-01]")).to_contain_text("运单号以 WS 开头")
        page.screenshot(path="test-results/merchant-switched.png", full_page=True)
