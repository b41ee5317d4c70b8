"""Follow a job as a client would: the 202 answer, the worker's run, then the job's page or its API."""

from __future__ import annotations

from django.test import Client

from firstmile.events.models import Job

from .worker import drain


class JobReport:
    """The finished job's report where a test used to read a synchronous answer."""

    def __init__(self, job: Job):
        self.job = job
        self.status_code = 200 if job.status == "done" else 500

    def json(self) -> dict:
        return self.job.report


def finished(response) -> JobReport:
    """Run the job a 202 answer (API) or a redirect to a job page (portal) queued, and return its report."""
    if response.status_code == 202:
        job_id = response.json()["id"]
    else:
        assert response.status_code == 302 and "/jobs/" in response["Location"], response
        job_id = int(response["Location"].rstrip("/").split("/")[-1])
    drain()
    job = Job.objects.get(pk=job_id)
    assert job.status == "done", (job.status, job.error)
    return JobReport(job)


def job_page(client: Client, response) -> str:
    """The job page a portal import redirects to, after the worker ran the job."""
    finished(response)
    return client.get(response["Location"]).content.decode()
