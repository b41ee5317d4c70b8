"""One page shape for every spreadsheet import: upload, then the job that imports the rows on the worker."""

from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from firstmile.core import error_codes
from firstmile.core.errors import ApplicationError


def _headings_in_language(headings: dict[str, tuple[str, ...]]) -> list[str]:
    """Each column's heading as the reader's interface names it: the template's Chinese one, or in
    English the first English one the import accepts (both are accepted either way)."""
    if not (get_language() or "").startswith("en"):
        return [names[0] for names in headings.values()]
    return [next((n for n in names if n.isascii()), names[0]) for names in headings.values()]


def spreadsheet_import_page(request, *, starter, template: str, headings: dict[str, tuple[str, ...]], portal: str):
    """A bad file is refused at once; a good one becomes a job whose page shows progress and the row report."""
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(error_codes.INVALID_INPUT, _("Choose a file to upload."), field="file")
            job = starter(actor=request.actor, filename=upload.name, content=upload.read())
            return redirect(f"portals:{portal}_job", job_id=job.pk)
        except ApplicationError as err:
            if err.kind == 403:
                raise
            error = err
    return render(
        request, template, {"error": error, "headings": _headings_in_language(headings)}, status=400 if error else 200
    )
