"""Random first-mile histories played through the real services, for property tests.

A merchant with a PICK UP warehouse (洪梅) and a DROP OFF one (长安) ships parcels over a
working week; each day it books, changes and cancels pickup windows and voids labels;
the carrier plans the day, its driver scans some parcels and then closes or fails the
stop, the merchant's contact signs the handover list or not, and the sorting centre
scans parcels in, sometimes just after midnight for the day before. Refused calls are
part of a history too: they must change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import strategies as st

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign, pickup_window_create
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.models import HandoverList, HandoverStatus, PickupTask, TaskStatus
from firstmile.dispatch.services import (
    day_plan,
    driver_create,
    handover_confirm,
    pickup_fail,
    roster_set,
    route_create,
    scan_inbound,
    scan_pickup,
    task_close,
)
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import subscription_approve, warehouse_create
from firstmile.shipping.models import Waybill, WaybillStatus
from firstmile.shipping.services import (
    order_create,
    pickup_slot_book,
    pickup_slot_cancel,
    shipment_arrange,
    waybill_void,
)

from .. import factories
from ..shipping.conftest import CHANGAN, HONGMEI

MONDAY = datetime(2023, 9, 18, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

day_steps = st.fixed_dictionaries(
    {
        "ship_pickup": st.integers(1, 4),
        "ship_drop_off": st.integers(0, 2),
        "book": st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2)), max_size=3),
        "cancel": st.lists(st.integers(0, 30), max_size=2),
        "void": st.lists(st.integers(0, 30), max_size=2),
        "scan": st.lists(st.integers(0, 30), max_size=4),
        "stop": st.sampled_from(["fail", "close", "fail", "leave"]),
        "sign": st.booleans(),
        "inbound": st.lists(st.integers(0, 30), max_size=4),
        "inbound_after_midnight": st.booleans(),
    }
)
histories = st.lists(day_steps, min_size=1, max_size=5)


class World:
    """The parties of a history, built inside the test's transaction."""

    def __init__(self) -> None:
        self.carrier = factories.carrier("JT", with_centre_in="441900125")
        coverage_assign(actor=None, division_code="441900", carrier=self.carrier, valid_from=beijing(2023, 1, 1))
        self.merchant = factories.actor(kind=OrganisationKind.MERCHANT)
        self.dispatcher = factories.actor(self.carrier.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
        staff = factories.actor(self.carrier.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
        with time_machine.travel(MONDAY, tick=False):
            self.hongmei = warehouse_create(actor=self.merchant, **HONGMEI).warehouse
            subscription_approve(
                actor=staff, subscription_ids=[PickupSubscription.objects.get(warehouse=self.hongmei).pk]
            )
            self.changan = warehouse_create(actor=self.merchant, **CHANGAN).warehouse
            self.windows = pickup_window_create(
                actor=self.dispatcher,
                division_code="441900",
                weekdays=[1, 2, 3, 4, 5],
                starts_at="14:00",
                ends_at="17:00",
                capacity=3,
            )
            route = route_create(actor=self.dispatcher, name="东莞西线", division_codes=["441900125", "441900119"])
            driver = driver_create(
                actor=self.dispatcher, name="李师傅", phone="13900000001", username="li", password="drive-safe-1"
            )
            for day_type in ("weekday", "weekend"):
                roster_set(
                    actor=self.dispatcher, driver_id=driver.pk, route_id=route.pk, day_type=day_type, capacity=20
                )
        self.driver = Actor.for_user(driver.user)
        self.centre = self.carrier.sorting_centres.get().code
        self.serial = 0
        self.refused = 0

    def _try(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except ApplicationError:
            self.refused += 1
            return None

    def _pick(self, queryset, index):
        rows = list(queryset.order_by("pk"))
        return rows[index % len(rows)] if rows else None

    def _ship(self, warehouse, n):
        orders = []
        for _ in range(n):
            self.serial += 1
            orders.append(order_create(actor=self.merchant, order_no=f"H{self.serial}", warehouse_code=warehouse.code))
        if orders:
            shipment_arrange(actor=self.merchant, order_ids=[o.pk for o in orders])

    def play_day(self, index: int, steps: dict) -> None:
        morning = MONDAY + timedelta(days=index)
        with time_machine.travel(morning, tick=False):
            self._ship(self.hongmei, steps["ship_pickup"])
            self._ship(self.changan, steps["ship_drop_off"])
            waiting = Waybill.objects.filter(status=WaybillStatus.ISSUED, warehouse=self.hongmei)
            for pick, ahead in steps["book"]:
                waybill = self._pick(waiting, pick)
                day = (morning + timedelta(hours=8, days=ahead)).date()
                window = next((w for w in self.windows if w.weekday == day.isoweekday()), None)
                if waybill is not None and window is not None:
                    self._try(
                        pickup_slot_book,
                        actor=self.merchant,
                        waybill_no=waybill.waybill_no,
                        window_id=window.pk,
                        day=day,
                    )
            for pick in steps["cancel"]:
                waybill = self._pick(waiting.filter(pickup_window__isnull=False), pick)
                if waybill is not None:
                    self._try(pickup_slot_cancel, actor=self.merchant, waybill_no=waybill.waybill_no)
            for pick in steps["void"]:
                waybill = self._pick(Waybill.objects.exclude(status=WaybillStatus.VOIDED), pick)
                if waybill is not None:
                    self._try(waybill_void, actor=self.merchant, waybill_id=waybill.pk)
            day_plan(actor=self.dispatcher)
        with time_machine.travel(morning + timedelta(hours=6), tick=False):  # 15:00, the stop
            task = PickupTask.objects.filter(date=(morning + timedelta(hours=8)).date()).first()
            if task is not None:
                for pick in steps["scan"]:
                    waybill = self._pick(Waybill.objects.filter(task_link__task=task), pick)
                    if waybill is not None:
                        self._try(scan_pickup, actor=self.driver, waybill_no=waybill.waybill_no, task_id=task.pk)
                if steps["stop"] == "fail":
                    self._try(pickup_fail, actor=self.driver, task_id=task.pk, reason="not_ready")
                elif steps["stop"] == "close":
                    self._try(task_close, actor=self.driver, task_id=task.pk)
                handover = HandoverList.objects.filter(task=task, status=HandoverStatus.OPEN).first()
                if steps["sign"] and handover is not None and task.status != TaskStatus.FAILED:
                    self._try(
                        handover_confirm,
                        actor=self.driver,
                        handover_id=handover.pk,
                        signer_name="陈经理",
                        signature=factories.signature_data_url(),
                    )
        # 20:00 the same evening, or 00:30 the next morning for the day's parcels.
        evening = morning + (
            timedelta(hours=15, minutes=30) if steps["inbound_after_midnight"] else timedelta(hours=11)
        )
        with time_machine.travel(evening, tick=False):
            for pick in steps["inbound"]:
                waybill = self._pick(Waybill.objects.exclude(status=WaybillStatus.VOIDED), pick)
                if waybill is not None:
                    self._try(
                        scan_inbound,
                        actor=self.dispatcher,
                        sorting_centre_code=self.centre,
                        waybill_no=waybill.waybill_no,
                    )

    def play(self, days: list[dict]) -> None:
        for index, steps in enumerate(days):
            self.play_day(index, steps)
