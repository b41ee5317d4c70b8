"""Long work on the worker: start a job, watch it, resume it after its worker died.

A domain app registers a handler per kind of job. The handler does its work in
steps, and calls ``progress`` inside each step's own transaction with the new
checkpoint: the step and the checkpoint commit together, so a resumed job starts
after the last step that committed and never repeats one. A step whose job has
meanwhile been taken from this worker (it was thought dead) is rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from firstmile.core.clock import now
from firstmile.core.errors import ApplicationError, Conflict, NotFound

from . import error_codes
from .models import TITLE_KEY, Job, JobStatus

logger = logging.getLogger(__name__)


class JobLost(Exception):
    """This worker no longer holds the job: stop and roll the current step back."""


@dataclass(frozen=True)
class JobKind:
    handler: Callable[[Job, Callable[..., None]], dict]
    operation: str  # the permission needed to start (and resume) it


_KINDS: dict[str, JobKind] = {}


def register(kind: str, handler: Callable[[Job, Callable[..., None]], dict], *, operation: str) -> None:
    """``handler(job, progress)`` does the work and returns the report; ``progress(done=, total=, checkpoint=)``."""
    _KINDS[kind] = JobKind(handler, operation)


def _enqueue(job: Job) -> None:
    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))


@transaction.atomic
def job_start(
    *,
    actor: Any,
    kind: str,
    title: str,
    title_args: dict | None = None,
    title_suffix: str = "",
    params: dict | None = None,
    input_file=None,
    total: int = 0,
) -> Job:
    """Queue a job for the worker; its task row is written in the same transaction, so none is lost.

    ``title`` is the untranslated message (marked with gettext_noop) and ``title_args`` its
    arguments: the job keeps both, so each reader sees the title in their own language.
    """
    spec = _KINDS[kind]
    actor.require(spec.operation)
    job = Job(
        kind=kind,
        organisation=actor.organisation,
        created_by=getattr(actor, "user", None),
        created_by_token=getattr(actor, "token", None),
        title=(gettext(title) % (title_args or {}) + title_suffix)[:200],
        params={**(params or {}), TITLE_KEY: [title, title_args or {}, title_suffix]},
        progress_total=total,
    )
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload") or "upload", input_file, save=False)
    job.save()
    _enqueue(job)
    return job


@transaction.atomic
def job_resume(*, actor: Any, job_id: int) -> Job:
    """Queue an interrupted job again: it continues after its last completed step."""
    job = _own_job(actor, job_id, lock=True)
    actor.require(_KINDS[job.kind].operation)
    if job.status != JobStatus.INTERRUPTED:
        raise Conflict(
            error_codes.JOB_NOT_INTERRUPTED,
            _("Only an interrupted job can be resumed (this one is %(status)s).")
            % {"status": job.get_status_display()},
        )
    job.status, job.error = JobStatus.QUEUED, ""
    job.save(update_fields=["status", "error"])
    _enqueue(job)
    return job


def _own_job(actor: Any, job_id: Any, *, lock: bool = False) -> Job:
    jobs = Job.objects.filter(organisation=actor.organisation)
    if lock:
        jobs = jobs.select_for_update()
    job = jobs.filter(pk=job_id).first() if isinstance(job_id, int) else None
    if job is None:
        raise NotFound(error_codes.JOB_NOT_FOUND, _("No such job."), field="job_id")
    return job


def _claim(job_id: int, worker_id: str) -> Job | None:
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status__in=(JobStatus.QUEUED, JobStatus.INTERRUPTED)).update(
            status=JobStatus.RUNNING, worker_id=worker_id, started_at=now(), heartbeat_at=now(), error=""
        )
    if not claimed:
        return None
    Job.objects.filter(pk=job_id).update(runs=F("runs") + 1)
    return Job.objects.get(pk=job_id)


def _progress_for(job: Job, worker_id: str) -> Callable[..., None]:
    def progress(*, done: int, total: int | None = None, checkpoint: dict | None = None) -> None:
        fields: dict[str, Any] = {"progress_done": done, "heartbeat_at": now()}
        if total is not None:
            fields["progress_total"] = total
        if checkpoint is not None:
            fields["checkpoint"] = checkpoint
            job.checkpoint = checkpoint
        held = Job.objects.filter(pk=job.pk, worker_id=worker_id, status=JobStatus.RUNNING).update(**fields)
        if not held:
            raise JobLost(job.pk)
        job.progress_done = done
        if total is not None:
            job.progress_total = total

    return progress


def _finish(job: Job, worker_id: str, **fields) -> None:
    Job.objects.filter(pk=job.pk, worker_id=worker_id, status=JobStatus.RUNNING).update(finished_at=now(), **fields)


def run(job_id: int, worker_id: str) -> str:
    """Run (or continue) one job on this worker; what became of it."""
    job = _claim(job_id, worker_id)
    if job is None:
        return "not-claimed"  # finished, or another worker has it: a repeated task is harmless
    spec = _KINDS.get(job.kind)
    try:
        if spec is None:
            raise ApplicationError("unknown_job", f"unknown job kind {job.kind}")
        report = spec.handler(job, _progress_for(job, worker_id))
    except JobLost:
        return "lost"
    except ApplicationError as err:
        _finish(job, worker_id, status=JobStatus.FAILED, error=str(err.message), report={"code": err.code})
        return "failed"
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(job, worker_id, status=JobStatus.FAILED, error=f"Internal error ({type(exc).__name__}); see the logs.")
        return "failed"
    fields: dict[str, Any] = {"status": JobStatus.DONE, "report": report or {}}
    if job.progress_total and job.progress_done < job.progress_total:
        fields["progress_done"] = job.progress_total
    if job.result_file:
        fields["result_file"] = job.result_file.name
        fields["result_name"] = job.result_name
    _finish(job, worker_id, **fields)
    return "done"


@task(takes_context=True)
def run_job(context, job_id: int) -> str:
    worker_ids = context.task_result.worker_ids
    return run(job_id, worker_ids[-1] if worker_ids else "unknown")
