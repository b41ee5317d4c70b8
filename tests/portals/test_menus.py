"""The grouped side menu shows each party and role what it can use."""

from __future__ import annotations

import pytest
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.reverse.services import consolidation_agree

from .. import factories

pytestmark = pytest.mark.django_db


def _menu(user) -> str:
    client = Client()
    client.force_login(user)
    page = client.get("/", follow=True, headers={"Accept-Language": "zh-hans"})
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('<nav class="sidenav')
    return html[start : html.index("</nav>", start)]


def test_the_merchant_menu_is_grouped_and_people_is_for_admins():
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    admin = _menu(factories.user(merchant, Role.ADMIN))
    for heading in ("首页", "仓库与揽收", "订单与发货", "交接与轨迹", "售后/逆向", "设置与集成"):
        assert f'<div class="navgroup-heading">{heading}</div>' in admin
    assert "人员与集成" in admin and "消息推送（Webhook）" in admin and "Webhooks<" not in admin
    assert 'class="active" aria-current="page">商家首页' in admin
    assert "人员与集成" not in _menu(factories.user(merchant, Role.STAFF))


def test_a_carrier_without_consolidation_has_no_reverse_menu():
    jt, ws = factories.carrier("JT"), factories.carrier("WS")
    consolidation_agree(
        actor=None, carrier_code="WS", merchant_code=factories.organisation(OrganisationKind.MERCHANT).code
    )
    assert "直邮逆向管理" not in _menu(factories.user(jt.organisation, Role.STAFF))
    assert "直邮逆向管理" in _menu(factories.user(ws.organisation, Role.STAFF))


def test_ops_sees_the_network_and_the_admin_link():
    ops = _menu(factories.user(factories.organisation(OrganisationKind.PLATFORM), Role.STAFF))
    assert "揽收网络" in ops and "/admin/" in ops and "人员与集成" not in ops


def test_drivers_get_no_side_menu():
    carrier = factories.carrier("WS")
    client = Client()
    client.force_login(factories.user(carrier.organisation, Role.DRIVER))
    page = client.get("/driver/").content.decode()
    assert "sidenav" not in page and "data-toggle-nav" not in page


def test_every_page_names_an_icon_and_favicon_ico_finds_it():
    page = Client().get("/login/").content.decode()
    assert 'rel="icon" href="/static/portals/favicon.svg"' in page
    icon = Client().get("/favicon.ico", follow=True)
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)
