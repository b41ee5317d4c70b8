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

from pydantic import AfterValidator, BeforeValidator, Field

MAX_ID = 2**63 - 1  # PostgreSQL bigint
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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


def _date_in_range(value: dt.date) -> dt.date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("the date must lie between 2000 and 2099")
    return value


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    probe = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= probe < LATEST:
        raise ValueError("the time must lie between 2000 and 2099")
    return value


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
IdList = Annotated[list[Id], Field(min_length=1, max_length=10_000)]
Date = Annotated[dt.date, BeforeValidator(_iso_date_only), AfterValidator(_date_in_range)]
Instant = Annotated[dt.datetime, BeforeValidator(_iso_instant_only), AfterValidator(_instant_in_range)]
