"""The filtered reverse-order list as a spreadsheet (.xlsx or .csv), streamed in id order."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from firstmile.core.clock import to_beijing

MAX_EXPORT = 100_000


def _columns():
    return [
        (_("Reverse order number"), lambda o: o.reverse_no),
        (_("Sales return number"), lambda o: o.sales_return_no),
        (_("Order number"), lambda o: o.order_no),
        (_("Reverse type"), lambda o: o.get_reverse_type_display()),
        (_("Disposition"), lambda o: o.get_disposition_display()),
        (_("Status"), lambda o: o.get_status_display()),
        (_("Pickup method"), lambda o: o.get_pickup_method_display()),
        (_("Exception"), lambda o: o.get_exception_state_display()),
        (_("Product ID"), lambda o: o.product_id),
        (_("Product name"), lambda o: o.product_name),
        (_("Goods ID"), lambda o: o.goods_id),
        (_("Goods name"), lambda o: o.goods_name),
        (_("Warehouse"), lambda o: o.warehouse_name),
        (_("Cargo owner ID"), lambda o: o.owner_id),
        (_("Cargo owner"), lambda o: o.owner_name),
        (_("Business mode"), lambda o: o.get_business_mode_display()),
        (_("Created"), lambda o: to_beijing(o.created_at).strftime("%Y-%m-%d %H:%M:%S")),
        (_("Updated"), lambda o: to_beijing(o.updated_at).strftime("%Y-%m-%d %H:%M:%S")),
    ]


def export_rows(queryset):
    columns = _columns()
    yield [title for title, _value in columns]
    for order in queryset[:MAX_EXPORT].iterator(chunk_size=2000):
        yield [value(order) for _title, value in columns]


# OWASP's CSV-injection rule: a cell starting with one of these is run as a formula
# by Excel, LibreOffice or Sheets. Names and IDs come from carriers, merchants and
# their ERPs, so they are data, never formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The cell as text a spreadsheet will show, never run (a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(queryset) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([neutralise(cell) for cell in row] for row in export_rows(queryset))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def _text_cell(sheet, value):
    # openpyxl stores a string starting with "=" as a formula; an explicit string cell stays text.
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def export_xlsx(queryset) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("reverse orders")
    for row in export_rows(queryset):
        sheet.append([_text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
