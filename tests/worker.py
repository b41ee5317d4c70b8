"""Run the worker in the test's own thread until nothing is due (the database is the test's)."""

from __future__ import annotations

from firstmile.events.worker import FirstmileWorker


def drain(worker_id: str = "test-worker") -> int:
    worker = FirstmileWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    return worker.drain()
