"""django-csp with the policy string built once.

django-csp rebuilds the Content-Security-Policy header from settings for every
response, exempt or not; on the hottest API read that was the dearest piece of
the middleware stack. Nothing in Firstmile varies the policy per response (no
nonces, no per-view decorators), so a response that asks for nothing of its own
gets the string built at start-up; one that does goes through django-csp as usual.
"""

from __future__ import annotations

from functools import cached_property

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings

_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class ConstantCSPMiddleware(CSPMiddleware):
    @cached_property
    def _policies(self) -> tuple[str, str]:
        return build_policy(), build_policy(report_only=True)

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _PER_RESPONSE):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        policy, report_only = self._policies
        for header, value, exempt, setting in (
            (HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, report_only, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            excluded = bool(prefixes) and request.path_info.startswith(prefixes)
            if value and header not in response and not getattr(response, exempt, False) and not excluded:
                response[header] = value
        request.csp_nonce = self._nonce_after_response
        return response

    @cached_property
    def _nonce_after_response(self):
        # As django-csp does: a nonce asked for after the header is written is an error.
        return CheckableLazyObject(self._csp_nonce_post_response)
