"""A 100,000-warehouse switchover push on the worker, killed with SIGKILL mid-way and resumed, on PostgreSQL.

Seeds the warehouses as bench/switchover_push.py does, starts the push as a job
(as the ops portal and the API do), runs `firstmile worker`, kills it once about
40 % of the warehouses are pushed, starts a second worker, which marks the job
interrupted once the first one's heartbeat is 30 s old, resumes it, and waits for
the end. Checks: every warehouse asked exactly once, progress equal to the total,
the report equal to the requests written.

    PYTHONPATH=. .venv/bin/python bench/switchover_push_kill.py [--warehouses 100000]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from _pg import fresh_database
from switchover_push import seed


def _wait(condition, seconds: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouses", type=int, default=100_000)
    args = parser.parse_args()
    with fresh_database("firstmile_bench_push_kill"):
        from firstmile.accounts.models import OrganisationKind
        from firstmile.core.clock import now
        from firstmile.events.jobs import job_resume
        from firstmile.events.models import Job, JobStatus
        from firstmile.pickup.models import PickupSubscription
        from firstmile.switchover.models import SwitchoverBatch
        from firstmile.switchover.services import batch_push_start, batch_schedule, switchover_create
        from tests import factories
        from tests.workerproc import kill, start_worker

        n = args.warehouses
        seed(n)
        ops = factories.actor(kind=OrganisationKind.PLATFORM)
        switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
        batch = batch_schedule(
            actor=ops,
            switchover_id=switchover.pk,
            name="东莞",
            cutover_at=now() + timedelta(days=1),
            division_codes=["441900"],
        )
        job = batch_push_start(actor=ops, batch_id=batch.pk)
        env = {"FIRSTMILE_PUSH_CHUNK": "5000"}
        started = time.monotonic()
        first = start_worker(lease_seconds=60, dead_after=30, extra_env=env)
        _wait(lambda: Job.objects.get(pk=job.pk).progress_done >= 0.4 * n, 600, "40 % pushed")
        kill(first)
        at_kill = Job.objects.get(pk=job.pk)
        second = start_worker(lease_seconds=60, dead_after=30, extra_env=env)
        noticed = _wait(lambda: Job.objects.get(pk=job.pk).status == JobStatus.INTERRUPTED, 120, "interrupted")
        interrupted = Job.objects.get(pk=job.pk)
        job_resume(actor=ops, job_id=job.pk)
        resumed = time.monotonic()
        _wait(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, 600, "done")
        finish = time.monotonic() - resumed
        kill(second)

        done = Job.objects.get(pk=job.pk)
        origin = SwitchoverBatch.objects.get(pk=batch.pk).origin
        requests = PickupSubscription.objects.filter(origin=origin)
        total = requests.count()
        distinct = requests.values("warehouse_id").distinct().count()
        refreshed = SwitchoverBatch.objects.get(pk=batch.pk)
        assert total == distinct == n, (total, distinct, n)
        assert (done.progress_done, done.progress_total) == (n, n)
        assert done.report["pushed"] == n and refreshed.push_done == n
        print(f"switchover push of {n} warehouses on the worker, killed once, on PostgreSQL")
        print(f"  killed at {at_kill.progress_done} of {n} pushed ({at_kill.progress_done / n:.0%})")
        print(
            f"  interrupted seen after {noticed:.1f} s (heartbeat 30 s); checkpoint {interrupted.checkpoint['after']}"
            f", progress {interrupted.progress_done}"
        )
        print(f"  resumed run finished the rest in {finish:.1f} s; whole run {time.monotonic() - started:.1f} s")
        print(f"  requests {total}, warehouses asked {distinct}, duplicates {total - distinct}, runs {done.runs}")
        print(f"  progress {done.progress_done} / {done.progress_total}; batch push_done {refreshed.push_done}")


if __name__ == "__main__":
    main()
