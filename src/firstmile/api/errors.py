"""One error shape for every API failure: {"code", "message", "field"}."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from firstmile.core import error_codes
from firstmile.core.errors import ApplicationError

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "data", "filters"}


def _field_of(loc: list) -> str | None:
    names = [str(part) for part in loc if str(part) not in _LOCATIONS]
    return ".".join(names) or None


def install(api: NinjaAPI) -> None:
    def error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None, extra=None):
        body = {"code": code, "message": message, "field": field}
        if extra:
            body["extra"] = extra
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return error(request, int(exc.kind), exc.code, str(exc.message), exc.field, exc.extra)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(list(first.get("loc", [])))
        detail = first.get("msg", "")
        message = _("Invalid value for %(field)s: %(detail)s") % {"field": field or "?", "detail": detail}
        return error(request, 422, error_codes.INVALID_INPUT, message, field, {"errors": exc.errors})

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error(
            request,
            401,
            error_codes.UNAUTHENTICATED,
            _("Authentication required: send 'Authorization: Bearer <API token>'."),
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error(request, 403, error_codes.FORBIDDEN, _("You may not do this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(request, 404, error_codes.NOT_FOUND, _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error(request, exc.status_code, error_codes.INVALID_INPUT, str(exc))
