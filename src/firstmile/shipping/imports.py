"""Bulk import of orders from a spreadsheet (.xlsx or .csv), one order a row.

Good rows become orders (each with its ship-by deadline fixed at import, counted
from the marketplace's order time when the sheet has one);
bad rows are reported by row number and column and nothing of them is saved.
"""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import from_beijing_wall_clock
from firstmile.core.errors import ApplicationError
from firstmile.events.models import Job
from firstmile.pickup.imports import import_rows, import_start, new_report, parse_sheet

from .services import _merchant, order_create

MAX_ROWS = 5000
HEADINGS = {
    "order_no": ("订单号", "order_no", "order number"),
    "warehouse_code": ("发货仓库编码", "仓库编码", "warehouse_code", "warehouse code"),
    "item_summary": ("商品", "items", "item_summary"),
    "erp_warehouse_code": ("ERP仓库编码", "erp_warehouse_code"),
    "placed_at": ("下单时间", "创建时间", "placed_at", "placed at"),
    "ship_by": ("最晚发货时间", "ship_by", "ship by"),
}
TEMPLATE_HEADINGS = ["订单号", "发货仓库编码", "商品", "ERP仓库编码", "下单时间", "最晚发货时间"]


def _instant(text: str, field: str):
    """A time cell: ISO 8601 with an offset, or a spreadsheet date-time read as Beijing time."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        parsed = parse_datetime(text.replace("/", "-"))
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2099:
        raise ApplicationError(
            core_codes.INVALID_INPUT,
            _("Give a date and time such as 2023-09-18 10:00 (Beijing time) or with an offset."),
            field=field,
        )
    return from_beijing_wall_clock(parsed)


ORDER_IMPORT_JOB = "order.import"


def parse_orders(filename: str, content: bytes):
    return parse_sheet(filename, content, HEADINGS, ["order_no"], max_rows=MAX_ROWS)


def order_import(
    *, actor: Actor, filename: str, content: bytes, after_row: int = 0, report: dict | None = None, on_step=None
) -> dict:
    _merchant(actor)
    columns, body = parse_orders(filename, content)

    def cell(row, key):
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else ""

    def import_row(number, row):
        return order_create(
            actor=actor,
            order_no=cell(row, "order_no"),
            warehouse_code=cell(row, "warehouse_code") or None,
            item_summary=cell(row, "item_summary"),
            erp_warehouse_code=cell(row, "erp_warehouse_code"),
            placed_at=_instant(cell(row, "placed_at"), "placed_at"),
            ship_by=_instant(cell(row, "ship_by"), "ship_by"),
        ).pk

    return import_rows(
        body,
        import_row,
        report=report or new_report("order_ids"),
        ids_key="order_ids",
        after_row=after_row,
        on_step=on_step,
    )


def order_import_start(*, actor: Actor, filename: str, content: bytes) -> Job:
    """Queue an order import on the worker (the file is checked now)."""
    _merchant(actor)
    return import_start(
        actor=actor,
        kind=ORDER_IMPORT_JOB,
        title=gettext_noop("Order import"),
        filename=filename,
        content=content,
        parse=parse_orders,
    )
