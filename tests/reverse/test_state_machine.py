"""Any sequence of merchant and warehouse actions keeps a reverse order's state consistent."""

import contextlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError
from firstmile.events.models import Event
from firstmile.reverse.models import ExceptionState, PickupRegistration, ReverseException, ReverseOrder, ReverseStatus
from firstmile.reverse.services import (
    confirm_destruction,
    consolidation_agree,
    exception_close,
    exception_raise,
    forward,
    hand_over,
    record_destruction,
    register_pickup,
    reverse_order_create,
)

from .. import factories

NOW = datetime(2024, 7, 24, 2, 0, tzinfo=UTC)
KINDS = [("customs_failed", "return"), ("customs_failed", "destroy"), ("intercept_refused", "return")]


class ReverseMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._clock = time_machine.travel(NOW, tick=False)
        self._clock.start()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        carrier = factories.carrier("WS")
        self.warehouse = factories.actor(carrier.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
        self.merchant = factories.actor(factories.organisation(OrganisationKind.MERCHANT, code="m1"))
        consolidation_agree(actor=None, carrier_code="WS", merchant_code="m1")
        self.orders = [
            reverse_order_create(
                actor=self.warehouse,
                merchant_code="m1",
                order_no=f"T{i}",
                reverse_type=t,
                disposition=d,
                business_mode="pop",
                warehouse_code="W",
                warehouse_name="仓",
                owner_id="O",
                owner_name="主",
            )
            for i, (t, d) in enumerate(KINDS)
        ]

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self._clock.stop()

    def _try(self, action, **kwargs):
        # Wrong-state calls are refused; the invariants check that nothing moved.
        with contextlib.suppress(ApplicationError):
            action(**kwargs)

    @rule(i=st.integers(0, 2), method=st.sampled_from(["self_pickup", "forward"]))
    def register(self, i, method):
        extra = (
            {"person_name": "陈", "expected_pickup_at": beijing(2024, 7, 26, 10)}
            if method == "self_pickup"
            else {"recipient_name": "陈", "division_code": "441900125", "address_detail": "工业路3号"}
        )
        self._try(
            register_pickup,
            actor=self.merchant,
            reverse_order_ids=[self.orders[i].pk],
            method=method,
            phone="13800138000",
            **extra,
        )

    @rule(i=st.integers(0, 2))
    def confirm(self, i):
        self._try(confirm_destruction, actor=self.merchant, reverse_order_ids=[self.orders[i].pk])

    @rule(i=st.integers(0, 2), how=st.sampled_from(["hand_over", "forward", "destroyed"]))
    def complete(self, i, how):
        pk = self.orders[i].pk
        if how == "hand_over":
            self._try(hand_over, actor=self.warehouse, reverse_order_id=pk, person_name="陈", phone="13800138000")
        elif how == "forward":
            self._try(forward, actor=self.warehouse, reverse_order_id=pk, tracking_no="SF1")
        else:
            self._try(record_destruction, actor=self.warehouse, reverse_order_id=pk)

    @rule(i=st.integers(0, 2))
    def raise_exception(self, i):
        self._try(
            exception_raise, actor=self.warehouse, reverse_order_id=self.orders[i].pk, kind="other", description="x"
        )

    @rule(i=st.integers(0, 2))
    def close_exception(self, i):
        open_one = ReverseException.objects.filter(reverse_order=self.orders[i], closed_at__isnull=True).first()
        if open_one:
            self._try(exception_close, actor=self.warehouse, exception_id=open_one.pk, resolution="ok")

    @invariant()
    def states_agree_with_registrations_and_dispositions(self):
        for order in ReverseOrder.objects.all():
            registered = PickupRegistration.objects.filter(reverse_order=order).first()
            if order.disposition == "destroy":
                assert registered is None
                assert order.status in {
                    ReverseStatus.AWAITING_MERCHANT,
                    ReverseStatus.AWAITING_DESTRUCTION,
                    ReverseStatus.COMPLETED,
                }
                assert order.completion_kind in {"", "destroyed"}
            else:
                assert order.status != ReverseStatus.AWAITING_DESTRUCTION
                assert (registered is None) == (order.status == ReverseStatus.AWAITING_MERCHANT)
                if registered:
                    assert order.pickup_method == registered.method
                    assert order.completion_kind in {
                        "",
                        "handed_over" if registered.method == "self_pickup" else "forwarded",
                    }
            assert (order.status == ReverseStatus.COMPLETED) == bool(order.completion_kind)

    @invariant()
    def exception_state_follows_exceptions(self):
        for order in ReverseOrder.objects.all():
            open_count = order.exceptions.filter(closed_at__isnull=True).count()
            assert open_count <= 1
            if open_count:
                assert order.exception_state == ExceptionState.OPEN
            elif order.exceptions.exists():
                assert order.exception_state == ExceptionState.CLOSED
            else:
                assert order.exception_state == ExceptionState.NONE

    @invariant()
    def every_change_has_its_event(self):
        for order in ReverseOrder.objects.all():
            kinds = list(
                Event.objects.filter(subject_type="reverse.reverseorder", subject_id=str(order.pk)).values_list(
                    "kind", flat=True
                )
            )
            assert kinds.count("reverse_order.created") == 1
            assert (order.status != ReverseStatus.AWAITING_MERCHANT) == any(
                k in kinds for k in ("reverse_order.pickup_registered", "reverse_order.destruction_confirmed")
            )


@pytest.mark.django_db
def test_reverse_state_machine():
    ReverseMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
    ReverseMachine.TestCase().runTest()
