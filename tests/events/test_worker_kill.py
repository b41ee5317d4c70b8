"""Killing the worker with SIGKILL at random moments loses no webhook: every event arrives, repeats keep their id."""

from __future__ import annotations

import random
import time

import pytest

from firstmile.events.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from firstmile.events.services import endpoint_create

from .. import factories
from ..workerproc import kill, start_worker
from .load import warehouse_events
from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 200  # bench/webhook_delivery.py runs 1,000


def _wait_for_first_send(receiver, deadline) -> None:
    seen = len(receiver.received)
    while len(receiver.received) == seen and time.monotonic() < deadline:
        time.sleep(0.01)


def test_sigkill_at_random_points_loses_nothing(divisions, tmp_path):
    receiver = Receiver(delay=0.005).start()
    try:
        merchant = factories.actor()
        endpoint_create(actor=merchant, url=receiver.url, event_types=["warehouse.updated"])
        expected = warehouse_events(merchant, COUNT)
        assert len(expected) == COUNT

        rng = random.Random(7)
        kills = 0
        deadline = time.monotonic() + 120
        with open(tmp_path / "worker.log", "wb") as log:
            # A worker needs about two seconds to start; each is killed at a random
            # moment of its sending, several times over.
            while kills < 4 and len(set(receiver.ids()) & expected) < COUNT:
                worker = start_worker(log=log)
                _wait_for_first_send(receiver, deadline)
                time.sleep(rng.uniform(0.0, 0.4))
                kill(worker)
                kills += 1
            # The last worker is left to finish (leases of the killed ones run out after 2 s).
            worker = start_worker(log=log)
            while len(set(receiver.ids()) & expected) < COUNT and time.monotonic() < deadline:
                time.sleep(0.2)
            kill(worker)

        got = receiver.ids()
        assert set(got) >= expected, f"lost {len(expected - set(got))} of {COUNT} after {kills} kills"
        assert kills >= 2
        # A repeat is the same message: same id, same body.
        bodies: dict[str, bytes] = {}
        for received in receiver.received:
            wid = received.headers["webhook-id"]
            assert bodies.setdefault(wid, received.body) == received.body
        assert not WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists()
    finally:
        receiver.stop()


def test_two_workers_share_the_queue_and_send_each_delivery_once(divisions, tmp_path):
    # A slow receiver (50 ms), so the queue outlasts the second worker's start-up.
    receiver = Receiver(delay=0.05).start()
    count = 6 * COUNT
    try:
        merchant = factories.actor()
        endpoint_create(actor=merchant, url=receiver.url, event_types=["warehouse.updated"])
        expected = warehouse_events(merchant, count)
        with open(tmp_path / "worker.log", "wb") as log:
            workers = [start_worker(log=log, lease_seconds=60), start_worker(log=log, lease_seconds=60)]
            deadline = time.monotonic() + 60
            while len(set(receiver.ids()) & expected) < count and time.monotonic() < deadline:
                time.sleep(0.05)
            for worker in workers:
                kill(worker)
        got = receiver.ids()
        assert sorted(got) == sorted(expected)  # every one, none twice
        # Both took part.
        owners = set(WebhookAttempt.objects.values_list("worker_id", flat=True))
        assert len(owners) == 2
    finally:
        receiver.stop()
