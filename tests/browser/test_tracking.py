import pytest
from playwright.sync_api import expect

from firstmile.shipping.models import Waybill

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username", ["dg_merchant", "jt_admin", "ops"])
def test_each_party_finds_a_parcel_from_the_header_and_opens_its_page(login, demo, username):
    waybill = Waybill.objects.filter(carrier__code="JT").first()
    page = login(username)
    page.fill("#header-search", waybill.waybill_no.lower())
    page.press("#header-search", "Enter")
    expect(page.locator("h1")).to_contain_text(waybill.waybill_no)
    expect(page.locator("[data-status]")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("生成了运单和面单")  # waybill.issued, as a sentence


@pytest.mark.parametrize(
    ("language", "track", "printed"), [("zh-hans", "查询", "已打单"), ("en", "Track", "Label printed")]
)
def test_the_public_page_on_a_phone(page, demo, language, track, printed):
    waybill = Waybill.objects.filter(status="issued").first()
    last4 = "".join(c for c in waybill.sender_phone if c.isdigit())[-4:]
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": demo.url}])
    page.goto(f"{demo.url}/track/")
    page.fill("input[name=waybill_no]", waybill.waybill_no)
    page.fill("input[name=phone_last4]", last4)
    page.get_by_role("button", name=track, exact=True).click()
    result = page.locator("#tracking-result")
    expect(result).to_contain_text(waybill.waybill_no)
    expect(result.locator(".timeline")).to_contain_text(printed)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("width", [1366, 390])
def test_a_carrier_opens_its_performance_page_and_clicks_a_figure_through_to_its_parcels(login, demo, width):
    errors = []
    page = login("jt_admin")
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 900})
    if width > 600:
        page.get_by_role("link", name="数据表现").first.click()  # the side menu
    else:
        page.goto(f"{demo.url}/carrier/performance/")  # the menu is folded on a phone
    expect(page.locator("h1")).to_have_text("数据表现")
    # ECharts drew its canvas under the CSP (no inline script, no CDN).
    expect(page.locator('[data-chart="rates"] canvas')).to_have_count(1)
    expect(page.locator('[data-chart="hours"] canvas')).to_have_count(1)
    expect(page.locator("[data-review-sla] .stat")).to_have_count(5)
    labels = Waybill.objects.filter(carrier__code="JT").count()
    tile = page.locator("a[data-count]").filter(has_text="已打印面单")
    expect(tile.locator(".n")).to_have_text(str(labels))
    tile.click()
    expect(page.locator("h1")).to_have_text("已打印面单")
    rows = page.locator("[data-drill-parcels] tbody tr")
    expect(rows).to_have_count(labels)
    number = rows.first.locator("a.code").inner_text()
    rows.first.locator("a.code").click()
    expect(page.locator("h1")).to_contain_text(number)
    assert errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
