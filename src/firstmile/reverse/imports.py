"""The consolidation warehouse's bulk upload of reverse orders (.xlsx or .csv), one a row.

Type, disposition and business mode may be written as the seed writes them
(清关失败, 退运, 代销 …) or as their codes. Good rows become reverse orders; bad rows
are reported by row and column, and nothing of them is saved.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation
from firstmile.core import error_codes as core_codes
from firstmile.core.errors import ApplicationError
from firstmile.pickup.imports import match_columns, read_spreadsheet

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


def reverse_import(*, actor: Actor, filename: str, content: bytes) -> dict:
    _carrier(actor, Operation.REVERSE_RAISE)
    rows = read_spreadsheet(filename, content, max_rows=MAX_ROWS)
    if not rows:
        raise ApplicationError(core_codes.INVALID_INPUT, _("The file is empty."), field="file")
    columns = match_columns(rows[0], HEADINGS, REQUIRED)
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    if len(body) > MAX_ROWS:
        raise ApplicationError(
            core_codes.INVALID_INPUT, _("At most %(n)s rows per file.") % {"n": MAX_ROWS}, field="file"
        )
    report = {"imported": 0, "failed": 0, "errors": [], "ids": []}
    for number, row in body:
        values = {key: (row[i] if i < len(row) else "").strip() for key, i in columns.items()}
        for key in ("reverse_type", "disposition", "business_mode"):
            if key in values:
                values[key] = WORDS.get(values[key], WORDS.get(values[key].upper(), values[key]))
        values.setdefault("disposition", "return")
        values["disposition"] = values["disposition"] or "return"
        try:
            with transaction.atomic():
                order = reverse_order_create(actor=actor, **values)
        except ApplicationError as err:
            report["failed"] += 1
            report["errors"].append({"row": number, "field": err.field, "code": err.code, "message": str(err.message)})
            continue
        report["imported"] += 1
        report["ids"].append(order.pk)
    return report
