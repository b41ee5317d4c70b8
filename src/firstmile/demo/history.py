"""Weeks of first-mile history for the demo, played day by day through the real services.

The performance pages, the parcel timelines and the review and reverse figures mean
little on a day-old database. The demo therefore sets the clock back and plays each
past day as it would have happened: merchants print labels (a few of them late), J&T
plans the day, its driver collects most parcels and sometimes fails a stop for a
reason, the warehouse signs the handover list, the sorting centre scans the parcels
in that evening or just after midnight, DROP OFF parcels arrive at the counter, and
now and then a reverse order comes back. Every row is written by the same services as
in production; only the clock they read is moved.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock

from django.utils import timezone

from firstmile.accounts.actor import Actor
from firstmile.core.clock import BEIJING
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.models import (
    FailureReason,
    HandoverKind,
    HandoverList,
    HandoverStatus,
    PickupTask,
    TaskStatus,
)
from firstmile.dispatch.services import day_plan, handover_confirm, pickup_fail, scan_inbound, scan_pickup, task_close
from firstmile.reverse.services import reverse_order_create
from firstmile.shipping.models import HandoverMethod, Order, OrderStatus, Waybill, WaybillStatus
from firstmile.shipping.services import order_create, shipment_arrange


@contextmanager
def clock_at(instant: datetime) -> Iterator[None]:
    """Every service reads the time through django.utils.timezone.now: set it to ``instant``."""
    with mock.patch.object(timezone, "now", return_value=instant):
        yield


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def _signature() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 70), (90, 20), (160, 80), (260, 30)], fill=(20, 20, 20, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class History:
    """The parties of the demo, playing its past days. ``actor_of`` finds a demo login's actor."""

    def __init__(self, actor_of, *, seed: int = 20231) -> None:
        self.actor_of = actor_of
        self.random = random.Random(seed)
        self.signature = _signature()
        self.serial = 0

    def _try(self, call, **kwargs):
        # A refused step is a day's ordinary friction (a stop already closed, a parcel already in).
        try:
            return call(**kwargs)
        except ApplicationError:
            return None

    def _orders(self, username: str, warehouse_code: str, count: int, day: date) -> list[Order]:
        merchant = self.actor_of(username)
        orders = []
        for _ in range(count):
            self.serial += 1
            order_no = f"H{day:%Y%m%d}{self.serial:04d}"
            orders.append(order_create(actor=merchant, order_no=order_no, warehouse_code=warehouse_code))
        return orders

    def play(self, first_day: date, days: int) -> None:
        for index in range(days):
            self.play_day(first_day + timedelta(days=index), index)

    def play_day(self, day: date, index: int) -> None:
        rnd = self.random
        merchant = self.actor_of("dg_merchant")
        jt_dispatch = self.actor_of("jt_dispatch")
        with clock_at(at(day, 9)):
            # PICK UP from Hongmei; DROP OFF from Chang'an (no pickup subscription there).
            pickup = self._orders("dg_merchant", "DG-HM-01", rnd.randint(6, 14), day)
            drop_off = self._orders("dg_merchant", "DG-CA-02", rnd.randint(0, 3), day)
            # A few orders wait: they are printed days later, past their ship-by.
            held = pickup[: rnd.choice((0, 0, 1, 2))]
            shipment_arrange(actor=merchant, order_ids=[o.pk for o in pickup + drop_off if o not in held])
            late = Order.objects.filter(
                merchant=merchant.organisation,
                status=OrderStatus.AWAITING_SHIPMENT,
                order_no__startswith="H",
                created_at__lt=at(day, 9) - timedelta(days=2),
            )
            if late.exists():
                shipment_arrange(actor=merchant, order_ids=list(late.values_list("pk", flat=True)))
        with clock_at(at(day, 9, 30)):
            day_plan(actor=jt_dispatch)
        with clock_at(at(day, 15, rnd.randint(0, 59))):
            for task in PickupTask.objects.filter(date=day).select_related("shift__driver__user"):
                driver = Actor.for_user(task.shift.driver.user)
                if rnd.random() < 0.12:
                    reason = rnd.choice([r for r in FailureReason.values if r != FailureReason.OTHER])
                    self._try(pickup_fail, actor=driver, task_id=task.pk, reason=reason)
                    continue
                for waybill_no in Waybill.objects.filter(task_link__task=task).values_list("waybill_no", flat=True):
                    if rnd.random() < 0.95:  # now and then a parcel is not on the shelf
                        self._try(scan_pickup, actor=driver, waybill_no=waybill_no, task_id=task.pk)
                handover = HandoverList.objects.filter(task=task, status=HandoverStatus.OPEN).first()
                if handover is not None:
                    self._try(
                        handover_confirm,
                        actor=driver,
                        handover_id=handover.pk,
                        signer_name="陈经理",
                        signature=self.signature,
                    )
                task.refresh_from_db()
                if task.status not in (TaskStatus.CLOSED, TaskStatus.FAILED):
                    self._try(task_close, actor=driver, task_id=task.pk)
        # The sorting centre scans the day's parcels in at 20:00, or some just after midnight.
        evening = at(day, 20) if rnd.random() < 0.7 else at(day + timedelta(days=1), 0, 30)
        with clock_at(evening):
            arriving = Waybill.objects.filter(carrier__code="JT").filter(
                status=WaybillStatus.COLLECTED, collected_at__lt=evening
            ) | Waybill.objects.filter(
                carrier__code="JT", status=WaybillStatus.ISSUED, handover_method=HandoverMethod.DROP_OFF
            )
            for waybill_no in arriving.values_list("waybill_no", flat=True):
                if rnd.random() < 0.93:
                    self._try(scan_inbound, actor=jt_dispatch, sorting_centre_code="JT-GZ-BY", waybill_no=waybill_no)
            # Whoever brought the DROP OFF parcels signs the counter's list.
            for counter in HandoverList.objects.filter(kind=HandoverKind.DROP_OFF, status=HandoverStatus.OPEN):
                self._try(
                    handover_confirm,
                    actor=jt_dispatch,
                    handover_id=counter.pk,
                    signer_name="小王",
                    signature=self.signature,
                )
        if index % 4 == 1:
            with clock_at(at(day, 11)):
                self.serial += 1
                # Only a parcel that failed customs may be destroyed (seed 003).
                kind, disposition = rnd.choice(
                    (("customs_failed", "return"), ("customs_failed", "destroy"), ("intercept_refused", "return"))
                )
                reverse_order_create(
                    actor=self.actor_of("ws_dispatch"),
                    merchant_code="dg-lighting",
                    reverse_no=f"RVH{day:%y%m%d}{self.serial:03d}",
                    order_no=f"TT{day:%y%m%d}{self.serial:04d}",
                    reverse_type=kind,
                    disposition=disposition,
                    business_mode="pop",
                    warehouse_code="WS-HZ-DM",
                    warehouse_name="万色杭州直邮集货仓",
                    owner_id="OW-DG-001",
                    owner_name="东莞明亮灯饰",
                    product_name="LED 台灯",
                    goods_name="台灯 白色",
                )
