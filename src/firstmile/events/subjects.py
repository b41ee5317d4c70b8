"""What a webhook says about the object an event is about, so an ERP needs no second call.

events sits below the domain apps, so each app registers, from its AppConfig.ready,
a function that describes many objects of one model at once (one query per batch of
deliveries, not one per delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from firstmile.core.clock import to_beijing

Describer = Callable[[list[str]], dict[str, dict[str, Any]]]

_DESCRIBERS: dict[str, Describer] = {}


def register(subject_type: str, describe: Describer) -> None:
    """``describe(ids)`` returns {id: object} for the ids that still exist."""
    _DESCRIBERS[subject_type] = describe


def describe_many(subject_type: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    describe = _DESCRIBERS.get(subject_type)
    if describe is None:
        return {}
    return describe(sorted(set(ids)))


def int_ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def beijing_iso(value: datetime | None) -> str | None:
    return to_beijing(value).isoformat() if value else None
