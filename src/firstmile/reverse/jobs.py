"""Exports of the reverse-order list on the worker: the filtered list as .xlsx or .csv, however long."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.core.errors import ApplicationError
from firstmile.core.replica import from_replica
from firstmile.events.jobs import job_start
from firstmile.events.models import Job

from .exports import export_csv, export_xlsx
from .selectors import ReverseFilters, reverse_list

EXPORT_JOB = "reverse.export"


def reverse_export_start(*, actor: Actor, params: dict, file_format: str) -> Job:
    """Queue an export of the list as filtered by ``params`` (the list's own query parameters)."""
    if file_format not in ("xlsx", "csv"):
        raise ApplicationError("invalid_input", _("Choose xlsx or csv."), field="format")
    filters = ReverseFilters.from_params(params)  # bad filters are refused now, not on the worker
    total = reverse_list(actor=actor, filters=filters).count()
    return job_start(
        actor=actor,
        kind=EXPORT_JOB,
        title=gettext_noop("Reverse order export (%(n)s rows)"),
        title_args={"n": total},
        params={"filters": _plain(params), "format": file_format},
        total=total,
    )


def _plain(params) -> dict[str, str]:
    """The filters as text (a query string's values, an API's dates), as the list reads them."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else str(value)
        for key in params
        if (value := params.get(key)) not in (None, "")
    }


def run_export_job(job: Job, progress) -> dict:
    actor = Actor.for_job(job)
    rows = reverse_list(actor=actor, filters=ReverseFilters.from_params(job.params["filters"]))
    file_format = job.params["format"]
    with from_replica():  # a large read that a few seconds of lag does not change
        content = export_csv(rows) if file_format == "csv" else export_xlsx(rows)
    job.result_file.save(f"reverse-orders-{job.pk}.{file_format}", ContentFile(content), save=False)
    job.result_name = f"reverse-orders.{file_format}"
    progress(done=job.progress_total)
    return {"rows": job.progress_total, "format": file_format}
