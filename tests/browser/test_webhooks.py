"""A merchant's admin registers a webhook endpoint, sees the secret once, and watches a signed delivery land."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from ..events.receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def test_admin_adds_an_endpoint_rotates_its_secret_and_sees_the_delivery(login, demo, worker, receiver, page):
    page.on("dialog", lambda dialog: dialog.accept())
    login("dg_merchant")
    page.goto(f"{demo.url}/merchant/webhooks/")
    form = page.locator("#add-endpoint")
    form.locator("input[name=url]").fill(receiver.url)
    form.locator("input[value='webhook_endpoint.secret_rotated']").check()
    form.get_by_role("button", name="添加").click()
    first_secret = page.get_by_test_id("webhook-secret").inner_text()
    assert first_secret.startswith("whsec_")

    page.goto(f"{demo.url}/merchant/webhooks/")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # shown once
    row = page.locator("tr", has_text=receiver.url)
    row.get_by_role("button", name="轮换密钥").click()
    new_secret = page.get_by_test_id("webhook-secret").inner_text()
    assert new_secret.startswith("whsec_") and new_secret != first_secret

    # The rotation is itself an event the endpoint asked for: the worker delivers it, signed by both secrets.
    for _ in range(300):  # up to 30 s: the worker process may still be starting
        if receiver.received:
            break
        page.wait_for_timeout(100)
    got = receiver.received[0]
    assert Webhook(new_secret).verify(got.body, got.headers)["type"] == "webhook_endpoint.secret_rotated"
    Webhook(first_secret).verify(got.body, got.headers)

    page.goto(f"{demo.url}/merchant/webhooks/")
    delivered = page.locator("#deliveries tr", has_text="webhook_endpoint.secret_rotated")
    expect(delivered).to_contain_text("已送达")
    delivered.get_by_role("link").first.click()
    expect(page.locator("body")).to_contain_text(got.headers["webhook-id"])
