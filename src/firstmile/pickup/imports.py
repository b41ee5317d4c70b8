"""Bulk import of warehouses from a spreadsheet (.xlsx or .csv).

Each row is one warehouse with its address as one free-text string, read by
the address parser. Good rows are saved through warehouse_create (so each gets
its pickup request); bad rows are reported with their row number, field and
reason, and nothing of them is saved.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.core import error_codes as core_codes
from firstmile.core.errors import ApplicationError
from firstmile.events.jobs import job_start
from firstmile.events.models import Job
from firstmile.geo.selectors import address_parse

from . import error_codes
from .services import _merchant, warehouse_create

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024

# Column headings accepted, in Chinese (as the template has them) or English.
HEADINGS = {
    "name": ("仓库名称", "name", "warehouse name"),
    "code": ("仓库编码", "code", "warehouse code"),
    "contact_name": ("联系人", "contact", "contact person", "contact_name"),
    "phone": ("联系电话", "电话", "phone"),
    "address": ("仓库地址", "地址", "address"),
    "is_default": ("默认发货仓", "默认", "default", "is_default"),
}
TEMPLATE_HEADINGS = ["仓库名称", "仓库编码", "联系人", "联系电话", "仓库地址", "默认发货仓"]
_YES = {"1", "是", "y", "yes", "true", "默认"}


# An .xlsx is a zip of XML: a small file can unpack to gigabytes. Refuse before parsing.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
# Excel leaves formatted blank rows at the end of sheets; they are skipped, but only so many.
BLANK_ROW_ALLOWANCE = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _too_many_rows(max_rows: int) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, _("At most %(n)s rows per file.") % {"n": max_rows}, field="file")


def _unreadable_xlsx() -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, _("The .xlsx file cannot be read."), field="file")


def _check_xlsx_container(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_xlsx()
    if unpacked > MAX_UNPACKED_BYTES:
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("The .xlsx file unpacks to more than %(mb)s MB; split it into smaller files.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)},
            field="file",
        )


def _cells(values) -> list[str]:
    # Control characters are never meant in a cell: strip them rather than refuse the row.
    return [_CONTROL.sub("", "" if v is None else str(v)).strip() for v in values]


def _bounded(rows, max_rows: int) -> list[list[str]]:
    """Stop reading as soon as the file holds more rows than allowed, whatever it claims.

    Blank rows are kept (row numbers in error reports must match the file) but
    count against an allowance, so a sheet of a million empty rows is refused too.
    """
    kept, filled = [], 0
    for values in rows:
        row = _cells(values)
        kept.append(row)
        if any(row):
            filled += 1
            if filled > max_rows + 1:  # + the heading row
                raise _too_many_rows(max_rows)
        elif len(kept) > max_rows + BLANK_ROW_ALLOWANCE:
            raise _too_many_rows(max_rows)
    return kept


def read_spreadsheet(filename: str, content: bytes, *, max_rows: int = MAX_ROWS) -> list[list[str]]:
    """The rows of the first sheet of an .xlsx, or of a UTF-8/GBK .csv, as stripped strings.

    Size, unpacked size and row count are checked while reading, so an oversized
    file is refused in milliseconds and in bounded memory.
    """
    if len(content) > MAX_BYTES:
        raise ApplicationError(core_codes.INVALID_INPUT, _("The file is larger than 5 MB."), field="file")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        _check_xlsx_container(content)
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise _unreadable_xlsx()
        try:
            return _bounded(book.worksheets[0].iter_rows(values_only=True), max_rows)
        except ApplicationError:
            raise
        except Exception:
            raise _unreadable_xlsx()
        finally:
            book.close()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ApplicationError(core_codes.INVALID_INPUT, _("The CSV file is not UTF-8 or GBK text."), field="file")
        reader = csv.reader(io.StringIO(_CONTROL.sub("", text)))
        try:
            return _bounded(reader, max_rows)
        except csv.Error:
            raise ApplicationError(
                core_codes.INVALID_INPUT,
                _("Row %(row)s of the CSV file cannot be read (a cell over 128 KB or a broken quote).")
                % {"row": reader.line_num},
                field="file",
            )
    raise ApplicationError(core_codes.INVALID_INPUT, _("Upload an .xlsx or .csv file."), field="file")


def match_columns(heading_row: list[str], headings: dict[str, tuple[str, ...]], required: list[str]) -> dict[str, int]:
    """Column index of each known heading (Chinese or English, any case); missing required ones are an error."""
    lowered = [h.strip().lower() for h in heading_row]
    found = {}
    for key, names in headings.items():
        accepted = {n.lower() for n in names}
        for index, heading in enumerate(lowered):
            if heading in accepted:
                found[key] = index
                break
    missing = [headings[key][0] for key in required if key not in found]
    if missing:
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("Missing columns: %(columns)s.") % {"columns": "、".join(missing)},
            field="file",
        )
    return found


ROWS_PER_STEP = 200


def import_rows(body, import_row, *, report: dict, ids_key: str, after_row: int = 0, on_step=None) -> dict:
    """Run ``import_row(number, row) -> id`` for each row after ``after_row``, in steps of ROWS_PER_STEP rows.

    A bad row (ApplicationError) goes into the report and leaves no trace (its own
    savepoint). Each step is one transaction that ends with
    ``on_step(done, total, last_row, report)``: a job writes its checkpoint there,
    so a resumed import starts after the last step that committed.
    """
    pending = [(number, row) for number, row in body if number > after_row]
    done = len(body) - len(pending)
    for start in range(0, len(pending), ROWS_PER_STEP):
        step = pending[start : start + ROWS_PER_STEP]
        with transaction.atomic():
            for number, row in step:
                try:
                    with transaction.atomic():
                        object_id = import_row(number, row)
                except ApplicationError as err:
                    report["failed"] += 1
                    report["errors"].append(
                        {"row": number, "field": err.field, "code": err.code, "message": str(err.message)}
                    )
                    continue
                report["imported"] += 1
                report[ids_key].append(object_id)
            done += len(step)
            if on_step is not None:
                on_step(done, len(body), step[-1][0], report)
    return report


def new_report(ids_key: str) -> dict:
    return {"imported": 0, "failed": 0, "errors": [], ids_key: []}


def import_job(importer):
    """A job handler running ``importer`` on the job's uploaded file, resumable after its last step."""

    def handle(job, progress) -> dict:
        with job.input_file.open("rb") as upload:
            content = upload.read()
        checkpoint = job.checkpoint or {}

        def on_step(done, total, last_row, report):
            progress(done=done, total=total, checkpoint={"row": last_row, "report": report})

        return importer(
            actor=Actor.for_job(job),
            filename=job.params.get("filename", ""),
            content=content,
            after_row=checkpoint.get("row", 0),
            report=checkpoint.get("report"),
            on_step=on_step,
        )

    return handle


def import_start(*, actor: Actor, kind: str, title, filename: str, content: bytes, parse) -> Job:
    """Check the file now (a bad file is a 400 at once), then import its rows on the worker."""
    _columns, body = parse(filename, content)
    return job_start(
        actor=actor,
        kind=kind,
        title=title,
        title_suffix=f" · {filename[:100]}",
        params={"filename": filename[:200]},
        input_file=ContentFile(content, name=(filename or "upload")[-100:]),
        total=len(body),
    )


def _body(rows: list[list[str]], max_rows: int) -> list[tuple[int, list[str]]]:
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell for cell in row)]
    if len(body) > max_rows:
        raise ApplicationError(
            core_codes.INVALID_INPUT, _("At most %(n)s rows per file.") % {"n": max_rows}, field="file"
        )
    return body


def parse_sheet(filename: str, content: bytes, headings, required, *, max_rows: int = MAX_ROWS):
    """(column of each heading, numbered non-empty rows) of an upload, or a 400 naming what is wrong."""
    rows = read_spreadsheet(filename, content, max_rows=max_rows)
    if not rows:
        raise ApplicationError(core_codes.INVALID_INPUT, _("The file is empty."), field="file")
    return match_columns(rows[0], headings, required), _body(rows, max_rows)


WAREHOUSE_REQUIRED = ["name", "code", "contact_name", "phone", "address"]
WAREHOUSE_IMPORT_JOB = "warehouse.import"


def parse_warehouses(filename: str, content: bytes):
    return parse_sheet(filename, content, HEADINGS, WAREHOUSE_REQUIRED)


def warehouse_import(
    *, actor: Actor, filename: str, content: bytes, after_row: int = 0, report: dict | None = None, on_step=None
) -> dict:
    """Import every good row; report every bad one (row numbers as in the spreadsheet)."""
    _merchant(actor)
    columns, body = parse_warehouses(filename, content)
    seen_codes: dict[str, int] = {}

    def cell(row, key):
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else ""

    def import_row(number, row):
        code = cell(row, "code")
        if code in seen_codes:
            raise ApplicationError(
                error_codes.WAREHOUSE_CODE_TAKEN,
                _("Code repeated from row %(row)s.") % {"row": seen_codes[code]},
                field="code",
            )
        try:
            parsed = address_parse(cell(row, "address"))
            saved = warehouse_create(
                actor=actor,
                name=cell(row, "name"),
                code=code,
                contact_name=cell(row, "contact_name"),
                phone=cell(row, "phone"),
                division_code=parsed.division_code or "",
                address_detail=parsed.detail,
                is_default=cell(row, "is_default").lower() in _YES,
            )
        except ApplicationError as err:
            # The spreadsheet has one address column where the form has region + detail.
            if err.field in {"division", "address_detail"}:
                err.field = "address"
            raise
        seen_codes[code] = number
        return saved.warehouse.pk

    return import_rows(
        body,
        import_row,
        report=report or new_report("warehouse_ids"),
        ids_key="warehouse_ids",
        after_row=after_row,
        on_step=on_step,
    )


def warehouse_import_start(*, actor: Actor, filename: str, content: bytes) -> Job:
    """Queue a warehouse import on the worker (the file is checked now)."""
    _merchant(actor)
    return import_start(
        actor=actor,
        kind=WAREHOUSE_IMPORT_JOB,
        title=gettext_noop("Warehouse import"),
        filename=filename,
        content=content,
        parse=parse_warehouses,
    )
