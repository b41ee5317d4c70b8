"""An organisation admin manages people and tokens in the portal; staff do not see the page."""

import re

import pytest
from playwright.sync_api import expect

from firstmile.accounts.models import ApiToken, User

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_person_issues_a_token_once_and_revokes_it(login, demo, browser):
    page = login("dg_merchant")
    page.click("text=人员与集成")
    expect(page).to_have_url(re.compile(r"/merchant/people/$"))
    page.fill("#add-user input[name=username]", "packer")
    page.fill("#add-user input[name=first_name]", "打包员小李")
    page.fill("#add-user input[name=password]", "password")
    page.click("#add-user button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("密码")  # a common password is refused, in Chinese
    assert not User.objects.filter(username="packer").exists()
    page.fill("#add-user input[name=username]", "packer")
    page.fill("#add-user input[name=password]", "ocean-lantern-42")
    page.click("#add-user button[type=submit]")
    expect(page.locator("tr[data-user=packer]")).to_contain_text("员工")

    page.fill("#issue-token input[name=name]", "店铺ERP")
    page.click("#issue-token button[type=submit]")
    secret = page.locator("[data-testid=token-secret]").inner_text().strip()
    assert secret.startswith("fm_")
    page.goto(f"{demo.url}/merchant/people/")
    expect(page.locator("[data-testid=token-secret]")).to_have_count(0)
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-token=店铺ERP] button").click()
    expect(page.locator("tr[data-token=店铺ERP]")).to_contain_text("已吊销")
    assert ApiToken.objects.get(name="店铺ERP").revoked_at is not None

    staff = browser.new_context(locale="zh-CN").new_page()
    staff.goto(f"{demo.url}/login/")
    staff.fill("input[name=username]", "packer")
    staff.fill("input[name=password]", "ocean-lantern-42")
    staff.click("button[type=submit]")
    expect(staff.locator("nav.mainnav")).not_to_contain_text("人员与集成")
    assert staff.goto(f"{demo.url}/merchant/people/").status == 403
