from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.events.models import Event
from firstmile.pickup.models import (
    CoverageDecision,
    PickupDecision,
    PickupSubscription,
    RejectReason,
    SubscriptionStatus,
    Warehouse,
)
from firstmile.pickup.selectors import PickupStateKind, pickup_state, review_queue
from firstmile.pickup.services import (
    subscription_approve,
    subscription_cancel,
    subscription_reject,
    warehouse_create,
    warehouse_update,
)

from ..refusals import refused
from .conftest import ADDRESS

pytestmark = pytest.mark.django_db
NOW = datetime(2023, 9, 1, 2, 0, tzinfo=UTC)


def _update(actor, warehouse, **changes):
    fields = {**ADDRESS, **changes}
    return warehouse_update(actor=actor, warehouse_id=warehouse.pk, **fields)


@time_machine.travel(NOW, tick=False)
def test_a_covered_address_requests_pickup_from_the_covering_carrier(merchant, covered):
    saved = warehouse_create(actor=merchant, **ADDRESS)
    subscription = saved.decision.subscription
    assert subscription.carrier == covered
    assert subscription.status == SubscriptionStatus.PENDING_REVIEW
    assert subscription.review_due_at == NOW + timedelta(hours=24)
    assert subscription.phone == "+8613800138000"
    assert subscription.address_detail == "洪屋涡村工业路3号"
    assert saved.warehouse.is_default  # a merchant's first warehouse is its default
    state = pickup_state(saved.warehouse)
    assert state.kind == PickupStateKind.PENDING
    assert state.handover_method == "DROP_OFF"  # self-send stays open while pending
    assert Event.objects.filter(kind="subscription.requested", subject_id=str(subscription.pk)).exists()


def test_an_address_outside_coverage_requests_nothing_and_records_why(merchant, covered):
    saved = warehouse_create(actor=merchant, **{**ADDRESS, "division_code": "440605011"})  # Foshan
    assert saved.decision.outcome == CoverageDecision.NOT_COVERED
    assert not PickupSubscription.objects.exists()
    assert pickup_state(saved.warehouse).kind == PickupStateKind.NOT_COVERED
    assert Event.objects.filter(kind="warehouse.not_covered").count() == 1


def test_approval_makes_pickup_active(merchant, covered, jt_staff):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    sub = PickupSubscription.objects.get()
    assert subscription_approve(actor=jt_staff, subscription_ids=[sub.pk]) == 1
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.decided_by == jt_staff.user
    state = pickup_state(warehouse)
    assert state.supports_pickup
    assert state.handover_method == "PICKUP"
    event = Event.objects.get(kind="subscription.approved")
    assert (event.subject_id, event.from_state, event.to_state) == (str(sub.pk), "pending_review", "active")
    assert event.owner == merchant.organisation
    assert event.counterparty == covered.organisation


def test_one_added_comma_is_a_new_request_and_an_identical_save_is_not(merchant, covered, jt_staff):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    first = PickupSubscription.objects.get()
    subscription_approve(actor=jt_staff, subscription_ids=[first.pk])

    same = _update(merchant, warehouse)
    assert same.address_changed is False
    assert PickupSubscription.objects.count() == 1

    renamed = _update(merchant, warehouse, name="东莞主仓")
    assert renamed.address_changed is False
    assert PickupSubscription.objects.count() == 1

    comma = _update(merchant, warehouse, address_detail="洪屋涡村工业路3号,")
    assert comma.address_changed is True
    first.refresh_from_db()
    assert first.status == SubscriptionStatus.SUPERSEDED
    second = comma.decision.subscription
    assert second.status == SubscriptionStatus.PENDING_REVIEW
    assert second.address_version == 2
    assert pickup_state(comma.warehouse).kind == PickupStateKind.PENDING


def test_phone_written_differently_is_the_same_phone(merchant, covered):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    assert _update(merchant, warehouse, phone="+86 13800138000").address_changed is False
    assert _update(merchant, warehouse, phone="13800138001").address_changed is True


def test_reject_with_a_reason_leaves_the_merchant_self_sending(merchant, covered, jt_staff):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    sub = PickupSubscription.objects.get()
    subscription_reject(actor=jt_staff, subscription_ids=[sub.pk], reason=RejectReason.MERCHANT_DECLINED)
    sub.refresh_from_db()
    assert (sub.status, sub.reject_reason) == (SubscriptionStatus.REJECTED, "merchant_declined")
    state = pickup_state(warehouse)
    assert state.kind == PickupStateKind.REJECTED
    assert state.handover_method == "DROP_OFF"


def test_the_seeds_cancellation_workaround_ends_in_self_send(merchant, covered, jt_staff):
    """Q13: edit the address, tell the carrier no on the phone, the carrier rejects."""
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    subscription_approve(actor=jt_staff, subscription_ids=[PickupSubscription.objects.get().pk])
    new_request = _update(merchant, warehouse, address_detail="洪屋涡村工业路3号。").decision.subscription
    subscription_reject(actor=jt_staff, subscription_ids=[new_request.pk], reason=RejectReason.MERCHANT_DECLINED)
    assert pickup_state(warehouse).handover_method == "DROP_OFF"
    assert not PickupSubscription.objects.filter(status__in=["active", "pending_review"]).exists()


def test_merchant_cancels_pickup_outright(merchant, covered, jt_staff):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    subscription_approve(actor=jt_staff, subscription_ids=[PickupSubscription.objects.get().pk])
    cancelled = subscription_cancel(actor=merchant, warehouse_id=warehouse.pk)
    assert cancelled.status == SubscriptionStatus.CANCELLED
    assert pickup_state(warehouse).kind == PickupStateKind.CANCELLED
    with refused(Conflict, "no_pickup_to_cancel"):
        subscription_cancel(actor=merchant, warehouse_id=warehouse.pk)


def test_approving_an_already_decided_request_is_a_conflict_and_changes_nothing(merchant, covered, jt_staff):
    warehouse_create(actor=merchant, **ADDRESS)
    sub = PickupSubscription.objects.get()
    subscription_reject(actor=jt_staff, subscription_ids=[sub.pk], reason=RejectReason.ADDRESS_UNREACHABLE)
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as err:
        subscription_approve(actor=jt_staff, subscription_ids=[sub.pk])
    assert err.value.code == "subscription_not_pending"
    assert err.value.extra["ids"] == [sub.pk]
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.REJECTED
    assert Event.objects.count() == events_before


def test_bulk_approval_is_all_or_nothing(merchant, covered, jt_staff):
    subs = []
    for n in range(3):
        warehouse_create(actor=merchant, **{**ADDRESS, "code": f"DG-{n}"})
    subs = list(PickupSubscription.objects.order_by("pk"))
    subscription_reject(actor=jt_staff, subscription_ids=[subs[0].pk], reason=RejectReason.OUTSIDE_ROUTE)
    with refused(Conflict, "subscription_not_pending"):
        subscription_approve(actor=jt_staff, subscription_ids=[s.pk for s in subs])
    assert PickupSubscription.objects.filter(status="active").count() == 0
    assert subscription_approve(actor=jt_staff, subscription_ids=[s.pk for s in subs[1:]]) == 2
    assert Event.objects.filter(kind="subscription.approved").count() == 2


def test_a_carrier_cannot_decide_another_carriers_request(merchant, covered, ws_staff):
    warehouse_create(actor=merchant, **ADDRESS)
    sub = PickupSubscription.objects.get()
    events_before = Event.objects.count()
    with refused(NotFound, "subscription_not_found"):
        subscription_approve(actor=ws_staff, subscription_ids=[sub.pk])
    with refused(NotFound, "subscription_not_found"):
        subscription_reject(actor=ws_staff, subscription_ids=[sub.pk], reason=RejectReason.OTHER, note="x")
    assert PickupSubscription.objects.get().status == SubscriptionStatus.PENDING_REVIEW
    assert Event.objects.count() == events_before
    assert review_queue(actor=ws_staff).count() == 0


def test_a_merchant_cannot_touch_another_merchants_warehouse(merchant, other_merchant, covered):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    events_before = Event.objects.count()
    with refused(NotFound, "warehouse_not_found"):
        _update(other_merchant, warehouse, address_detail="别人的地址")
    with refused(NotFound, "warehouse_not_found"):
        subscription_cancel(actor=other_merchant, warehouse_id=warehouse.pk)
    warehouse.refresh_from_db()
    assert warehouse.address_detail == ADDRESS["address_detail"]
    assert Event.objects.count() == events_before


def test_merchants_cannot_approve_and_carriers_cannot_keep_warehouses(merchant, jt_staff, covered):
    warehouse_create(actor=merchant, **ADDRESS)
    with refused(Forbidden, "forbidden"):
        subscription_approve(actor=merchant, subscription_ids=[PickupSubscription.objects.get().pk])
    with refused(Forbidden, "forbidden"):
        warehouse_create(actor=jt_staff, **{**ADDRESS, "code": "X"})


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"phone": "12345"}, "phone", "invalid_input"),
        ({"phone": "+1 415 555 2671"}, "phone", "invalid_input"),
        ({"division_code": "441900"}, "division", "division_not_lowest_level"),
        ({"division_code": "440300"}, "division", "division_not_lowest_level"),
        ({"division_code": "999999999"}, "division", "division_unknown"),
        ({"address_detail": "   "}, "address_detail", "invalid_input"),
        ({"contact_name": ""}, "contact_name", "invalid_input"),
        ({"name": ""}, "name", "invalid_input"),
        ({"code": "has space"}, "code", "invalid_input"),
    ],
)
def test_bad_warehouse_input_names_the_field_and_writes_nothing(merchant, covered, changes, field, code):
    events_before = Event.objects.count()
    with pytest.raises(ApplicationError) as err:
        warehouse_create(actor=merchant, **{**ADDRESS, **changes})
    assert (err.value.field, err.value.code) == (field, code)
    assert not Warehouse.objects.exists()
    assert not PickupDecision.objects.exists()
    assert Event.objects.count() == events_before


def test_bad_update_changes_nothing(merchant, covered):
    warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    events_before = Event.objects.count()
    with refused(ApplicationError, "invalid_input"):
        _update(merchant, warehouse, phone="not a phone", address_detail="新地址")
    warehouse.refresh_from_db()
    assert (warehouse.address_detail, warehouse.address_version) == (ADDRESS["address_detail"], 1)
    assert PickupSubscription.objects.count() == 1
    assert Event.objects.count() == events_before


def test_duplicate_code_is_a_conflict(merchant, covered, other_merchant):
    warehouse_create(actor=merchant, **ADDRESS)
    with refused(Conflict, "warehouse_code_taken") as err:
        warehouse_create(actor=merchant, **ADDRESS)
    assert err.value.field == "code"
    # Codes are per merchant: another merchant may use the same one.
    warehouse_create(actor=other_merchant, **ADDRESS)


def test_reject_needs_a_reason_and_other_needs_a_note(merchant, covered, jt_staff):
    warehouse_create(actor=merchant, **ADDRESS)
    sub = PickupSubscription.objects.get()
    with pytest.raises(ApplicationError) as err:
        subscription_reject(actor=jt_staff, subscription_ids=[sub.pk], reason="")
    assert err.value.field == "reason"
    with pytest.raises(ApplicationError) as err:
        subscription_reject(actor=jt_staff, subscription_ids=[sub.pk], reason=RejectReason.OTHER, note=" ")
    assert err.value.field == "note"
    assert PickupSubscription.objects.get().status == SubscriptionStatus.PENDING_REVIEW


def test_overdue_requests_stand_out_after_24_hours(merchant, covered, jt_staff):
    with time_machine.travel(NOW, tick=False):
        warehouse = warehouse_create(actor=merchant, **ADDRESS).warehouse
    at = NOW + timedelta(hours=24, seconds=1)
    assert pickup_state(warehouse, at).kind == PickupStateKind.OVERDUE
    assert review_queue(actor=jt_staff, overdue=True, at=at).count() == 1
    assert review_queue(actor=jt_staff, overdue=True, at=NOW + timedelta(hours=23)).count() == 0


def test_review_queue_filters_by_area_prefix(merchant, covered, jt_staff):
    warehouse_create(actor=merchant, **ADDRESS)  # Dongguan
    warehouse_create(actor=merchant, **{**ADDRESS, "code": "SZ-1", "division_code": "440304004"})  # Shenzhen Futian
    assert review_queue(actor=jt_staff, area="441900").count() == 1
    assert review_queue(actor=jt_staff, area="440300").count() == 1
    assert review_queue(actor=jt_staff, area="440304").count() == 1
    assert review_queue(actor=jt_staff, area="440000").count() == 2
