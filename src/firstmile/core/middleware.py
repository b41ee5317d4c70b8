"""Refuse control characters before any view sees them.

PostgreSQL cannot store NUL in text, and other C0 control characters in a name
or a waybill number are never meant: they come from fuzzers, broken encoders or
attacks on exports and logs. One check at the door covers every query
parameter, form field and JSON string of the portals and the API, and answers
with the field's name (a 400, nothing changed) instead of a 500 deep inside.
Tabs and line breaks stay allowed in bodies, where text areas produce them.
"""

from __future__ import annotations

import json
import re

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import error_codes
from .errors import ApplicationError

_IN_QUERY = re.compile(r"[\x00-\x1f\x7f]")
_IN_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_JSON_CHECK_BYTES = 5 * 1024 * 1024


def _bad(text: str, pattern: re.Pattern) -> bool:
    return bool(pattern.search(text) or _SURROGATE.search(text))


def _first_bad_in_json(value, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding a control character."""
    if isinstance(value, str):
        return path or "body" if _bad(value, _IN_BODY) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _bad(str(key), _IN_QUERY):
                return here
            found = _first_bad_in_json(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad_in_json(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class ControlCharacterGuard:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._offending_field(request)
        if field is not None:
            error = ApplicationError(
                error_codes.INVALID_INPUT,
                _("%(field)s contains control characters (such as NUL); remove them and try again.") % {"field": field},
                field=field,
            )
            if request.path.startswith("/api/"):
                return JsonResponse(error.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "portals/error.html", {"error": error}, status=400)
        return self.get_response(request)

    @staticmethod
    def _offending_field(request) -> str | None:
        if _bad(request.path, _IN_QUERY):
            return "path"
        for key, values in request.GET.lists():
            if _bad(key, _IN_QUERY) or any(_bad(v, _IN_QUERY) for v in values):
                return key
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        content_type = request.content_type or ""
        if content_type.startswith(_FORM_TYPES):
            for key, values in request.POST.lists():
                if _bad(key, _IN_QUERY) or any(_bad(v, _IN_BODY) for v in values):
                    return key
        elif content_type == "application/json" and len(request.body) <= MAX_JSON_CHECK_BYTES:
            try:
                # The escaped form (\u0000) is what JSON carries; only the parsed strings tell.
                data = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                return None  # malformed JSON is the parser's to report, with its position
            return _first_bad_in_json(data)
        return None
