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

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
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


# No request the API documents nests deeper than a handful of levels; far deeper
# bodies are attacks on recursive parsers and walkers (Python's own json module
# gives up near 1,000 levels with a RecursionError).
MAX_JSON_DEPTH = 64


class TooDeep(Exception):
    pass


def _first_bad_in_json(value) -> str | None:
    """The dotted path of the first string (key or value) holding a control character.

    Walked with an explicit stack, never recursion, so untrusted nesting cannot
    exhaust the interpreter's stack; past MAX_JSON_DEPTH it raises TooDeep.
    """
    stack = [(value, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if _bad(value, _IN_BODY):
                return path or "body"
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise TooDeep
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                here = f"{path}.{key}" if path else str(key)
                if _bad(str(key), _IN_QUERY):
                    return here
                items.append((item, here, depth + 1))
        else:
            items = [(item, f"{path}.{index}" if path else str(index), depth + 1) for index, item in enumerate(value)]
        stack.extend(reversed(items))  # document order: the first offending field is named
    return None


class ControlCharacterGuard:
    """Also answers, in the error shape of the API or the portals, the bodies
    Django refuses while reading them (too large, too many fields) and JSON
    nested past MAX_JSON_DEPTH, which would otherwise surface as Django's HTML
    400 page or a RecursionError's 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            field = self._offending_field(request)
        except RequestDataTooBig:
            return self._refuse(
                request,
                ApplicationError(
                    error_codes.BODY_TOO_LARGE,
                    _("The request body is larger than %(n)s MB; send less at once.")
                    % {"n": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)},
                    field="body",
                ),
                status=413,
            )
        except (TooManyFieldsSent, TooManyFilesSent):
            return self._refuse(
                request,
                ApplicationError(error_codes.INVALID_INPUT, _("The form sends too many fields."), field="body"),
            )
        except (TooDeep, RecursionError):
            return self._refuse(
                request,
                ApplicationError(
                    error_codes.INVALID_INPUT,
                    _("The JSON body is nested more than %(n)s levels deep.") % {"n": MAX_JSON_DEPTH},
                    field="body",
                ),
            )
        if field is not None:
            return self._refuse(
                request,
                ApplicationError(
                    error_codes.INVALID_INPUT,
                    _("%(field)s contains control characters (such as NUL); remove them and try again.")
                    % {"field": field},
                    field=field,
                ),
            )
        return self.get_response(request)

    @staticmethod
    def _refuse(request, error: ApplicationError, status: int = 400):
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})
        return render(request, "portals/error.html", {"error": error}, status=status)

    @staticmethod
    def _offending_field(request) -> str | None:
        if _bad(request.path, _IN_QUERY):
            return "path"
        for key, values in request.GET.lists():
            if _bad(key, _IN_QUERY) or any(_bad(v, _IN_QUERY) for v in values):
                return key
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        content_type = request.content_type or ""
        if content_type.startswith(_FORM_TYPES):
            for key, values in request.POST.lists():
                if _bad(key, _IN_QUERY) or any(_bad(v, _IN_BODY) for v in values):
                    return key
        elif content_type == "application/json" or request.path.startswith("/api/"):
            # The API parses any other body as JSON too, so it is checked the same way.
            body = request.body  # raises RequestDataTooBig past DATA_UPLOAD_MAX_MEMORY_SIZE
            if not body or len(body) > MAX_JSON_CHECK_BYTES:
                return None
            try:
                # The escaped form (\u0000) is what JSON carries; only the parsed strings tell.
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return None  # malformed JSON is the parser's to report, with its position
            return _first_bad_in_json(data)
        return None
