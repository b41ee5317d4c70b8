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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
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


CURSOR_DOC = (
    "Where the page starts: the `next_cursor` or `previous_cursor` of the page before, passed back "
    "unchanged (signed by the server: anything else is a 400 naming `cursor`). Omit it for the first page."
)


def with_cursor(url: str, cursor: str | None) -> str | None:
    """``url`` with its cursor parameter set to ``cursor`` (None when there is no such page)."""
    if cursor is None:
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cursor"]
    return urlunsplit(parts._replace(query=urlencode([("cursor", cursor), *query])))


class CursorPagination(NinjaCursorPagination):
    class Input(Schema):
        page_size: int | None = Field(
            None,
            description=f"Rows per page: {settings.NINJA_PAGINATION_PER_PAGE} unless given, "
            f"at most {settings.NINJA_PAGINATION_MAX_PER_PAGE_SIZE}",
        )
        cursor: str | None = Field(None, description=CURSOR_DOC)

    class Output(Schema):
        results: list[Any]
        next_cursor: str | None = Field(..., description="Pass as `cursor` for the next page; null on the last page")
        previous_cursor: str | None = Field(
            ..., description="Pass as `cursor` for the page before; null on the first page"
        )
        next: str | None = Field(..., description="The next page's URL (this request with `cursor=next_cursor`)")
        previous: str | None = Field(..., description="The previous page's URL")

    def page(self, request, cursor, results: list, additional_position: str | None) -> dict:
        """A page of ``results`` with its cursors, both as values and as URLs."""
        following = self._build_next_cursor(cursor, results, additional_position)
        preceding = self._build_previous_cursor(cursor, results, additional_position)
        url = request.build_absolute_uri()
        return {
            self.items_attribute: results,
            "next_cursor": following.encode_as_param() if following else None,
            "previous_cursor": preceding.encode_as_param() if preceding else None,
            "next": self._add_cursor_to_URL(url, following),
            "previous": self._add_cursor_to_URL(url, preceding),
        }

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        # ninja's own, but the page also carries each cursor as its own field, so a
        # client need not parse it out of a URL that may name an internal host.
        page_size = self._get_page_size(pagination.page_size)
        cursor = self.Cursor.from_encoded_param(pagination.cursor)
        queryset = self._find_position(self._order_queryset(queryset, cursor), cursor)
        rows = list(queryset[cursor.o : cursor.o + page_size + 1])
        further = self._get_position(rows[-1]) if len(rows) > page_size else None
        results = list(reversed(rows[:page_size])) if cursor.r else rows[:page_size]
        return self.page(request, cursor, results, further)

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
