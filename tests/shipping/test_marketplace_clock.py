"""Orders keep the marketplace's clock: deadlines and switchover extensions count from when the buyer ordered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from firstmile.accounts.services import api_token_issue
from firstmile.core.clock import beijing
from firstmile.shipping.imports import order_import
from firstmile.shipping.models import Order, ShipByExtension
from firstmile.shipping.services import order_create

from ..snapshots import database_snapshot

pytestmark = pytest.mark.django_db

# Arrives at Firstmile on 09-20 01:30 Beijing time, two and a half days after the buyer ordered.
ARRIVAL = datetime(2023, 9, 19, 17, 30, tzinfo=UTC)


@pytest.fixture
def extension(db):
    # The seed's switchover rule: orders created on 09-18 and 09-19 (Beijing) get 3 more days.
    return ShipByExtension.objects.create(
        division_id="441900",
        created_from=beijing(2023, 9, 18),
        created_to=beijing(2023, 9, 20),
        extra_hours=72,
        reason="J&T → Wanse switchover",
    )


@pytest.fixture
def erp(merchant):
    _token, raw = api_token_issue(actor=None, organisation=merchant.organisation, name="ERP")
    return {"Authorization": f"Bearer {raw}"}


@time_machine.travel(ARRIVAL, tick=False)
def test_the_deadline_and_extension_count_from_the_marketplace_time(merchant, hongmei, extension, erp):
    response = Client().post(
        "/api/v1/orders",
        {"order_no": "TT-LATE-SYNC", "placed_at": "2023-09-18T10:00:00+08:00"},
        content_type="application/json",
        headers=erp,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # Seed question 11 counted from the buyer's 09-18 10:00, though the order arrived on 09-20.
    assert body["ship_by"] == "2023-09-23T10:00:00+08:00"
    assert body["placed_at"] == "2023-09-18T10:00:00+08:00"
    assert body["extension_hours"] == 72
    assert body["ship_by_source"] == "computed"


@time_machine.travel(ARRIVAL, tick=False)
def test_without_a_marketplace_time_the_arrival_counts(merchant, hongmei, extension):
    order = order_create(actor=merchant, order_no="TT-NOW")
    assert order.placed_at == ARRIVAL
    assert order.extension_hours == 0  # 09-20 is outside the window


@time_machine.travel(ARRIVAL, tick=False)
def test_a_deadline_the_marketplace_fixed_is_kept(merchant, hongmei, extension, erp):
    order = order_create(
        actor=merchant,
        order_no="TT-FIXED",
        placed_at=beijing(2023, 9, 18, 10),
        ship_by=beijing(2023, 9, 22, 18),
    )
    assert order.ship_by == beijing(2023, 9, 22, 18)
    assert order.ship_by_source == "marketplace" and order.extension_hours == 0


@time_machine.travel(ARRIVAL, tick=False)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"placed_at": "2023-09-18T10:00:00"}, "placed_at"),  # no offset
        ({"placed_at": "2023-09-21T10:00:00+08:00"}, "placed_at"),  # in the future
        ({"placed_at": "2023-01-01T10:00:00+08:00"}, "placed_at"),  # months ago
        ({"placed_at": "9999-01-01T00:00:00+08:00"}, "placed_at"),
        ({"placed_at": "3.8e-109"}, "placed_at"),
        ({"placed_at": "2023-09-18T10:00:00+08:00", "ship_by": "2023-09-18T09:00:00+08:00"}, "ship_by"),
        ({"ship_by": "2023-09-22T10:00:00"}, "ship_by"),
    ],
)
def test_bad_marketplace_times_are_refused_naming_the_field(merchant, hongmei, erp, body, field):
    before = database_snapshot(skip=("accounts.ApiToken",))
    response = Client().post(
        "/api/v1/orders", {"order_no": "TT-BAD", **body}, content_type="application/json", headers=erp
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["field"] == field
    assert database_snapshot(skip=("accounts.ApiToken",)) == before


@time_machine.travel(ARRIVAL, tick=False)
def test_the_spreadsheet_import_reads_the_marketplace_time_as_beijing_time(merchant, hongmei, extension):
    csv = (
        "订单号,下单时间,最晚发货时间\n"
        "A-1,2023-09-18 10:00,\n"
        "A-2,2023-09-19 08:00:00+08:00,2023-09-21 08:00\n"
        "A-3,明天,\n"
    )
    report = order_import(actor=merchant, filename="orders.csv", content=csv.encode())
    assert report["imported"] == 2
    assert report["errors"] == [
        {"row": 4, "field": "placed_at", "code": "invalid_input", "message": report["errors"][0]["message"]}
    ]
    assert Order.objects.get(order_no="A-1").ship_by == beijing(2023, 9, 23, 10)
    assert Order.objects.get(order_no="A-2").ship_by == beijing(2023, 9, 21, 8)
