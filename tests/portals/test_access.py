import pytest
from django.urls import reverse

from firstmile.accounts.models import OrganisationKind, Role

from .. import factories

pytestmark = pytest.mark.django_db

PORTAL_URLS = {
    "merchant": "/merchant/",
    "carrier": "/carrier/",
    "ops": "/ops/",
    "driver": "/driver/",
}


def _login(client, kind, role=Role.ADMIN):
    user = factories.user(factories.organisation(kind), role)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("kind", "role", "portal"),
    [
        (OrganisationKind.MERCHANT, Role.ADMIN, "merchant"),
        (OrganisationKind.MERCHANT, Role.STAFF, "merchant"),
        (OrganisationKind.CARRIER, Role.ADMIN, "carrier"),
        (OrganisationKind.CARRIER, Role.DRIVER, "driver"),
        (OrganisationKind.PLATFORM, Role.STAFF, "ops"),
    ],
)
def test_each_party_lands_on_its_own_portal_and_no_other(client, kind, role, portal):
    _login(client, kind, role)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == PORTAL_URLS[portal]
    assert client.get(PORTAL_URLS[portal]).status_code == 200
    for other, url in PORTAL_URLS.items():
        if other != portal:
            assert client.get(url).status_code == 403, f"{portal} user opened {url}"


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/ops/coverage/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("portals:login"))


def test_login_with_the_right_password_lands_on_the_portal(client):
    user = factories.user(factories.organisation(OrganisationKind.CARRIER), Role.ADMIN)
    response = client.post("/login/", {"username": user.username, "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/carrier/"


def test_wrong_login_says_so_in_chinese_and_in_english(client):
    user = factories.user(factories.organisation())
    zh = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert zh.status_code == 200
    assert "请输入一个正确的" in zh.content.decode()
    en = client.post("/login/", {"username": user.username, "password": "wrong"}, headers={"Accept-Language": "en"})
    assert "Please enter a correct" in en.content.decode()
    assert "_auth_user_id" not in client.session


def test_merchants_and_carriers_never_reach_django_admin(client):
    _login(client, OrganisationKind.MERCHANT)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_platform_admin_reaches_django_admin(client):
    _login(client, OrganisationKind.PLATFORM, Role.ADMIN)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/geo/division/").status_code == 200


def test_language_switcher_changes_the_portal_language(client):
    _login(client, OrganisationKind.MERCHANT)
    assert "商家后台" in client.get("/merchant/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/merchant/"})
    page = client.get("/merchant/").content.decode()
    assert "Merchant portal" in page
    assert "商家后台" not in page
