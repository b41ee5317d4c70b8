"""Label files as printers take them: PDF pages or ZPL for thermal printers, A6 or A5."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext_lazy as _

from firstmile.core.errors import ApplicationError

from .labels import LABEL_SIZES, LabelData, render_labels
from .zpl import render_zpl

LabelFormat = Literal["pdf", "zpl"]
LabelSize = Literal["A6", "A5"]
CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl; charset=utf-8"}


def check_label_options(fmt: str, size: str) -> tuple[str, str]:
    """The format and size as given, or a clear error naming the field."""
    if fmt not in CONTENT_TYPES:
        raise ApplicationError("invalid_input", _("The label format must be pdf or zpl."), field="format")
    if size not in LABEL_SIZES:
        raise ApplicationError("invalid_input", _("The label size must be A6 or A5."), field="size")
    return fmt, size


def render_label_file(labels: list[LabelData], *, fmt: str = "pdf", size: str = "A6", on_page=None) -> bytes:
    """One file of every label in order: a PDF page or a ZPL label each."""
    check_label_options(fmt, size)
    render = render_zpl if fmt == "zpl" else render_labels
    return render(labels, size=size, on_page=on_page)
