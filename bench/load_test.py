"""A realistic mix of merchant ERP, carrier, driver and merchant traffic against the production server.

gunicorn with Firstmile's config (2 workers) on a fresh PostgreSQL database, on
loopback, for --minutes (default 10) at a stated rate. The load is open-loop:
each stream has its own rate and every request is due at a fixed instant, so a
slow answer does not slow the load down; latency is counted from the instant the
request was due (queueing included), not from when it was sent.

Streams (requests a second at --scale 1; 32/s in all):
  erp.create_order       8   POST /api/v1/orders (token)
  erp.arrange_shipment   1   POST /api/v1/orders/arrange-shipment, the orders created since the last call (≤ 20)
  erp.get_warehouse      6   GET  /api/v1/warehouses/{id}
  erp.get_order          3   GET  /api/v1/orders/{id}
  erp.list_waybills      3   GET  /api/v1/waybills
  erp.label_pdf          1   GET  /api/v1/waybills/{no}/label.pdf
  carrier.pickup_requests 2  GET  /api/v1/pickup-requests (J&T's staff token)
  carrier.dispatch_tasks 2   GET  /api/v1/dispatch/tasks
  driver.scan_pickup     4   POST /api/v1/scans/pickup (drivers' portal sessions, CSRF),
                             each a parcel of the driver's planned day
  merchant.reverse_list  2   GET  /api/v1/reverse-orders

Prints per stream: requests, errors (any answer other than the one expected),
p50/p95/p99 latency; and the overall rate achieved. Exits non-zero on any error.

    PYTHONPATH=. .venv/bin/python bench/load_test.py [--minutes 10] [--scale 1]
"""

from __future__ import annotations

import argparse
import collections
import heapq
import itertools
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from _pg import fresh_database

STREAMS = {
    "erp.create_order": 8,
    "erp.arrange_shipment": 1,
    "erp.get_warehouse": 6,
    "erp.get_order": 3,
    "erp.list_waybills": 3,
    "erp.label_pdf": 1,
    "carrier.pickup_requests": 2,
    "carrier.dispatch_tasks": 2,
    "driver.scan_pickup": 4,
    "merchant.reverse_list": 2,
}
MERCHANTS = 10
WAREHOUSES_EACH = 5
DRIVERS = 6


def seed(parcels_for_drivers: int) -> dict:
    from django.db import connection

    from firstmile.accounts.models import OrganisationKind, Role
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing, beijing_today
    from firstmile.dispatch.services import day_plan, driver_create, roster_set, route_create
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create
    from firstmile.shipping.models import Waybill
    from firstmile.shipping.services import order_create, shipment_arrange
    from tests import factories

    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    jt_admin = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    towns = ["441900101", "441900119", "441900121", "441900125", "441900126"]
    merchants = []
    for m in range(MERCHANTS):
        actor = factories.actor(kind=OrganisationKind.MERCHANT)
        warehouses = [
            warehouse_create(
                actor=actor,
                name=f"仓{m}-{w}",
                code=f"W{m}-{w}",
                contact_name="陈经理",
                phone="13800138000",
                division_code=towns[w % len(towns)],
                address_detail=f"工业路{m}-{w}号",
            ).warehouse
            for w in range(WAREHOUSES_EACH)
        ]
        subscription_approve(
            actor=jt_admin,
            subscription_ids=list(
                PickupSubscription.objects.filter(warehouse__in=warehouses).values_list("pk", flat=True)
            ),
        )
        merchants.append({"actor": actor, "warehouses": warehouses, "token": factories.token(actor.organisation)})
    # Parcels waiting for today's pickup, for the drivers to scan during the run.
    for m, merchant in enumerate(merchants):
        orders = [
            order_create(
                actor=merchant["actor"],
                order_no=f"SEED-{m}-{i}",
                warehouse_code=merchant["warehouses"][i % WAREHOUSES_EACH].code,
            ).pk
            for i in range(parcels_for_drivers // MERCHANTS + 1)
        ]
        for i in range(0, len(orders), 200):
            shipment_arrange(actor=merchant["actor"], order_ids=orders[i : i + 200])
    route = route_create(actor=jt_admin, name="东莞", division_codes=["441900"])
    drivers = []
    for d in range(DRIVERS):
        driver = driver_create(
            actor=jt_admin, name=f"师傅{d}", phone=f"1390000{d:04d}", username=f"driver{d}", password=f"drive-safe-{d}!"
        )
        for day_type in ("weekday", "weekend"):
            roster_set(actor=jt_admin, driver_id=driver.pk, route_id=route.pk, day_type=day_type, capacity=200)
        drivers.append(driver)
    day_plan(actor=jt_admin, day=beijing_today())
    driver_parcels = {
        d.user.username: list(
            Waybill.objects.filter(task_link__task__shift__driver=d).order_by("pk").values_list("waybill_no", flat=True)
        )
        for d in drivers
    }
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "merchants": [
            {
                "token": m["token"],
                "warehouse_ids": [w.pk for w in m["warehouses"]],
                "codes": [w.code for w in m["warehouses"]],
            }
            for m in merchants
        ],
        "carrier_token": factories.token(jt.organisation),
        "drivers": {f"driver{d}": f"drive-safe-{d}!" for d in range(DRIVERS)},
        "driver_parcels": driver_parcels,
    }


class Traffic:
    """The state the streams share: who calls, and what they created."""

    def __init__(self, base: str, data: dict) -> None:
        self.base = base
        self.data = data
        self.local = threading.local()
        self.lock = threading.Lock()
        self.counter = itertools.count()
        # each stream goes round the merchants on its own
        self.merchant_cycles = collections.defaultdict(lambda: itertools.cycle(range(len(data["merchants"]))))
        self.created = collections.defaultdict(list)  # merchant index -> order ids not yet arranged
        self.orders = collections.deque(maxlen=2000)  # (merchant index, order id)
        self.waybills = collections.deque(maxlen=2000)  # (merchant index, waybill no), the latest
        self.arranged = 0
        self.driver_sessions: dict[str, requests.Session] = {}
        self.driver_queue = itertools.cycle(sorted(data["drivers"]))
        self.parcels = {name: collections.deque(nos) for name, nos in data["driver_parcels"].items()}

    def session(self) -> requests.Session:
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
        return s

    def token_headers(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def login_drivers(self) -> None:
        for name, password in self.data["drivers"].items():
            s = requests.Session()
            s.get(f"{self.base}/login/").raise_for_status()
            r = s.post(
                f"{self.base}/login/",
                data={"username": name, "password": password, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
                allow_redirects=False,
            )
            assert r.status_code == 302, (name, r.status_code)
            self.driver_sessions[name] = s
        self.driver_locks = {name: threading.Lock() for name in self.driver_sessions}

    def next_merchant(self, stream: str) -> int:
        with self.lock:
            return next(self.merchant_cycles[stream])

    # -- the requests: each returns True when the answer is the expected one --------------

    def erp_create_order(self) -> bool:
        m = self.next_merchant("erp_create_order")
        merchant = self.data["merchants"][m]
        n = next(self.counter)
        r = self.session().post(
            f"{self.base}/api/v1/orders",
            json={"order_no": f"LT-{n}", "warehouse_code": merchant["codes"][n % len(merchant["codes"])]},
            headers=self.token_headers(merchant["token"]),
        )
        if r.status_code != 201:
            return False
        order_id = r.json()["id"]
        with self.lock:
            self.created[m].append(order_id)
            self.orders.append((m, order_id))
        return True

    def erp_arrange_shipment(self) -> bool:
        m = self.next_merchant("erp_arrange_shipment")
        with self.lock:
            ids, self.created[m] = self.created[m][:20], self.created[m][20:]
        if not ids:
            return True  # nothing new for this merchant yet
        r = self.session().post(
            f"{self.base}/api/v1/orders/arrange-shipment",
            json={"order_ids": ids},
            headers=self.token_headers(self.data["merchants"][m]["token"]),
        )
        if r.status_code != 200:
            return False
        with self.lock:
            issued = r.json()["waybills"]
            self.waybills.extend((m, w["waybill_no"]) for w in issued)
            self.arranged += len(issued)
        return True

    def erp_get_warehouse(self) -> bool:
        m = self.next_merchant("erp_get_warehouse")
        merchant = self.data["merchants"][m]
        wid = merchant["warehouse_ids"][next(self.counter) % len(merchant["warehouse_ids"])]
        r = self.session().get(f"{self.base}/api/v1/warehouses/{wid}", headers=self.token_headers(merchant["token"]))
        return r.status_code == 200 and r.json()["pickup"]["supports_pickup"] is True

    def erp_get_order(self) -> bool:
        with self.lock:
            if not self.orders:
                return True
            m, order_id = self.orders[next(self.counter) % len(self.orders)]
        r = self.session().get(
            f"{self.base}/api/v1/orders/{order_id}", headers=self.token_headers(self.data["merchants"][m]["token"])
        )
        return r.status_code == 200

    def erp_list_waybills(self) -> bool:
        merchant = self.data["merchants"][self.next_merchant("erp_list_waybills")]
        r = self.session().get(f"{self.base}/api/v1/waybills", headers=self.token_headers(merchant["token"]))
        return r.status_code == 200

    def erp_label_pdf(self) -> bool:
        with self.lock:
            if not self.waybills:
                return True
            m, number = self.waybills[next(self.counter) % len(self.waybills)]
        r = self.session().get(
            f"{self.base}/api/v1/waybills/{number}/label.pdf",
            headers=self.token_headers(self.data["merchants"][m]["token"]),
        )
        return r.status_code == 200 and r.content.startswith(b"%PDF")

    def carrier_pickup_requests(self) -> bool:
        r = self.session().get(
            f"{self.base}/api/v1/pickup-requests?status=active", headers=self.token_headers(self.data["carrier_token"])
        )
        return r.status_code == 200

    def carrier_dispatch_tasks(self) -> bool:
        r = self.session().get(
            f"{self.base}/api/v1/dispatch/tasks", headers=self.token_headers(self.data["carrier_token"])
        )
        return r.status_code == 200

    def driver_scan_pickup(self) -> bool:
        with self.lock:
            name = next(self.driver_queue)
            number = self.parcels[name].popleft() if self.parcels[name] else None
        if number is None:
            return True  # this driver's day is done
        with self.driver_locks[name]:  # a session is one phone: one request at a time
            s = self.driver_sessions[name]
            r = s.post(
                f"{self.base}/api/v1/scans/pickup",
                json={"waybill_no": number},
                headers={"X-CSRFToken": s.cookies["csrftoken"]},
            )
        return r.status_code == 200

    def merchant_reverse_list(self) -> bool:
        merchant = self.data["merchants"][self.next_merchant("merchant_reverse_list")]
        r = self.session().get(f"{self.base}/api/v1/reverse-orders", headers=self.token_headers(merchant["token"]))
        return r.status_code == 200


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(traffic: Traffic, seconds: float, scale: float) -> tuple[dict[str, list], dict[str, list]]:
    results: dict[str, list] = {name: [] for name in STREAMS}
    failures: dict[str, list] = collections.defaultdict(list)
    start = time.perf_counter() + 1
    # (due instant, stream) for every request of the run, in order.
    due = []
    for name, rate in STREAMS.items():
        interval = 1 / (rate * scale)
        offset = interval * (zlib.crc32(name.encode()) % 1000) / 1000  # streams do not all fire at once
        due.extend((start + offset + i * interval, name) for i in range(int(seconds / interval)))
    heapq.heapify(due)

    def fire(at: float, name: str) -> None:
        method = getattr(traffic, name.replace(".", "_"))
        try:
            ok = method()
            error = None if ok else "unexpected answer"
        except Exception as exc:
            ok, error = False, repr(exc)[:200]
        results[name].append(((time.perf_counter() - at) * 1000, ok))
        if not ok:
            failures[name].append(error)

    with ThreadPoolExecutor(max_workers=64) as pool:
        while due:
            at, name = heapq.heappop(due)
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fire, at, name)
    return results, failures


def pct(samples: list[float], q: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else 0.0
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every stream's rate")
    args = parser.parse_args()
    seconds = args.minutes * 60
    scans_needed = int(STREAMS["driver.scan_pickup"] * args.scale * seconds) + 50
    with fresh_database("firstmile_bench_load"):
        print(
            f"seeding: {MERCHANTS} merchants × {WAREHOUSES_EACH} warehouses, "
            f"{scans_needed} parcels for {DRIVERS} drivers"
        )
        data = seed(scans_needed)
        port = _port()
        env = {
            **os.environ,
            "FIRSTMILE_BIND": f"127.0.0.1:{port}",
            "FIRSTMILE_WEB_WORKERS": "2",
            "FIRSTMILE_READY_REQUIRES_WORKER": "0",
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        log = open(os.devnull, "w")  # noqa: SIM115 - the server's log lines, for its whole life
        server = subprocess.Popen(
            [gunicorn, "-c", "python:firstmile.gunicorn_conf", "firstmile.wsgi"], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(f"{base}/readyz", timeout=1).raise_for_status()
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            traffic = Traffic(base, data)
            traffic.login_drivers()
            print(f"running {args.minutes:g} min at {sum(STREAMS.values()) * args.scale:g} requests/s, open loop")
            started = time.perf_counter()
            results, failures = run(traffic, seconds, args.scale)
            wall = time.perf_counter() - started
            print(f"arranged {traffic.arranged} waybills; {sum(map(len, traffic.created.values()))} orders waiting")
        finally:
            server.terminate()
            server.wait(timeout=30)
    total = sum(len(v) for v in results.values())
    errors = sum(1 for v in results.values() for _ms, ok in v if not ok)
    print(f"\n{total:,} requests in {wall:.0f} s ({total / wall:.1f}/s), {errors} errors")
    print(f"  {'stream':<26} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, samples in results.items():
        ms = [m for m, _ok in samples]
        bad = sum(1 for _m, ok in samples if not ok)
        print(f"  {name:<26} {len(samples):>9,} {bad:>7} {pct(ms, 50):8.1f} {pct(ms, 95):8.1f} {pct(ms, 99):8.1f}")
    for name, errs in failures.items():
        print(f"  {name} errors, first few: {errs[:3]}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
