"""One page shape for every spreadsheet import: upload, then the per-row report."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from firstmile.core import error_codes
from firstmile.core.errors import ApplicationError


def spreadsheet_import_page(request, *, importer, template: str, headings: list[str]):
    report, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(error_codes.INVALID_INPUT, _("Choose a file to upload."), field="file")
            report = importer(actor=request.actor, filename=upload.name, content=upload.read())
        except ApplicationError as err:
            error = err
    return render(
        request, template, {"report": report, "error": error, "headings": headings}, status=400 if error else 200
    )
