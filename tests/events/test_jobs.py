"""Jobs: state and progress, failure with a reason, interruption by a dead worker, resume only when interrupted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from firstmile.core.clock import now
from firstmile.core.errors import Conflict, Forbidden
from firstmile.events import jobs
from firstmile.events.models import Job, JobStatus, WorkerHeartbeat
from firstmile.events.recovery import recover_abandoned
from firstmile.shipping.imports import order_import_start

from .. import factories
from ..refusals import refused
from ..worker import drain

pytestmark = pytest.mark.django_db

CSV = "订单号,发货仓库编码\nJ-1,NOPE\n".encode()


@pytest.fixture
def merchant(db):
    return factories.actor()


def test_a_job_runs_to_done_with_its_report(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    assert (job.status, job.progress_total) == (JobStatus.QUEUED, 1)
    drain()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.runs == 1
    assert job.report["imported"] == 0 and job.report["failed"] == 1
    assert job.report["errors"][0]["field"] == "warehouse_code"


def test_a_job_whose_work_is_refused_fails_with_the_reason(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    # The person who started it lost the right meanwhile: the worker acts as them, and is refused.
    merchant.user.role = "driver"
    merchant.user.save()
    drain()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error
    assert job.report == {"code": "forbidden"}


def test_a_staff_member_of_another_role_cannot_start_it(db):
    ops = factories.actor(kind="platform")
    with refused(Forbidden, "forbidden"):
        order_import_start(actor=ops, filename="orders.csv", content=CSV)
    assert not Job.objects.exists()


def test_a_running_job_of_a_dead_worker_is_interrupted_and_can_be_resumed(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_id="gone", started_at=now())
    WorkerHeartbeat.objects.create(worker_id="alive", seen_at=now())
    assert recover_abandoned(dead_after=timedelta(seconds=30)) == 0  # too recent to tell
    with time_machine.travel(now() + timedelta(minutes=1)):
        WorkerHeartbeat.objects.filter(worker_id="alive").update(seen_at=now())
        assert recover_abandoned(dead_after=timedelta(seconds=30)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.INTERRUPTED and "resume" in job.error
    jobs.job_resume(actor=merchant, job_id=job.pk)
    drain()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.runs == 1  # the dead run never claimed it through run()


def test_a_job_held_by_a_live_worker_is_not_interrupted(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    started = now()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_id="alive", started_at=started)
    with time_machine.travel(started + timedelta(minutes=5)):
        WorkerHeartbeat.objects.create(worker_id="alive", seen_at=now())
        assert recover_abandoned(dead_after=timedelta(seconds=30)) == 0
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_only_an_interrupted_job_can_be_resumed(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    drain()
    with refused(Conflict, "job_not_interrupted"):
        jobs.job_resume(actor=merchant, job_id=job.pk)


def test_a_step_of_a_job_taken_from_its_worker_is_rolled_back(merchant):
    job = order_import_start(actor=merchant, filename="orders.csv", content=CSV)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_id="slow")
    progress = jobs._progress_for(Job.objects.get(pk=job.pk), "slow")
    progress(done=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.INTERRUPTED)  # recovery thought it dead
    with pytest.raises(jobs.JobLost):
        progress(done=2)
