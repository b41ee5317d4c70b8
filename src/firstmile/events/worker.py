"""The worker process: webhook deliveries from the outbox, and Django tasks for long work.

One loop serves both, so one command (``firstmile worker``) is all an operator
runs, as many times as the load needs: deliveries are leased and tasks claimed
row by row, so several workers on PostgreSQL never take the same one. The
django-tasks-db worker runs each task; this loop adds the outbox, a heartbeat
that tells live workers from dead ones, and the recovery of work a killed worker
left behind.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from firstmile.core import partitioning
from firstmile.core.clock import now

from . import delivery, recovery
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds
RECOVER_EVERY = 15.0
MAINTAIN_EVERY = 3600.0  # partitions are made three months ahead: hourly is plenty


class FirstmileWorker(Worker):
    def __init__(self, *, delivery_batch: int = 50, **kwargs):
        super().__init__(**kwargs)
        self.delivery_batch = delivery_batch
        self._last_recovery = 0.0
        self._last_maintenance: float | None = None
        self._last_periodic: dict[str, float] = {}
        self._stop = threading.Event()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now(), "hostname": socket.gethostname()[:200], "pid": os.getpid()},
        )

    def _beat_forever(self) -> None:
        # Its own thread (and database connection), so a job that runs for an
        # hour still shows its worker alive.
        try:
            while not self._stop.wait(HEARTBEAT_EVERY):
                try:
                    self.beat()
                except Exception:  # a locked SQLite file or a dropped connection: try again next beat
                    logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connection.close()

    def recover(self) -> None:
        dead_after = settings.FIRSTMILE_WORKER_DEAD_AFTER_SECONDS
        if time.monotonic() - self._last_recovery < min(RECOVER_EVERY, dead_after / 2):
            return
        self._last_recovery = time.monotonic()
        recovery.recover_abandoned(dead_after=timedelta(seconds=dead_after))

    def maintain(self) -> None:
        """Months of events and scans ready ahead, old ones archived (PostgreSQL; core/partitioning.py)."""
        if self._last_maintenance is not None and time.monotonic() - self._last_maintenance < MAINTAIN_EVERY:
            return
        self._last_maintenance = time.monotonic()
        report = partitioning.maintain(at=now(), archive_after_months=settings.FIRSTMILE_ARCHIVE_AFTER_MONTHS)
        if report.created or report.archived:
            logger.info("partitions created %s, archived %s", report.created, report.archived)

    def periodic(self) -> None:
        """Timed work named in settings (the figures' rollup), each at most every n seconds."""
        for path, every in settings.FIRSTMILE_WORKER_PERIODIC:
            last = self._last_periodic.get(path)
            if last is not None and time.monotonic() - last < every:
                continue
            self._last_periodic[path] = time.monotonic()
            try:
                import_string(path)()
            except Exception:  # one failing job must not stop deliveries and tasks
                logger.exception("periodic %s failed", path)

    def claim_task(self) -> DBTaskResult | None:
        """The next ready task, claimed for this worker (django-tasks-db's own claim)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                task_result = None
        return task_result

    def run_once(self, *, refresh_connections: bool = True) -> bool:
        """One round: a batch of due deliveries and one task. Whether there was anything to do."""
        if refresh_connections:
            close_old_connections()
        self.recover()
        self.maintain()
        self.periodic()
        # Marked busy so a SIGTERM lets the batch finish instead of exiting mid-send.
        self.running_task = True
        try:
            sent = delivery.dispatch_due(worker_id=self.worker_id, limit=self.delivery_batch)
        finally:
            self.running_task = False
        task_result = self.claim_task()
        if task_result is not None:
            self.run_task(task_result)
        return bool(sent or task_result)

    def drain(self) -> int:
        """Work in this thread until nothing is due (tests, `--batch`); how many rounds had work."""
        self.beat()
        rounds = 0
        # In the caller's connection as it is (a test's transaction must stay open).
        while self.run_once(refresh_connections=False):
            rounds += 1
        return rounds

    def run(self) -> None:
        logger.info("worker %s started (pid %s)", self.worker_id, os.getpid())
        self.beat()
        beating = threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True)
        beating.start()
        try:
            while self.running:
                try:
                    busy = self.run_once()
                except Exception:
                    # A database that went away, a bug in one row: log it and keep the worker alive.
                    logger.exception("worker round failed; retrying after a pause")
                    close_old_connections()
                    time.sleep(max(self.interval, 1.0))
                    continue
                if self.batch and not busy:
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if self.running and not busy:
                    time.sleep(self.interval)
        finally:
            self._stop.set()
            beating.join(timeout=HEARTBEAT_EVERY)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
