"""The Content-Security-Policy header, built once, is the one django-csp would build each time."""

from csp.constants import NONCE, SELF
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from firstmile.core.csp import ConstantCSPMiddleware


def _through(response, request=None):
    request = request or RequestFactory().get("/api/v1/me")
    middleware = ConstantCSPMiddleware(lambda r: response)
    middleware.process_request(request)
    return middleware.process_response(request, response)


def test_every_response_gets_django_csps_own_policy(client):
    expected = build_policy()
    assert "frame-ancestors 'none'" in expected
    assert client.get("/api/v1/me")["Content-Security-Policy"] == expected  # a JSON answer too
    assert client.get("/login/")["Content-Security-Policy"] == expected


def test_a_response_that_changes_its_policy_still_gets_its_own():
    response = HttpResponse()
    response._csp_update = {"img-src": ["https://img.example"]}
    assert "https://img.example" in _through(response)["Content-Security-Policy"]


def test_an_exempt_response_or_one_with_its_header_is_left_alone():
    exempt = HttpResponse()
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in _through(exempt)
    own = HttpResponse()
    own["Content-Security-Policy"] = "default-src 'none'"
    assert _through(own)["Content-Security-Policy"] == "default-src 'none'"


def test_a_page_that_used_a_nonce_gets_it_in_its_header(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    request = RequestFactory().get("/")
    response = HttpResponse()
    middleware = ConstantCSPMiddleware(lambda r: response)
    middleware.process_request(request)
    nonce = str(request.csp_nonce)
    header = middleware.process_response(request, response)["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" in header and header == build_policy(nonce=nonce)
