"""The handover list (交接单) as an A4 PDF both sides print or keep.

Its number is a Code 128 barcode at the top, so a scanner at the sorting centre or
the merchant's office finds the list; the parcels follow in numbered columns,
missing ones in their own section, and the contact's drawn signature closes it.
The CJK font is the labels' font.
"""

from __future__ import annotations

import io

from django.utils import timezone
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from firstmile.shipping.labels import FONT, register_label_font

from .models import HandoverKind, HandoverStatus
from .selectors import HandoverSheet

MARGIN = 15 * mm
COLUMNS = 4
ROW = 5.2 * mm


def _beijing(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


class _Sheet:
    """A canvas that starts a new page with a running header when a column runs out."""

    def __init__(self, sheet: HandoverSheet) -> None:
        self.sheet = sheet
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.c.setTitle(f"Handover list {sheet.handover.number}")
        self.page = 1
        self.width, self.height = A4

    def footer(self) -> None:
        self.c.setFont(FONT, 8)
        self.c.drawString(MARGIN, 8 * mm, f"Firstmile · 交接单 {self.sheet.handover.number}")
        self.c.drawRightString(self.width - MARGIN, 8 * mm, f"第 {self.page} 页 Page {self.page}")

    def new_page(self) -> float:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.c.setFont(FONT, 10)
        title = f"交接单 Handover list {self.sheet.handover.number}（续 continued）"
        self.c.drawString(MARGIN, self.height - MARGIN, title)
        return self.height - MARGIN - 10 * mm


def _header(s: _Sheet) -> float:
    h = s.sheet.handover
    c = s.c
    top = s.height - MARGIN
    c.setFont(FONT, 20)
    c.drawString(MARGIN, top - 16, "交接单 Handover list")
    c.setFont(FONT, 10)
    kind = "上门揽收 PICK UP" if h.kind == HandoverKind.PICKUP else "网点自送 DROP OFF"
    c.drawString(MARGIN, top - 32, kind)
    barcode = Code128(h.number, barHeight=14 * mm, barWidth=0.38 * mm, quiet=True)
    barcode.drawOn(c, s.width - MARGIN - barcode.width, top - 16 * mm)
    c.setFont("Helvetica-Bold", 12)
    c.drawCentredString(s.width - MARGIN - barcode.width / 2, top - 21 * mm, h.number)

    if h.kind == HandoverKind.PICKUP:
        place = [
            ("仓库 Warehouse", f"{h.warehouse.name}" if h.warehouse else "—"),
            ("地址 Address", f"{h.warehouse.division.name} {h.warehouse.address_detail}" if h.warehouse else "—"),
            ("司机 Driver", f"{h.driver.name}  {h.driver.phone_display}" if h.driver else "—"),
        ]
    else:
        centre = h.sorting_centre
        place = [
            ("分拨仓 Sorting centre", f"{centre.name} ({centre.code})" if centre else "—"),
            ("地址 Address", centre.address_detail if centre else "—"),
        ]
    facts = [
        ("商家 Merchant", h.merchant.name),
        ("承运商 Carrier", h.carrier.display_name),
        *place,
        ("日期 Date", h.date.isoformat()),
        ("件数 Parcels", str(h.parcel_count)),
        ("缺件 Missing", str(len(s.sheet.missing))),
        ("重量 Weight", f"{h.weight_kg} kg" if h.weight_kg is not None else "—"),
    ]
    if h.amends_id:
        facts.append(("更正 Amends", h.amends.number))
    y = top - 30 * mm
    for label, value in facts:
        c.setFont(FONT, 9)
        c.drawString(MARGIN, y, label)
        c.setFont(FONT, 10)
        c.drawString(MARGIN + 38 * mm, y, value[:80])
        y -= 5.6 * mm
    if h.status != HandoverStatus.CONFIRMED:
        c.setFont(FONT, 14)
        c.setFillColorRGB(0.75, 0, 0)
        c.drawString(MARGIN, y - 2 * mm, "未确认 NOT CONFIRMED — 双方签字前仅供核对 for checking only")
        c.setFillGray(0)
        y -= 8 * mm
    return y - 4 * mm


def _numbers(s: _Sheet, y: float, title: str, numbers: list[str]) -> float:
    c = s.c
    if y < MARGIN + 30 * mm:
        y = s.new_page()
    c.setFont(FONT, 11)
    c.drawString(MARGIN, y, f"{title}（{len(numbers)}）")
    c.line(MARGIN, y - 2 * mm, s.width - MARGIN, y - 2 * mm)
    y -= 7 * mm
    column_width = (s.width - 2 * MARGIN) / COLUMNS
    c.setFont("Helvetica", 9)
    for start in range(0, len(numbers), COLUMNS):
        if y < MARGIN + 10 * mm:
            y = s.new_page()
            c.setFont("Helvetica", 9)
        for offset, number in enumerate(numbers[start : start + COLUMNS]):
            c.drawString(MARGIN + offset * column_width, y, f"{start + offset + 1:>4}. {number}")
        y -= ROW
    return y - 4 * mm


def _signatures(s: _Sheet, y: float) -> None:
    h = s.sheet.handover
    c = s.c
    if y < MARGIN + 45 * mm:
        y = s.new_page()
    c.line(MARGIN, y, s.width - MARGIN, y)
    y -= 7 * mm
    half = (s.width - 2 * MARGIN) / 2
    c.setFont(FONT, 10)
    c.drawString(MARGIN, y, "交货方（商家）签字 Handed over by")
    receiver = h.driver.name if h.driver else h.carrier.display_name
    c.drawString(MARGIN + half, y, "收货方 Received by")
    c.setFont(FONT, 11)
    c.drawString(MARGIN + half, y - 8 * mm, f"{receiver} · {h.carrier.display_name}"[:50])
    if h.status == HandoverStatus.CONFIRMED:
        c.drawString(MARGIN, y - 8 * mm, h.signer_name)
        if h.signature:
            with h.signature.open("rb") as f:
                image = ImageReader(io.BytesIO(f.read()))
            box = {"width": 70 * mm, "height": 25 * mm}
            c.drawImage(image, MARGIN, y - 36 * mm, **box, preserveAspectRatio=True, mask="auto")
        c.setFont(FONT, 9)
        c.drawString(MARGIN, y - 41 * mm, f"确认时间 Confirmed {_beijing(h.confirmed_at)} 北京时间")
    else:
        c.rect(MARGIN, y - 36 * mm, 70 * mm, 25 * mm)


def render_handover_pdf(sheet: HandoverSheet) -> bytes:
    register_label_font()
    s = _Sheet(sheet)
    y = _header(s)
    if sheet.bundles:
        lines = [f"{number} ×{parcels}" for number, parcels in sheet.bundles]
        y = _numbers(s, y, "集包 Bundles (number × parcels)", lines)
        y = _numbers(s, y, "单件交接 Handed over one by one", sheet.loose)
    else:
        y = _numbers(s, y, "交接包裹 Handed over", sheet.handed)
    if sheet.missing:
        y = _numbers(s, y, "缺件 Missing (on the merchant's list, not scanned)", sheet.missing)
    _signatures(s, y)
    s.footer()
    s.c.showPage()
    s.c.save()
    return s.buffer.getvalue()
