"""A switchover push whose worker is killed mid-way is seen as interrupted, resumed, and ends with no duplicates."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from firstmile.accounts.models import OrganisationKind
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing, now
from firstmile.events.jobs import job_resume
from firstmile.events.models import Job, JobStatus
from firstmile.pickup.models import PickupSubscription, Warehouse
from firstmile.switchover.models import SwitchoverBatch
from firstmile.switchover.services import batch_push_start, batch_schedule, switchover_create

from .. import factories
from ..workerproc import kill, start_worker

pytestmark = pytest.mark.django_db(transaction=True)

WAREHOUSES = 3000  # bench/switchover_push.py --kill runs 100,000
CHUNK = 100


def _seed(count: int):
    jt = factories.carrier("JT", with_centre_in="440111107")
    factories.carrier("WS", with_centre_in="441900125")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    Warehouse.objects.bulk_create(
        Warehouse(
            merchant=merchant,
            name=f"仓{n}",
            code=f"W{n}",
            contact_name="王",
            phone="+8613800138000",
            division_id="441900125",
            address_detail=f"工业路{n}号",
        )
        for n in range(count)
    )
    moment = now()
    PickupSubscription.objects.bulk_create(
        PickupSubscription(
            warehouse=w,
            carrier=jt,
            status="active",
            address_version=1,
            division_id=w.division_id,
            address_detail=w.address_detail,
            contact_name=w.contact_name,
            phone=w.phone,
            requested_at=moment,
            review_due_at=moment,
            decided_at=moment,
        )
        for w in Warehouse.objects.all()
    )


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_push_is_interrupted_resumed_and_complete_without_duplicates(divisions, tmp_path):
    _seed(WAREHOUSES)
    ops = factories.actor(kind=OrganisationKind.PLATFORM)
    switchover = switchover_create(actor=ops, name="JT → WS", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops,
        switchover_id=switchover.pk,
        name="东莞",
        cutover_at=now() + timedelta(days=2),
        division_codes=["441900"],
    )
    job = batch_push_start(actor=ops, batch_id=batch.pk)
    env = {"FIRSTMILE_PUSH_CHUNK": str(CHUNK)}

    with open(tmp_path / "worker.log", "wb") as log:
        first = start_worker(log=log, extra_env=env)
        # Killed once a few chunks have committed, well before the end.
        _wait(lambda: Job.objects.get(pk=job.pk).progress_done >= 5 * CHUNK, 60, "the push to start")
        kill(first)
        killed_at = Job.objects.get(pk=job.pk)
        assert killed_at.status == JobStatus.RUNNING and 0 < killed_at.progress_done < WAREHOUSES

        second = start_worker(log=log, extra_env=env)
        try:
            # The new worker sees the old one's heartbeat go stale and marks the job interrupted.
            _wait(lambda: Job.objects.get(pk=job.pk).status == JobStatus.INTERRUPTED, 30, "the job to be interrupted")
            interrupted = Job.objects.get(pk=job.pk)
            assert interrupted.progress_done == interrupted.checkpoint["pushed"] + interrupted.checkpoint["failed"]
            job_resume(actor=ops, job_id=job.pk)
            _wait(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, 60, "the resumed push to finish")
        finally:
            kill(second)

    done = Job.objects.get(pk=job.pk)
    pushed = PickupSubscription.objects.filter(origin=SwitchoverBatch.objects.get(pk=batch.pk).origin)
    assert pushed.count() == WAREHOUSES
    assert pushed.values("warehouse_id").distinct().count() == WAREHOUSES  # no warehouse asked twice
    assert done.report == {"pushed": WAREHOUSES, "failed": 0, "batch_id": batch.pk}
    assert (done.progress_done, done.progress_total) == (WAREHOUSES, WAREHOUSES)
    assert done.runs == 2
    refreshed = SwitchoverBatch.objects.get(pk=batch.pk)
    assert (refreshed.status, refreshed.push_done, refreshed.push_total) == ("pushed", WAREHOUSES, WAREHOUSES)
