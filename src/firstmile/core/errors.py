"""One error model for services, the API and the portals.

A service raises ``ApplicationError``; the API turns it into
``{"code", "message", "field"}`` with the HTTP status of its kind, and a portal
shows the same message. Messages are lazy translations, rendered in the
language of the request that triggered them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ErrorKind(IntEnum):
    """What went wrong, as the HTTP status the API answers with."""

    INVALID = 400
    UNAUTHENTICATED = 401
    FORBIDDEN = 403
    NOT_FOUND = 404
    CONFLICT = 409
    UNPROCESSABLE = 422
    TOO_MANY_REQUESTS = 429


class ApplicationError(Exception):
    """A domain error a user can act on: a code, a message and maybe a field."""

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        kind: ErrorKind = ErrorKind.INVALID,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.kind = kind
        self.field = field
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message), "field": self.field}
        if self.extra:
            body["extra"] = self.extra
        return body


class NotFound(ApplicationError):
    def __init__(self, code: str, message: Any, *, field: str | None = None) -> None:
        super().__init__(code, message, kind=ErrorKind.NOT_FOUND, field=field)


class Conflict(ApplicationError):
    """The object is not in a state that allows this transition."""

    def __init__(self, code: str, message: Any, *, field: str | None = None, extra=None) -> None:
        super().__init__(code, message, kind=ErrorKind.CONFLICT, field=field, extra=extra)


class Forbidden(ApplicationError):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(code, message, kind=ErrorKind.FORBIDDEN)
