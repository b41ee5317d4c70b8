"""Shipping labels (面单): 100 × 150 mm PDF pages, one per waybill.

Drawn straight onto a ReportLab canvas: the handover mark (PICK UP / DROP OFF)
large at the top, the waybill number as a Code 128 barcode, a QR code, the
carrier, the destination sorting centre, the sender warehouse and contact, the
order number and the print time in Beijing time. Chinese text needs a CJK
TrueType font embedded in the PDF (ReportLab's built-in CID fonts render blank in
many viewers); Debian's fonts-wqy-zenhei is used unless FIRSTMILE_LABEL_FONT
names another .ttf/.ttc.

The QR code's modules come from zxing-cpp (C++, ~0.1 ms) and are drawn as one
path of row runs: ReportLab's own QR widget costs several milliseconds a label,
and pure-Python encoders about one.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import zxingcpp
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

PAGE = (100 * mm, 150 * mm)
# Label stock: A6 is the 100 × 150 mm thermal label the design is drawn for.
LABEL_SIZES = {"A6": (100, 150), "A5": (148, 210)}
FONT = "FirstmileCJK"
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]


class LabelFontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def font_path() -> str:
    """The CJK font file labels use, PDF and ZPL alike."""
    configured = os.environ.get("FIRSTMILE_LABEL_FONT")
    for path in [configured] if configured else FONT_CANDIDATES:
        if path and os.path.exists(path):
            return path
    raise LabelFontMissing(
        "No CJK font for labels: install Debian's fonts-wqy-zenhei or set FIRSTMILE_LABEL_FONT to a .ttf/.ttc file"
    )


@lru_cache(maxsize=1)
def register_label_font() -> str:
    """Register the CJK font with ReportLab once; every PDF Firstmile draws uses it."""
    path = font_path()
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(FONT, path))
    return FONT


@dataclass(frozen=True)
class LabelData:
    """What a label shows: every fact frozen on the waybill when it was issued."""

    waybill_no: str
    handover_method: str  # "PICKUP" or "DROP_OFF"
    carrier_name: str
    carrier_hotline: str
    destination_name: str
    destination_address: str
    sender_name: str
    sender_contact: str
    sender_phone: str
    sender_address: str
    order_no: str
    printed_at: datetime  # Beijing time
    reprint: bool = False


_DARK_RUN = re.compile(rb"\x00+")


def _qr_runs(data: str) -> tuple[int, list[tuple[int, int, int]]]:
    """(size, [(row, start, length)]) of dark module runs, quiet zone excluded."""
    symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    size = image.shape[0]
    pixels = image.tobytes()  # one byte a module: 0 dark, 255 light
    runs = []
    for y in range(size):
        row = pixels[y * size : (y + 1) * size]
        runs.extend((y, m.start(), m.end() - m.start()) for m in _DARK_RUN.finditer(row))
    return size, runs


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    size, runs = _qr_runs(data)
    module = side / size
    path = canvas.beginPath()
    for row, start, length in runs:
        path.rect(x + start * module, y + side - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _fit(canvas: Canvas, text: str, size: float, width: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits ``width``."""
    measured = pdfmetrics.stringWidth(text, FONT, size)
    return size if measured <= width else max(6.0, size * width / measured)


def draw_top_band(c: Canvas, *, carrier_name: str, carrier_hotline: str, handover_method: str) -> float:
    """The label's frame and top band: carrier and the handover mark, the first thing a driver reads.

    Shared by the waybill's label and the bundle's; returns the mark box's lower edge."""
    width, height = PAGE
    margin = 4 * mm
    c.setLineWidth(0.8)
    c.rect(margin / 2, margin / 2, width - margin, height - margin)
    top = height - margin
    c.setFont(FONT, 11)
    c.drawString(margin, top - 12, carrier_name)
    c.setFont(FONT, 7)
    c.drawString(margin, top - 22, f"客服 {carrier_hotline}")
    mark = "PICK UP" if handover_method == "PICKUP" else "DROP OFF"
    box_w, box_h = 52 * mm, 14 * mm
    box_x, box_y = width - margin - box_w, top - box_h - 1
    if handover_method == "PICKUP":
        c.rect(box_x, box_y, box_w, box_h, stroke=0, fill=1)
        c.setFillGray(1)
    else:
        c.setLineWidth(2)
        c.rect(box_x, box_y, box_w, box_h, stroke=1, fill=0)
        c.setLineWidth(0.8)
    c.setFont("Helvetica-Bold", 24)
    c.drawCentredString(box_x + box_w / 2, box_y + 4.2 * mm, mark)
    c.setFillGray(0)
    return box_y


def draw_label(canvas: Canvas, label: LabelData) -> None:
    width, _height = PAGE
    margin = 4 * mm
    inner = width - 2 * margin
    c = canvas
    box_y = draw_top_band(
        c,
        carrier_name=label.carrier_name,
        carrier_hotline=label.carrier_hotline,
        handover_method=label.handover_method,
    )

    # Waybill barcode across the label.
    barcode = Code128(label.waybill_no, barHeight=18 * mm, barWidth=0.42 * mm, quiet=False)
    bar_y = box_y - 6 * mm - 18 * mm
    barcode.drawOn(c, margin + (inner - barcode.width) / 2, bar_y)
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(width / 2, bar_y - 6 * mm, label.waybill_no)
    c.line(margin, bar_y - 9 * mm, width - margin, bar_y - 9 * mm)

    # Destination sorting centre: where the first mile ends.
    y = bar_y - 15 * mm
    c.setFont(FONT, 8)
    c.drawString(margin, y + 9, "收货分拨仓 DESTINATION")
    c.setFont(FONT, _fit(c, label.destination_name, 16, inner))
    c.drawString(margin, y - 8, label.destination_name)
    c.setFont(FONT, _fit(c, label.destination_address, 8, inner))
    c.drawString(margin, y - 20, label.destination_address)
    c.line(margin, y - 26, width - margin, y - 26)

    # Sender warehouse and contact.
    y -= 38
    c.setFont(FONT, 8)
    c.drawString(margin, y + 4, "寄件仓库 SENDER")
    c.setFont(FONT, _fit(c, label.sender_name, 11, inner))
    c.drawString(margin, y - 9, label.sender_name)
    contact = f"{label.sender_contact}  {label.sender_phone}"
    c.setFont(FONT, _fit(c, contact, 9, inner))
    c.drawString(margin, y - 21, contact)
    c.setFont(FONT, _fit(c, label.sender_address, 8, inner))
    c.drawString(margin, y - 32, label.sender_address)
    c.line(margin, y - 38, width - margin, y - 38)

    # Order, print time and the QR code.
    qr_side = 26 * mm
    _draw_qr(c, f"{label.waybill_no}|{label.order_no}", width - margin - qr_side, margin + 2, qr_side)
    c.setFont(FONT, 8)
    c.drawString(margin, margin + 50, "订单号 ORDER")
    c.setFont(FONT, _fit(c, label.order_no, 12, inner - qr_side - 4))
    c.drawString(margin, margin + 36, label.order_no)
    c.setFont(FONT, 7)
    printed = label.printed_at.strftime("%Y-%m-%d %H:%M:%S")
    c.drawString(margin, margin + 20, f"打印 {printed} 北京时间{' 补打' if label.reprint else ''}")
    c.drawString(margin, margin + 9, "Firstmile")


def label_layout(size: str) -> tuple[float, float, float, float]:
    """(page width mm, page height mm, scale, left offset mm) of the 100 × 150 mm design on a page size.

    A5 (148 × 210 mm) takes the same design 1.4 times larger, centred: the
    layout a driver knows, on the sheets an office printer has.
    """
    try:
        width, height = LABEL_SIZES[size]
    except KeyError:
        raise ValueError(f"unknown label size {size!r}") from None
    scale = min(width / 100, height / 150)
    return width, height, scale, (width - 100 * scale) / 2


def render_labels(labels: list[LabelData], *, size: str = "A6", on_page=None) -> bytes:
    """One PDF with a page per label, in the given order; ``on_page(n)`` after each page (progress)."""
    register_label_font()
    width, height, scale, left = label_layout(size)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width * mm, height * mm), pageCompression=1)
    canvas.setTitle("Firstmile labels")
    for number, label in enumerate(labels, start=1):
        if scale != 1:
            canvas.saveState()
            canvas.translate(left * mm, 0)
            canvas.scale(scale, scale)
        draw_label(canvas, label)
        if scale != 1:
            canvas.restoreState()
        canvas.showPage()
        if on_page is not None:
            on_page(number)
    canvas.save()
    return buffer.getvalue()
