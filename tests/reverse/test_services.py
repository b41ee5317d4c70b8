from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.models import Event
from firstmile.reverse.models import ExceptionState, PickupRegistration, ReverseOrder, ReverseStatus
from firstmile.reverse.selectors import ReverseFilters, page_after, reverse_list, tab_counts
from firstmile.reverse.services import (
    confirm_destruction,
    exception_close,
    exception_raise,
    forward,
    hand_over,
    record_destruction,
    register_pickup,
)

from ..refusals import refused

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 7, 24, 2, 0, tzinfo=UTC)
SELF = {
    "method": "self_pickup",
    "phone": "13800138000",
    "person_name": "陈经理",
    "expected_pickup_at": beijing(2024, 7, 26, 10),
}
FORWARD = {
    "method": "forward",
    "phone": "13800138000",
    "recipient_name": "陈经理",
    "division_code": "441900125",
    "address_detail": "洪屋涡村工业路3号",
}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_batch_self_pickup_registration_then_hand_over(merchant, make_order, warehouse_operator):
    a, b = make_order(), make_order(reverse_type="warehouse_intercepted")
    orders = register_pickup(actor=merchant, reverse_order_ids=[a.pk, b.pk], **SELF, note="下午来")
    assert {o.status for o in orders} == {ReverseStatus.AWAITING_PICKUP}
    assert len({r.batch_ref for r in PickupRegistration.objects.all()}) == 1
    with pytest.raises(Conflict) as err:
        hand_over(actor=warehouse_operator, reverse_order_id=a.pk, person_name="王五", phone="13800138000")
    assert err.value.code == "pickup_person_mismatch"
    done = hand_over(actor=warehouse_operator, reverse_order_id=a.pk, person_name="陈经理", phone="138 0013 8000")
    assert (done.status, done.completion_kind) == ("completed", "handed_over")
    with pytest.raises(Conflict) as err:
        forward(actor=warehouse_operator, reverse_order_id=a.pk, tracking_no="SF1")
    assert err.value.code == "reverse_order_completed"


def test_forwarding_then_tracking_number(merchant, make_order, warehouse_operator):
    order = make_order(reverse_type="customs_failed", disposition="return")
    register_pickup(actor=merchant, reverse_order_ids=[order.pk], **FORWARD)
    done = forward(actor=warehouse_operator, reverse_order_id=order.pk, tracking_no="SF1234567890")
    assert (done.completion_kind, done.tracking_no) == ("forwarded", "SF1234567890")


def test_destruction_needs_the_merchants_confirmation(merchant, make_order, warehouse_operator):
    order = make_order(reverse_type="customs_failed", disposition="destroy")
    with refused(Conflict, "reverse_order_wrong_state"):
        record_destruction(actor=warehouse_operator, reverse_order_id=order.pk)
    with pytest.raises(Conflict) as err:
        register_pickup(actor=merchant, reverse_order_ids=[order.pk], **SELF)
    assert err.value.code == "reverse_order_not_a_return"
    [confirmed] = confirm_destruction(actor=merchant, reverse_order_ids=[order.pk])
    assert confirmed.status == ReverseStatus.AWAITING_DESTRUCTION
    done = record_destruction(actor=warehouse_operator, reverse_order_id=order.pk)
    assert done.completion_kind == "destroyed"


def test_registration_is_final(merchant, make_order):
    order = make_order()
    register_pickup(actor=merchant, reverse_order_ids=[order.pk], **SELF)
    events_before = Event.objects.count()
    with refused(Conflict, "reverse_order_already_registered") as err:
        register_pickup(actor=merchant, reverse_order_ids=[order.pk], **FORWARD)
    assert err.value.code == "reverse_order_already_registered"
    assert PickupRegistration.objects.get().method == "self_pickup"
    assert Event.objects.count() == events_before


def test_a_batch_with_one_bad_order_is_refused_whole(merchant, make_order):
    good, destroy = make_order(), make_order(reverse_type="customs_failed", disposition="destroy")
    with refused(Conflict, "reverse_order_not_a_return"):
        register_pickup(actor=merchant, reverse_order_ids=[good.pk, destroy.pk], **SELF)
    assert not PickupRegistration.objects.exists()
    assert ReverseOrder.objects.get(pk=good.pk).status == ReverseStatus.AWAITING_MERCHANT


@pytest.mark.parametrize(
    ("details", "field"),
    [
        ({**SELF, "phone": "123"}, "phone"),
        ({**SELF, "person_name": " "}, "person_name"),
        ({**SELF, "expected_pickup_at": beijing(2024, 7, 1)}, "expected_pickup_at"),
        ({**SELF, "expected_pickup_at": None}, "expected_pickup_at"),
        ({**FORWARD, "division_code": "441900"}, "division"),
        ({**FORWARD, "address_detail": ""}, "address_detail"),
        ({**FORWARD, "recipient_name": ""}, "recipient_name"),
        ({**SELF, "method": "teleport"}, "method"),
    ],
)
def test_bad_registration_input_names_the_field_and_changes_nothing(merchant, make_order, details, field):
    order = make_order()
    events_before = Event.objects.count()
    with pytest.raises(ApplicationError) as err:
        register_pickup(actor=merchant, reverse_order_ids=[order.pk], **details)
    assert err.value.field == field
    assert ReverseOrder.objects.get(pk=order.pk).status == ReverseStatus.AWAITING_MERCHANT
    assert Event.objects.count() == events_before


def test_another_merchants_order_is_not_found(merchant, other_merchant, make_order):
    order = make_order()
    with refused(NotFound, "reverse_order_not_found"):
        register_pickup(actor=other_merchant, reverse_order_ids=[order.pk], **SELF)
    with refused(NotFound, "reverse_order_not_found"):
        confirm_destruction(actor=other_merchant, reverse_order_ids=[order.pk])
    assert reverse_list(actor=other_merchant, filters=ReverseFilters()).count() == 0


def test_exception_raised_and_closed(merchant, make_order, warehouse_operator):
    order = make_order()
    register_pickup(actor=merchant, reverse_order_ids=[order.pk], **SELF)
    exception = exception_raise(actor=warehouse_operator, reverse_order_id=order.pk, kind="no_show", description="未到")
    order.refresh_from_db()
    assert order.exception_state == ExceptionState.OPEN
    assert reverse_list(actor=merchant, filters=ReverseFilters(exception_state="open")).count() == 1
    with refused(Conflict, "exception_already_open"):
        exception_raise(actor=warehouse_operator, reverse_order_id=order.pk, kind="other", description="again")
    exception_close(actor=warehouse_operator, exception_id=exception.pk, resolution="商家改约次日")
    order.refresh_from_db()
    assert order.exception_state == ExceptionState.CLOSED


def test_merchants_cannot_complete_and_carriers_cannot_register(merchant, make_order, warehouse_operator):
    order = make_order()
    with refused(Forbidden, "forbidden"):
        register_pickup(actor=warehouse_operator, reverse_order_ids=[order.pk], **SELF)
    with refused(Forbidden, "forbidden"):
        hand_over(actor=merchant, reverse_order_id=order.pk, person_name="x", phone="13800138000")


def test_filters_tabs_and_counts(merchant, make_order, clock):
    make_order(reverse_type="customs_failed", disposition="return", product_name="吊灯", owner_id="OW9")
    make_order(reverse_type="customs_failed", disposition="destroy")
    make_order(reverse_type="intercept_refused", business_mode="consignment")
    clock.move_to(NOW + timedelta(days=2))
    make_order(reverse_type="warehouse_intercepted", order_no="TT-FIND-ME")
    counts = tab_counts(actor=merchant, filters=ReverseFilters())
    assert counts == {
        "all": 4,
        "customs_failed": 2,
        "return": 1,
        "destroy": 1,
        "intercept_refused": 1,
        "warehouse_intercepted": 1,
    }
    assert tab_counts(actor=merchant, filters=ReverseFilters(business_mode="pop"))["all"] == 3
    assert (
        reverse_list(actor=merchant, filters=ReverseFilters(number="TT-FIND-ME")).get().reverse_type
        == "warehouse_intercepted"
    )
    assert reverse_list(actor=merchant, filters=ReverseFilters(product="吊")).count() == 1
    assert reverse_list(actor=merchant, filters=ReverseFilters(owner="OW9")).count() == 1
    assert reverse_list(actor=merchant, filters=ReverseFilters(created_from=NOW + timedelta(days=1))).count() == 1
    assert (
        reverse_list(
            actor=merchant, filters=ReverseFilters(tab="customs_failed", created_to=NOW + timedelta(days=1))
        ).count()
        == 2
    )


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-updated_at", "updated_at"])
def test_keyset_pages_walk_every_row_once(merchant, make_order, clock, sort):
    for i in range(7):
        clock.move_to(NOW + timedelta(minutes=i % 3))  # ties on created_at too
        make_order()
    rows = reverse_list(actor=merchant, filters=ReverseFilters(sort=sort))
    seen, cursor = [], None
    while True:
        page = page_after(rows, sort=sort, cursor=cursor, size=3)
        seen += [o.pk for o in page.rows]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == list(rows.values_list("pk", flat=True))
