"""Authenticated single-object GETs through the API, against bare Django views, under gunicorn on PostgreSQL.

As a new user would run it: gunicorn with Firstmile's config and 2 workers, the
production settings' middleware, PostgreSQL, wrk with 8 connections on loopback,
10 s per URL after a 2 s warm-up. Prints requests/s, p50/p95/p99 latency, and
each URL's share of the bare primary-key view; then where the time of one API GET
goes (cProfile in-process, top functions by cumulative time) and its query count.

    PYTHONPATH=. .venv/bin/python bench/api_get.py [--seconds 10] [--profile-only]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _pg import fresh_database

BENCH = Path(__file__).resolve().parent
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("PCTL %.3f %.3f %.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def seed():
    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.pickup.services import warehouse_create
    from tests import factories

    jt = factories.carrier("JT", with_centre_in="440111107")
    factories.carrier("WS", with_centre_in="441900125")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.actor()
    warehouse = warehouse_create(
        actor=merchant,
        name="东莞洪梅仓",
        code="DG-HM",
        contact_name="陈经理",
        phone="13800138000",
        division_code="441900125",
        address_detail="洪屋涡村工业路3号",
    ).warehouse
    for i in range(1, 20):  # a page of the warehouse list: 20 rows with their pickup state
        warehouse_create(
            actor=merchant,
            name=f"东莞仓{i}",
            code=f"DG-{i:02}",
            contact_name="陈经理",
            phone="13800138000",
            division_code="441900125",
            address_detail=f"工业路{i}号",
        )
    return warehouse, factories.token(merchant.organisation)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _busy_seconds() -> float:
    """CPU time the whole machine spent busy (user, nice, system, irq, softirq), in seconds."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(url: str, token: str | None, seconds: int, script: Path) -> dict:
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    subprocess.run(["wrk", "-t2", "-c8", "-d2s", *headers, url], capture_output=True, check=True)  # warm-up
    busy_before, wrk_before = _busy_seconds(), _children_seconds()
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(script), *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The machine's busy time less wrk's own: gunicorn, PostgreSQL and whatever
    # little else runs here.
    cpu = (_busy_seconds() - busy_before) - (_children_seconds() - wrk_before)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p95, p99 = (float(v) for v in re.search(r"PCTL ([\d.]+) ([\d.]+) ([\d.]+)", out).groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "cpu_ms": cpu / max(requests, 1) * 1000,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def profile(warehouse_id: int, token: str) -> None:
    import cProfile
    import logging
    import pstats

    from django.db import connection
    from django.test import Client

    logging.getLogger("firstmile.request").setLevel(logging.WARNING)  # the profile's own lines are noise here
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get(f"/api/v1/warehouses/{warehouse_id}", headers=headers)
    queries: list[str] = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(f"/api/v1/warehouses/{warehouse_id}", headers=headers)
    rounds = 500
    started = time.perf_counter()
    for _ in range(rounds):
        client.get(f"/api/v1/warehouses/{warehouse_id}", headers=headers)
    per_request = (time.perf_counter() - started) / rounds * 1000
    print(f"\nin-process: {per_request:.2f} ms per API GET (Django test client), {len(queries)} queries:")
    for sql in queries:
        print(f"    {sql[:120]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        client.get(f"/api/v1/warehouses/{warehouse_id}", headers=headers)
    profiler.disable()
    print("\nwhere the time goes (300 requests, cumulative, Firstmile's own functions first):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"firstmile/(?!core/request_log|api/idempotency)", 15)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="each URL this many times, interleaved; medians shown")
    parser.add_argument("--profile-only", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk") and not args.profile_only:
        sys.exit("wrk is needed: apt-get install wrk")
    with fresh_database("firstmile_bench_api_get"):
        warehouse, token = seed()
        profile(warehouse.pk, token)
        if args.profile_only:
            return
        port = _port()
        env = {
            **os.environ,
            "PYTHONPATH": f"{BENCH}:{os.environ.get('PYTHONPATH', '')}",
            "DJANGO_SETTINGS_MODULE": "bench_site",
            "FIRSTMILE_BIND": f"127.0.0.1:{port}",
            "FIRSTMILE_WEB_WORKERS": "2",
            # steady state: a worker recycled mid-run would charge its restart to one URL
            "FIRSTMILE_WEB_MAX_REQUESTS": "0",
            # A socket per worker, as docs/deploy.md advises for few workers: on one
            # shared socket all 8 connections sometimes land on one worker, and
            # that round measures half the machine.
            "FIRSTMILE_WEB_REUSE_PORT": os.environ.get("FIRSTMILE_WEB_REUSE_PORT", "1"),
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "-c", "python:firstmile.gunicorn_conf", "firstmile.wsgi"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(LUA)
            cases = [
                ("bare view, no query", f"{base}/bare/empty", None),
                ("bare view, one primary-key read", f"{base}/bare/warehouse/{warehouse.pk}", None),
                ("GET /api/v1/warehouses/{id} (token)", f"{base}/api/v1/warehouses/{warehouse.pk}", token),
                ("GET /api/v1/me (token)", f"{base}/api/v1/me", token),
                ("GET /api/v1/carriers (token, two rows)", f"{base}/api/v1/carriers", token),
                ("GET /api/v1/warehouses (token, 20 rows)", f"{base}/api/v1/warehouses", token),
            ]
            # Rounds interleave the URLs so that a slow spell of a shared machine
            # lands on all of them; the round with the median rate is shown.
            rounds: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
            for _ in range(args.rounds):
                for name, url, auth in cases:
                    rounds[name].append(wrk(url, auth, args.seconds, Path(script.name)))
            results = {name: sorted(runs, key=lambda r: r["rps"])[len(runs) // 2] for name, runs in rounds.items()}
        finally:
            server.terminate()
            server.wait(timeout=30)
    floor = results["bare view, one primary-key read"]["rps"]
    print(
        f"\ngunicorn (2 workers, gthread, reuse_port={env['FIRSTMILE_WEB_REUSE_PORT']}) on PostgreSQL, "
        f"wrk -t2 -c8 -d{args.seconds}s on loopback, "
        f"median of {args.rounds} interleaved rounds"
    )
    print(
        f"  {'URL':<42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'of bare PK view':>16}"
        f" {'server CPU ms/req':>18}"
    )
    for name, r in results.items():
        print(
            f"  {name:<42} {r['rps']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} "
            f"{r['rps'] / floor:15.0%} {r['cpu_ms']:18.2f}" + (f"  ({r['errors']} non-2xx)" if r["errors"] else "")
        )
        print(f"  {'':<42} rounds: " + ", ".join(f"{run['rps']:.0f}" for run in rounds[name]))
    print("  (server CPU: the machine's busy CPU time less wrk's own, per request: gunicorn and PostgreSQL)")
    # The machine's speed moves by up to 2x within minutes, and the medians above
    # may come from different rounds. Each ratio below compares two URLs measured
    # in the same round, a minute apart at most; the median over rounds is shown.
    single = "GET /api/v1/warehouses/{id} (token)"
    print("\npaired within each round (median over rounds, then each round's value)")
    print(f"  {'URL':<42} {'req/s of bare PK view':>22} {'CPU of single GET':>18}")
    bare_pk = rounds["bare view, one primary-key read"]
    for name in results:
        of_bare = [run["rps"] / bare["rps"] for run, bare in zip(rounds[name], bare_pk, strict=True)]
        of_single = [run["cpu_ms"] / one["cpu_ms"] for run, one in zip(rounds[name], rounds[single], strict=True)]
        print(f"  {name:<42} {statistics.median(of_bare):21.0%} {statistics.median(of_single):17.2f}×")
        print(f"  {'':<42} {', '.join(f'{v:.0%}' for v in of_bare):>22} {', '.join(f'{v:.2f}' for v in of_single):>18}")


if __name__ == "__main__":
    main()
