"""The consolidation warehouse's bulk upload of reverse orders (.xlsx or .csv), one a row.

Type, disposition and business mode may be written as the seed writes them
(清关失败, 退运, 代销 …) or as their codes. Good rows become reverse orders; bad rows
are reported by row and column, and nothing of them is saved.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation
from firstmile.events.models import Job
from firstmile.pickup.imports import import_rows, import_start, new_report, parse_sheet

from .services import _carrier, reverse_order_create

MAX_ROWS = 5000
HEADINGS = {
    "merchant_code": ("商家编码", "merchant_code"),
    "reverse_no": ("逆向管理单号", "reverse_no"),
    "sales_return_no": ("销退单号", "sales_return_no"),
    "order_no": ("订单号", "order_no"),
    "reverse_type": ("逆向类型", "reverse_type"),
    "disposition": ("处理方式", "disposition"),
    "business_mode": ("经营方式", "business_mode"),
    "warehouse_code": ("仓库编码", "warehouse_code"),
    "warehouse_name": ("仓库名称", "warehouse_name"),
    "owner_id": ("货主ID", "owner_id"),
    "owner_name": ("货主名称", "owner_name"),
    "product_id": ("商品ID", "product_id"),
    "product_name": ("商品名称", "product_name"),
    "goods_id": ("货品ID", "goods_id"),
    "goods_name": ("货品名称", "goods_name"),
}
REQUIRED = [
    "merchant_code",
    "order_no",
    "reverse_type",
    "business_mode",
    "warehouse_code",
    "warehouse_name",
    "owner_id",
    "owner_name",
]
TEMPLATE_HEADINGS = [names[0] for names in HEADINGS.values()]
WORDS = {
    "清关失败": "customs_failed",
    "拦截拒收": "intercept_refused",
    "仓拦截成功": "warehouse_intercepted",
    "退运": "return",
    "销毁": "destroy",
    "代销": "consignment_sale",
    "寄售": "consignment",
    "POP": "pop",
}


REVERSE_IMPORT_JOB = "reverse.import"


def parse_reverse_orders(filename: str, content: bytes):
    return parse_sheet(filename, content, HEADINGS, REQUIRED, max_rows=MAX_ROWS)


def _values(columns: dict[str, int], row: list[str]) -> dict[str, str]:
    values = {key: (row[i] if i < len(row) else "").strip() for key, i in columns.items()}
    for key in ("reverse_type", "disposition", "business_mode"):
        if key in values:
            values[key] = WORDS.get(values[key], WORDS.get(values[key].upper(), values[key]))
    values["disposition"] = values.get("disposition") or "return"
    return values


def reverse_import(
    *, actor: Actor, filename: str, content: bytes, after_row: int = 0, report: dict | None = None, on_step=None
) -> dict:
    _carrier(actor, Operation.REVERSE_RAISE)
    columns, body = parse_reverse_orders(filename, content)
    return import_rows(
        body,
        lambda number, row: reverse_order_create(actor=actor, **_values(columns, row)).pk,
        report=report or new_report("ids"),
        ids_key="ids",
        after_row=after_row,
        on_step=on_step,
    )


def reverse_import_start(*, actor: Actor, filename: str, content: bytes) -> Job:
    """Queue a reverse-order import on the worker (the file is checked now)."""
    _carrier(actor, Operation.REVERSE_RAISE)
    return import_start(
        actor=actor,
        kind=REVERSE_IMPORT_JOB,
        title=gettext_noop("Reverse order import"),
        filename=filename,
        content=content,
        parse=parse_reverse_orders,
    )
