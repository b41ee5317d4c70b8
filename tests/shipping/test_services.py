from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.db.models import ProtectedError

from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError, Conflict, NotFound
from firstmile.events.models import Event
from firstmile.shipping.models import Order, OrderStatus, ShipByExtension, Waybill, WaybillStatus
from firstmile.shipping.numbers import allocate_numbers, format_number, is_valid, luhn_digit
from firstmile.shipping.selectors import explain_handover, is_late
from firstmile.shipping.services import order_create, shipment_arrange, waybill_void

from .. import factories
from ..refusals import refused
from ..shipping.conftest import HONGMEI

pytestmark = pytest.mark.django_db


def test_luhn_check_digit():
    assert luhn_digit("7992739871") == "3"
    number = format_number("WS", 1)
    assert number == "WS00000000018"
    assert is_valid(number, "WS")
    assert not is_valid("WS00000000019", "WS")
    assert not is_valid(number, "JT")


def test_numbers_are_fresh_and_valid():
    first = allocate_numbers("JT", 3)
    second = allocate_numbers("JT", 2)
    assert len(set(first + second)) == 5
    assert all(is_valid(n, "JT") for n in first + second)


@time_machine.travel(datetime(2023, 9, 18, 2, 0, tzinfo=UTC), tick=False)
def test_ship_by_is_creation_plus_48_hours(merchant, hongmei):
    order = order_create(actor=merchant, order_no="TT1")
    assert order.ship_by == beijing(2023, 9, 20, 10, 0)
    assert order.warehouse == hongmei  # the default warehouse
    assert order.extension_hours == 0


@time_machine.travel(datetime(2023, 9, 18, 2, 0, tzinfo=UTC), tick=False)
def test_an_extension_in_force_at_creation_is_added_and_fixed(merchant, hongmei):
    ShipByExtension.objects.create(
        division_id="441900",
        created_from=beijing(2023, 9, 18),
        created_to=beijing(2023, 9, 20),
        extra_hours=72,
        reason="J&T → Wanse switchover",
    )
    order = order_create(actor=merchant, order_no="TT2")
    # Seed question 11: created 09-18 10:00, ships by 09-23 10:00.
    assert order.ship_by == beijing(2023, 9, 23, 10, 0)
    assert order.extension_hours == 72
    ShipByExtension.objects.update(extra_hours=240)  # a later change does not move a fixed deadline
    order.refresh_from_db()
    assert order.ship_by == beijing(2023, 9, 23, 10, 0)


def test_arrange_shipment_issues_a_pickup_waybill_from_the_serving_carrier(merchant, hongmei, jt):
    order = order_create(actor=merchant, order_no="TT3", item_summary="台灯 x1")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert waybill.carrier == jt
    assert waybill.waybill_no.startswith("JT") and is_valid(waybill.waybill_no, "JT")
    assert waybill.handover_method == "PICKUP"
    assert waybill.sorting_centre.carrier == jt
    assert waybill.subscription_state == "active"
    assert waybill.sender_address == "广东省东莞市洪梅镇洪屋涡村工业路3号"
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert Event.objects.filter(kind="waybill.issued", subject_id=str(waybill.pk)).exists()
    assert Event.objects.filter(kind="order.shipped", subject_id=str(order.pk)).exists()


def test_the_configuration_a_waybill_points_at_cannot_be_deleted(merchant, hongmei, jt):
    # carrier, coverage, sorting_centre and sender_division hold no database
    # constraint (shipping/models.py): Django's PROTECT is what keeps them.
    order = order_create(actor=merchant, order_no="TT4", item_summary="台灯 x1")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    for parent in (waybill.coverage, waybill.sorting_centre, waybill.sender_division, jt):
        with pytest.raises(ProtectedError), transaction.atomic():
            parent.delete()
        assert type(parent).objects.filter(pk=parent.pk).exists()
    waybill.refresh_from_db()
    assert (waybill.carrier_id, waybill.sorting_centre.carrier_id) == (jt.pk, jt.pk)


def test_pending_subscription_means_drop_off_and_explains_why(merchant, changan):
    order = order_create(actor=merchant, order_no="TT4", warehouse_code="DG-CA")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert waybill.handover_method == "DROP_OFF"
    assert waybill.subscription_state == "pending"
    explanation = explain_handover(waybill)
    assert any("DROP OFF" in r for r in explanation.reasons)
    assert explanation.erp_mismatch is None


def test_explain_names_an_erp_warehouse_that_differs(merchant, hongmei, changan):
    order = order_create(actor=merchant, order_no="TT5", warehouse_code="DG-CA", erp_warehouse_code="DG-HM")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    explanation = explain_handover(waybill)
    assert "DG-HM" in explanation.erp_mismatch and "DG-CA" in explanation.erp_mismatch


def test_batch_arrange_is_all_or_nothing(merchant, hongmei):
    a = order_create(actor=merchant, order_no="A")
    b = order_create(actor=merchant, order_no="B")
    shipment_arrange(actor=merchant, order_ids=[a.pk])
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as err:
        shipment_arrange(actor=merchant, order_ids=[a.pk, b.pk])
    assert err.value.code == "order_not_awaiting_shipment"
    assert Waybill.objects.count() == 1
    assert Order.objects.get(pk=b.pk).status == OrderStatus.AWAITING_SHIPMENT
    assert Event.objects.count() == events_before
    waybills = shipment_arrange(actor=merchant, order_ids=[b.pk])
    assert len(waybills) == 1


def test_shipping_another_merchants_order_is_not_found(merchant, hongmei):
    order = order_create(actor=merchant, order_no="X")
    stranger = factories.actor()
    with refused(NotFound, "order_not_found"):
        shipment_arrange(actor=stranger, order_ids=[order.pk])
    assert not Waybill.objects.exists()


def test_outside_coverage_no_waybill_can_be_issued(merchant, jt):
    from firstmile.pickup.services import warehouse_create

    warehouse_create(actor=merchant, **{**HONGMEI, "code": "FS", "division_code": "440605011"})
    order = order_create(actor=merchant, order_no="FS1", warehouse_code="FS")
    with pytest.raises(Conflict) as err:
        shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert err.value.code == "no_carrier_for_area"
    assert not Waybill.objects.exists()


def test_void_before_pickup_returns_the_order_to_awaiting_shipment(merchant, hongmei):
    order = order_create(actor=merchant, order_no="V1")
    [waybill] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    waybill_void(actor=merchant, waybill_id=waybill.pk)
    waybill.refresh_from_db()
    order.refresh_from_db()
    assert waybill.status == WaybillStatus.VOIDED
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    [again] = shipment_arrange(actor=merchant, order_ids=[order.pk])
    assert again.waybill_no != waybill.waybill_no
    with refused(Conflict, "waybill_not_voidable"):
        waybill_void(actor=merchant, waybill_id=waybill.pk)


def test_order_input_errors(merchant, hongmei):
    with pytest.raises(ApplicationError) as err:
        order_create(actor=merchant, order_no="")
    assert err.value.field == "order_no"
    with pytest.raises(NotFound) as err:
        order_create(actor=merchant, order_no="Z", warehouse_code="NOPE")
    assert err.value.field == "warehouse_code"
    order_create(actor=merchant, order_no="Z")
    with refused(Conflict, "order_no_taken"):
        order_create(actor=merchant, order_no="Z")
    assert Order.objects.count() == 1


def test_late_orders_are_flagged(merchant, hongmei):
    with time_machine.travel(datetime(2023, 9, 1, 2, 0, tzinfo=UTC), tick=False):
        order = order_create(actor=merchant, order_no="L1")
    with time_machine.travel(datetime(2023, 9, 1, 2, 0, tzinfo=UTC) + timedelta(hours=49), tick=False):
        assert is_late(order)
