"""Cursor pagination for every list endpoint, with cursors a client cannot forge.

django-ninja's CursorPagination gives opaque cursors (a position plus an offset
for ties) that stay stable while rows are added, unlike page numbers. Its cursor
is plain base64, so a client could hand back any position or a negative offset
and reach the database with it; here every cursor is signed with the project's
key and a tampered one is a 400 naming the ``cursor`` parameter. Each list names
its ordering, whose first field must be indexed.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.utils.translation import gettext_lazy as _
from ninja.pagination import CursorPagination as NinjaCursorPagination
from pydantic import ValidationError as PydanticValidationError

from . import error_codes
from .errors import ApplicationError

_SALT = "firstmile.cursor"


def cursor_sign(data: Any) -> str:
    """An opaque, URL-safe cursor carrying ``data`` that only this server could have made."""
    return signing.dumps(data, salt=_SALT, compress=True)


def cursor_load(token: str) -> Any:
    """The data of a cursor made by :func:`cursor_sign`, or a 400 for anything else."""
    try:
        return signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise ApplicationError(
            error_codes.INVALID_INPUT,
            _("Invalid cursor: pass back the next or previous link of a page unchanged."),
            field="cursor",
        )


class CursorPagination(NinjaCursorPagination):
    class Cursor(NinjaCursorPagination.Cursor):
        @classmethod
        def from_encoded_param(cls, encoded_param, context=None):
            if not encoded_param:
                return cls()
            data = cursor_load(encoded_param)
            try:
                return cls.model_validate(data, context=context)
            except PydanticValidationError:
                raise ApplicationError(error_codes.INVALID_INPUT, _("Invalid cursor."), field="cursor")

        def encode_as_param(self) -> str:
            return cursor_sign(self.model_dump(exclude_defaults=True, exclude_none=True, exclude_unset=True))
