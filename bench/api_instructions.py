"""Python instructions per API request, counted by callgrind: a figure the machine's noise does not move.

Wall-clock and CPU-time rates on a shared machine swing by 2× from run to run;
valgrind's instruction count for the same code and data repeats to ~0.2 %. Each
URL is requested in-process (Django's test client, the production middleware)
under `valgrind --tool=callgrind`, counting only the timed requests: what one
request costs in the web process, PostgreSQL's own work not included (see
bench/api_get.py for that, under load). Prints instructions per request and each
URL's ratio to the single warehouse GET and to the bare view of api_get.py that
reads the same row by primary key (its settings: bench_site).

    PYTHONPATH=. .venv/bin/python bench/api_instructions.py [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _callgrind import count as count_instructions  # noqa: E402
from _callgrind import require_valgrind  # noqa: E402


def child(config_path: str, url: str, requests: int) -> None:
    import logging

    config = json.loads(Path(config_path).read_text())
    os.environ["DATABASE_URL"] = config["database_url"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_site"  # Firstmile's settings, plus api_get.py's bare views
    sys.path.insert(0, str(BENCH.parent / "src"))
    sys.path.insert(0, str(BENCH))
    import django

    django.setup()
    from django.test import Client

    logging.getLogger("firstmile.request").setLevel(logging.WARNING)
    client, headers = Client(), {"Authorization": f"Bearer {config['token']}"}
    for _ in range(30):  # warm: prepared statements, caches, imports
        assert client.get(url, headers=headers).status_code == 200
    if os.environ.get("FIRSTMILE_BENCH_GC_FREEZE"):
        import gc

        gc.collect()
        gc.freeze()
    ready, go = Path(config["ready"]), Path(config["go"])
    ready.touch()
    while not go.exists():
        time.sleep(0.02)
    for _ in range(requests):
        client.get(url, headers=headers)
    os._exit(0)  # nothing more counted: no teardown


def count(config_path: str, scratch: str, url: str, requests: int) -> int:
    return count_instructions([__file__, "--child", config_path, url, str(requests)], scratch) // requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    require_valgrind()
    from _pg import fresh_database
    from api_get import seed

    with tempfile.TemporaryDirectory() as scratch, fresh_database("firstmile_bench_api_instr") as _name:
        warehouse, token = seed()
        from django.db import connections

        connections.close_all()
        config = {
            "database_url": os.environ["DATABASE_URL"],
            "token": token,
            "ready": f"{scratch}/ready",
            "go": f"{scratch}/go",
        }
        config_path = f"{scratch}/config.json"
        Path(config_path).write_text(json.dumps(config))
        cases = [
            ("bare view, one primary-key read", f"/bare/warehouse/{warehouse.pk}"),
            ("GET /api/v1/warehouses/{id}", f"/api/v1/warehouses/{warehouse.pk}"),
            ("GET /api/v1/me", "/api/v1/me"),
            ("GET /api/v1/carriers (two rows)", "/api/v1/carriers"),
            ("GET /api/v1/warehouses (20 rows)", "/api/v1/warehouses"),
        ]
        results = {name: count(config_path, scratch, url, args.requests) for name, url in cases}
    single = results["GET /api/v1/warehouses/{id}"]
    bare = results["bare view, one primary-key read"]
    print(f"\nPython instructions per request (callgrind, in-process, {args.requests} requests each, PostgreSQL)")
    print(f"  {'URL':<36} {'instructions':>14} {'of single GET':>14} {'of bare PK view':>16}")
    for name, instructions in results.items():
        print(f"  {name:<36} {instructions:>14,} {instructions / single:>13.2f}× {instructions / bare:>15.2f}×")


if __name__ == "__main__":
    main()
