"""Webhook delivery on PostgreSQL: no loss under SIGKILL, throughput with 1 and 2 workers, commit-to-delivery lag.

Three parts in one run, each against a receiver on 127.0.0.1 (answers 204 after 1 ms):
  1. kill: 1,000 deliveries; `firstmile worker` processes are killed with SIGKILL at
     random moments while they send, and restarted; every event must arrive at least
     once, repeats with the same webhook-id and body.
  2. throughput: 5,000 deliveries already queued, drained by 1 worker, then (new
     events) by 2 workers: deliveries per second.
  3. lag: events committed at a steady 100/s for 20 s while 1 and then 2 workers run;
     p50/p95 of (arrival at the receiver − the event's commit time).

    PYTHONPATH=. .venv/bin/python bench/webhook_delivery.py [--kill-count 1000] [--count 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime

from _pg import fresh_database


def _events(merchant, count: int, start: int = 0) -> set[str]:
    from tests.events.load import warehouse_events

    return warehouse_events(merchant, count, start)


def _wait_for(receiver, expected: set[str], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if expected <= set(receiver.ids()):
            return time.monotonic() - started
        time.sleep(0.02)
    raise SystemExit(f"not all delivered in {seconds} s: {len(expected - set(receiver.ids()))} missing")


def kill_run(merchant, receiver, count: int) -> dict:
    from tests.workerproc import kill, start_worker

    expected = _events(merchant, count)
    rng = random.Random(11)
    kills = 0
    started = time.monotonic()
    while kills < 10 and not expected <= set(receiver.ids()):
        worker = start_worker()
        seen = len(receiver.received)
        while len(receiver.received) == seen:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        kill(worker)
        kills += 1
    worker = start_worker()
    _wait_for(receiver, expected, 120)
    kill(worker)
    got = [r for r in receiver.received if r.headers["webhook-id"] in expected]
    bodies: dict[str, bytes] = {}
    for r in got:
        assert bodies.setdefault(r.headers["webhook-id"], r.body) == r.body, "a repeat changed its body"
    return {
        "events": count,
        "kills": kills,
        "arrived": len(set(bodies)),
        "requests": len(got),
        "duplicates": len(got) - len(set(bodies)),
        "seconds": time.monotonic() - started,
    }


def throughput(merchant, receiver, count: int, workers: int, start: int) -> float:
    from tests.workerproc import kill, start_worker

    expected = _events(merchant, count, start)
    processes = [start_worker(lease_seconds=60, dead_after=30) for _ in range(workers)]
    # Clock starts at the first arrival, so worker start-up (~2 s of imports) is not counted.
    while not set(receiver.ids()) & expected:
        time.sleep(0.005)
    elapsed = _wait_for(receiver, expected, 300)
    for p in processes:
        kill(p)
    return count / elapsed


def lag(merchant, receiver, workers: int, start: int, rate: int = 100, seconds: int = 20) -> tuple[float, float, int]:
    from django.db import transaction

    from firstmile.events.models import Event
    from firstmile.events.services import event_record
    from firstmile.pickup.models import Warehouse
    from tests.workerproc import kill, start_worker

    warehouses = list(Warehouse.objects.filter(merchant=merchant.organisation).order_by("id")[:rate])
    # The worker's default idle poll (0.5 s), as `firstmile worker` runs it.
    processes = [start_worker(lease_seconds=60, dead_after=30, interval=0.5) for _ in range(workers)]
    time.sleep(3)  # let them start
    committed: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        tick = time.monotonic()
        with transaction.atomic():
            event = event_record(
                actor=None,
                kind="warehouse.updated",
                subject=warehouses[n % len(warehouses)],
                payload={"n": start + n},
                owner=merchant.organisation,
            )
        committed[f"msg_{event.pk}"] = time.time()
        n += 1
        time.sleep(max(0.0, 1 / rate - (time.monotonic() - tick)))
    _wait_for(receiver, set(committed), 120)
    for p in processes:
        kill(p)
    arrivals = {}
    for r in receiver.received:
        arrivals.setdefault(r.headers["webhook-id"], r.at)
    lags = sorted((arrivals[k] - v) * 1000 for k, v in committed.items())
    assert Event.objects.count() >= n
    return statistics.median(lags), lags[int(len(lags) * 0.95)], n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-count", type=int, default=1000)
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    with fresh_database("firstmile_bench_webhooks"):
        from tests import factories
        from tests.events.receiver import Receiver

        receiver = Receiver(delay=0.001).start()
        merchant = factories.actor()
        from firstmile.events.services import endpoint_create

        endpoint_create(actor=merchant, url=receiver.url, event_types=["warehouse.updated"])
        killed = kill_run(merchant, receiver, args.kill_count)
        one = throughput(merchant, receiver, args.count, 1, 100_000)
        two = throughput(merchant, receiver, args.count, 2, 200_000)
        lag1 = lag(merchant, receiver, 1, 300_000)
        lag2 = lag(merchant, receiver, 2, 400_000)
        receiver.stop()
        today = datetime.now(tz=UTC).date()
        print(f"webhook delivery on PostgreSQL, receiver on 127.0.0.1 (1 ms per request), {today}")
        print(
            f"  kill test: {killed['events']} events, {killed['kills']} SIGKILLs: {killed['arrived']} arrived "
            f"({killed['requests']} requests, {killed['duplicates']} repeats with the same id), "
            f"{killed['seconds']:.1f} s"
        )
        print(f"  throughput: 1 worker {one:,.0f} deliveries/s; 2 workers {two:,.0f} deliveries/s ({two / one:.2f}x)")
        print(f"  lag at 100 events/s: 1 worker p50 {lag1[0]:.0f} ms p95 {lag1[1]:.0f} ms ({lag1[2]} events)")
        print(f"                       2 workers p50 {lag2[0]:.0f} ms p95 {lag2[1]:.0f} ms ({lag2[2]} events)")
        print(json.dumps({"kill": killed, "throughput": [one, two], "lag": [lag1, lag2]}, default=str))


if __name__ == "__main__":
    main()
