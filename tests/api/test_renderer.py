"""The API's JSON: orjson's output where it can, the standard library's where it refuses, the same content."""

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext_lazy

from firstmile.api.renderers import BeijingJSONRenderer


def _render(data):
    body = BeijingJSONRenderer().render(None, data, response_status=200)
    return json.loads(body)


def test_instants_leave_in_beijing_time_and_other_values_as_django_writes_them():
    data = {
        "at": datetime(2026, 12, 2, 16, 30, 5, 123456, tzinfo=UTC),
        "day": date(2026, 12, 3),
        "opens": time(8, 30),
        "amount": Decimal("12.50"),
        "name": "东莞洪梅仓",
        "label": gettext_lazy("Pickup supported"),
        3: "an int key",
    }
    assert _render(data) == {
        "at": "2026-12-03T00:30:05.123456+08:00",
        "day": "2026-12-03",
        "opens": "08:30:00",
        "amount": "12.50",
        "name": "东莞洪梅仓",
        "label": str(gettext_lazy("Pickup supported")),
        "3": "an int key",
    }
    assert "东莞洪梅仓".encode() in BeijingJSONRenderer().render(None, data, response_status=200)


def test_what_orjson_refuses_is_written_by_the_standard_library():
    huge = 10**40  # a hostile number echoed back in a 422's detail
    assert _render({"detail": [{"input": huge}]}) == {"detail": [{"input": huge}]}
