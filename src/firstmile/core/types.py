"""Input types for the API that refuse what a lenient parser would quietly accept.

Pydantic's lax mode turns ``true`` into 1, ``"3.8e-109"`` into a 1970 date and
lets year 9999 through to date arithmetic that overflows. These annotated types
take only what a client means: whole-number ids within the database's range,
ISO 8601 dates and instants within the years the platform can compute with.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

MAX_ID = 2**63 - 1  # PostgreSQL bigint
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_TIME_OF_DAY = re.compile(_TIME_OF_DAY_PATTERN)
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")


def _iso_date_only(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value.strip()


def _iso_instant_only(value):
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_INSTANT.match(value.strip()):
        raise ValueError("expected a date and time in ISO 8601, e.g. 2023-09-19T00:00:00+08:00")
    return value.strip()


def _time_of_day_only(value):
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str) or not _TIME_OF_DAY.match(value):
        raise ValueError("expected a time of day as HH:MM or HH:MM:SS (Beijing time)")
    return value


def _date_in_range(value: dt.date) -> dt.date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("the date must lie between 2000 and 2099")
    return value


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    probe = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= probe < LATEST:
        raise ValueError("the time must lie between 2000 and 2099")
    return value


def _decimal_text_as_int(value):
    # A query string or path carries every value as text: its decimal digits are
    # the integer the client meant. Anything else is left for the strict check.
    if isinstance(value, str) and _DECIMAL.match(value):
        return int(value)
    return value


_DECIMAL = re.compile(r"^[0-9]{1,19}$")

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
# An id in a query string or path: decimal digits, never a float, bool or sign.
ParamId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID), BeforeValidator(_decimal_text_as_int)]


def id_list(max_items: int):
    """A non-empty list of ids, at most ``max_items`` (what the service accepts; the schema says so).

    A function, not a fixed alias: a Field(max_length=…) on an attribute of an
    annotated list type does not override the alias's own limit, it is ignored.
    """
    return Annotated[list[Id], Field(min_length=1, max_length=max_items)]


Date = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_date_in_range)]
Instant = Annotated[dt.datetime, BeforeValidator(_iso_instant_only), AfterValidator(_instant_in_range)]
# A wall-clock time in Beijing, without an offset: OpenAPI's `format: time` is
# RFC 3339's full-time, which requires one, so the schema says what is sent.
TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(_time_of_day_only),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _TIME_OF_DAY_PATTERN,
            "description": "A time of day in Beijing time (Asia/Shanghai), HH:MM:SS; HH:MM is accepted",
            "examples": ["09:00:00"],
        }
    ),
]
