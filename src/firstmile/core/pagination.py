"""Cursor pagination for every list endpoint.

django-ninja's CursorPagination gives opaque cursors (a position plus an offset
for ties) that stay stable while rows are added, unlike page numbers. Each list
names its ordering, whose first field must be indexed.
"""

from ninja.pagination import CursorPagination

__all__ = ["CursorPagination"]
