"""A party's background jobs in its portal: state and progress (polled by htmx), resume, download."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstmile.core.errors import ApplicationError
from firstmile.events.jobs import job_resume
from firstmile.events.selectors import job_get, job_list

from .access import portal_view


def _jobs(request, portal: str):
    return render(
        request,
        "portals/shared/jobs.html",
        {"base_template": f"portals/{portal}/base.html", "jobs": job_list(actor=request.actor)[:100], "portal": portal},
    )


def _job(request, portal: str, job_id: int):
    job = job_get(actor=request.actor, job_id=job_id)
    context = {"job": job, "portal": portal, "base_template": f"portals/{portal}/base.html"}
    if request.htmx:
        # 286 tells htmx to stop polling once the job has finished.
        return render(request, "portals/partials/job.html", context, status=286 if job.is_finished else 200)
    return render(request, "portals/shared/job.html", context)


def _resume(request, portal: str, job_id: int):
    try:
        job_resume(actor=request.actor, job_id=job_id)
        messages.success(request, _("Job resumed: it continues after its last completed step."))
    except ApplicationError as err:
        if err.kind == 403:
            raise
        messages.error(request, err.message)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse(f"portals:{portal}_job", kwargs={"job_id": job_id})
    return redirect(back)


def _download(request, portal: str, job_id: int):
    job = job_get(actor=request.actor, job_id=job_id)
    if job.status != "done" or not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name or "result")


def _views(portal: str):
    return (
        portal_view(portal)(lambda request: _jobs(request, portal)),
        portal_view(portal)(lambda request, job_id: _job(request, portal, job_id)),
        portal_view(portal)(require_POST(lambda request, job_id: _resume(request, portal, job_id))),
        portal_view(portal)(lambda request, job_id: _download(request, portal, job_id)),
    )


merchant_jobs, merchant_job, merchant_job_resume, merchant_job_download = _views("merchant")
carrier_jobs, carrier_job, carrier_job_resume, carrier_job_download = _views("carrier")
ops_jobs, ops_job, ops_job_resume, ops_job_download = _views("ops")
