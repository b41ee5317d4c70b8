"""Lockouts and logs use the client's address, not the proxy's, and a forged X-Forwarded-For changes nothing."""

import pytest
from django.test import RequestFactory, override_settings

from firstmile.core.client_ip import client_ip


def _request(remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_socket_address_counts_and_the_header_is_ignored():
    assert client_ip(_request(forwarded="203.0.113.9")) == "10.0.0.5"


@override_settings(FIRSTMILE_TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote():
    assert client_ip(_request(forwarded="203.0.113.9")) == "203.0.113.9"
    # the client wrote the first entry itself; the proxy appended the real one
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"


@override_settings(FIRSTMILE_TRUSTED_PROXY_COUNT=2)
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.7, 10.0.0.9", "198.51.100.7"),
        ("6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        ("10.0.0.9", "10.0.0.5"),  # fewer hops than proxies: not through both
        ("not-an-ip, 10.0.0.9", "10.0.0.5"),
        ("2001:db8::1, 10.0.0.9", "2001:db8::1"),
    ],
)
def test_behind_two_proxies(forwarded, expected):
    assert client_ip(_request(forwarded=forwarded)) == expected


@pytest.mark.django_db
@override_settings(FIRSTMILE_TRUSTED_PROXY_COUNT=1)
def test_a_lockout_follows_the_client_behind_the_proxy(client):
    from axes.models import AccessAttempt

    from .. import factories

    factories.actor()
    for _ in range(5):
        client.post(
            "/login/",
            {"username": "nobody", "password": "wrong"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
