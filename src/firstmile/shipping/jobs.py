"""Label batches on the worker: one PDF or ZPL file of many labels, its progress visible, printed once."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core.errors import ApplicationError
from firstmile.events.jobs import job_start
from firstmile.events.models import Job

from .printing import check_label_options, render_label_file
from .selectors import label_data, waybills_by_numbers
from .services import labels_printed

LABELS_JOB = "labels.batch"
MAX_LABELS = 10_000
PROGRESS_EVERY = 50  # pages


def labels_batch_start(*, actor: Actor, waybill_nos: list[str], fmt: str = "pdf", size: str = "A6") -> Job:
    """Queue one file (PDF or ZPL) of these waybills' labels on the worker (unknown numbers are refused now)."""
    require(actor, Operation.SHIPPING_MANAGE)
    check_label_options(fmt, size)
    if len(waybill_nos) > MAX_LABELS:
        raise ApplicationError(
            "invalid_input", _("At most %(n)s labels per batch.") % {"n": MAX_LABELS}, field="waybill_nos"
        )
    found = waybills_by_numbers(actor=actor, numbers=waybill_nos)
    return job_start(
        actor=actor,
        kind=LABELS_JOB,
        title=gettext_noop("%(n)s labels"),
        title_args={"n": len(found)},
        params={"waybill_nos": [w.waybill_no for w in found], "format": fmt, "size": size},
        total=len(found),
    )


def run_labels_job(job: Job, progress) -> dict:
    actor = Actor.for_job(job)
    found = waybills_by_numbers(actor=actor, numbers=job.params["waybill_nos"])

    def on_page(number: int) -> None:
        if number % PROGRESS_EVERY == 0:
            progress(done=number)

    # Jobs queued before labels had a format or size were PDFs on A6.
    fmt, size = job.params.get("format", "pdf"), job.params.get("size", "A6")
    content = render_label_file(
        [label_data(w, reprint=w.print_count > 0) for w in found], fmt=fmt, size=size, on_page=on_page
    )
    with transaction.atomic():
        # Counted as printed once, however often a resumed job renders the file.
        if not job.checkpoint.get("printed"):
            labels_printed(actor=actor, waybills=found)
        job.result_file.save(f"labels-{job.pk}.{fmt}", ContentFile(content), save=False)
        job.result_name = f"labels.{fmt}"
        progress(done=len(found), checkpoint={"printed": True})
    return {"labels": len(found), "pages": len(found)}
