"""What a webhook says about the object an event is about, so an ERP needs no second call.

events sits below the domain apps, so each app registers, from its AppConfig.ready,
a function that describes many objects of one model at once (one query per batch of
deliveries, not one per delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from firstmile.core.clock import to_beijing

Describer = Callable[[list[str]], dict[str, dict[str, Any]]]

_DESCRIBERS: dict[str, Describer] = {}
_SCHEMAS: dict[str, type[BaseModel]] = {}

# Which model an event kind is about, by the kind's first part. Kinds not listed
# here carry no described object (`object: null`); tests/events/test_webhook_schema.py
# checks every recorded event against this table.
SUBJECT_OF_KIND_PREFIX = {
    "warehouse": "pickup.warehouse",
    "subscription": "pickup.pickupsubscription",
    "order": "shipping.order",
    "waybill": "shipping.waybill",
    "pickup_task": "dispatch.pickuptask",
    "handover": "dispatch.handoverlist",
    "bundle": "bundles.bundle",
    "switchover_batch": "switchover.switchoverbatch",
    "reverse_order": "reverse.reverseorder",
}


def register(subject_type: str, describe: Describer, schema: type[BaseModel]) -> None:
    """``describe(ids)`` returns {id: object} for the ids that still exist, each as ``schema`` documents it."""
    _DESCRIBERS[subject_type] = describe
    _SCHEMAS[subject_type] = schema


def schema_of_kind(kind: str) -> type[BaseModel] | None:
    """The documented shape of ``data.object`` in a webhook of this event kind (None: always null)."""
    return _SCHEMAS.get(SUBJECT_OF_KIND_PREFIX.get(kind.split(".", 1)[0], ""))


def describe_many(subject_type: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    describe = _DESCRIBERS.get(subject_type)
    if describe is None:
        return {}
    return describe(sorted(set(ids)))


def int_ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def beijing_iso(value: datetime | None) -> str | None:
    return to_beijing(value).isoformat() if value else None
