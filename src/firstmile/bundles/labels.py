"""A bundle's label (A6 PDF and ZPL) and its manifest (A4 PDF listing every waybill in it).

The label is the waybill label's design with the bundle's facts: the handover mark
a driver reads first, the bundle number as Code 128 (what the driver and the sorting
centre scan), the destination sorting centre, the sender warehouse, the parcel count
and weight, and for a DROP OFF sent by an express company, that company and its
number. The manifest is what the sorting centre checks an opened bundle against.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from firstmile.core.clock import now, to_beijing
from firstmile.shipping.labels import FONT, PAGE, _draw_qr, _fit, draw_top_band, register_label_font
from firstmile.shipping.zpl import _Label

from .models import Bundle


@dataclass(frozen=True)
class BundleLabelData:
    number: str
    handover_method: str
    carrier_name: str
    carrier_hotline: str
    destination_name: str
    destination_address: str
    warehouse_name: str
    warehouse_address: str
    merchant_name: str
    parcel_count: int
    weight_kg: str
    size_cm: str
    express: str  # "顺丰速运 SF1234567890", or ""
    closed_at: datetime  # Beijing time
    printed_at: datetime  # Beijing time


def label_data(bundle: Bundle) -> BundleLabelData:
    """The label's facts of a closed (or later) bundle."""
    carrier, centre, warehouse = bundle.carrier, bundle.sorting_centre, bundle.warehouse
    sides = (bundle.length_cm, bundle.width_cm, bundle.height_cm)
    return BundleLabelData(
        number=bundle.number,
        handover_method=bundle.handover_method,
        carrier_name=f"{carrier.name_zh} {carrier.name_en}" if carrier else "—",
        carrier_hotline=carrier.hotline if carrier else "",
        destination_name=centre.name if centre else "—",
        destination_address=centre.address_detail if centre else "",
        warehouse_name=f"{warehouse.name} ({warehouse.code})",
        warehouse_address=warehouse.address_detail,
        merchant_name=bundle.merchant.name,
        parcel_count=bundle.parcel_count,
        weight_kg=f"{bundle.weight_kg} kg" if bundle.weight_kg is not None else "—",
        size_cm=" × ".join(str(s) for s in sides) + " cm" if all(sides) else "",
        express=f"{bundle.express_company} {bundle.express_tracking_no}".strip(),
        closed_at=to_beijing(bundle.closed_at or now()),
        printed_at=to_beijing(now()),
    )


def _mark(method: str) -> str:
    return "PICK UP" if method == "PICKUP" else "DROP OFF"


def render_bundle_label(label: BundleLabelData) -> bytes:
    """The bundle's A6 (100 × 150 mm) label as a one-page PDF."""
    register_label_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=PAGE, pageCompression=1)
    c.setTitle(f"Bundle {label.number}")
    width, _height = PAGE
    margin = 4 * mm
    inner = width - 2 * margin
    box_y = draw_top_band(
        c,
        carrier_name=label.carrier_name,
        carrier_hotline=label.carrier_hotline,
        handover_method=label.handover_method,
    )
    c.setFont(FONT, 12)
    c.drawString(margin, box_y - 6 * mm, "集包 BUNDLE")
    barcode = Code128(label.number, barHeight=18 * mm, barWidth=0.42 * mm, quiet=False)
    bar_y = box_y - 8 * mm - 18 * mm
    barcode.drawOn(c, margin + (inner - barcode.width) / 2, bar_y)
    c.setFont("Helvetica-Bold", 14)
    c.drawCentredString(width / 2, bar_y - 6 * mm, label.number)
    c.line(margin, bar_y - 9 * mm, width - margin, bar_y - 9 * mm)

    y = bar_y - 15 * mm
    c.setFont(FONT, 8)
    c.drawString(margin, y + 9, "收货分拨仓 DESTINATION")
    c.setFont(FONT, _fit(c, label.destination_name, 16, inner))
    c.drawString(margin, y - 8, label.destination_name)
    c.setFont(FONT, _fit(c, label.destination_address or " ", 8, inner))
    c.drawString(margin, y - 20, label.destination_address)
    c.line(margin, y - 26, width - margin, y - 26)

    y -= 38
    c.setFont(FONT, 8)
    c.drawString(margin, y + 4, "寄件仓库 SENDER")
    c.setFont(FONT, _fit(c, label.warehouse_name, 11, inner))
    c.drawString(margin, y - 9, label.warehouse_name)
    c.setFont(FONT, _fit(c, label.merchant_name, 9, inner))
    c.drawString(margin, y - 21, label.merchant_name)
    c.setFont(FONT, _fit(c, label.warehouse_address or " ", 8, inner))
    c.drawString(margin, y - 32, label.warehouse_address)
    c.line(margin, y - 38, width - margin, y - 38)

    qr_side = 24 * mm
    _draw_qr(c, f"{label.number}|{label.parcel_count}", width - margin - qr_side, margin + 2, qr_side)
    text_w = inner - qr_side - 4
    c.setFont(FONT, 8)
    c.drawString(margin, margin + 62, "件数 PARCELS · 重量 WEIGHT")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(margin, margin + 46, f"{label.parcel_count} · {label.weight_kg}")
    c.setFont(FONT, 8)
    if label.size_cm:
        c.drawString(margin, margin + 36, label.size_cm)
    if label.express:
        express = f"快递 {label.express}"
        c.setFont(FONT, _fit(c, express, 9, text_w))
        c.drawString(margin, margin + 26, express)
    c.setFont(FONT, 7)
    c.drawString(margin, margin + 16, f"封包 {label.closed_at:%Y-%m-%d %H:%M} 北京时间")
    c.drawString(margin, margin + 6, f"打印 {label.printed_at:%Y-%m-%d %H:%M:%S} · Firstmile")
    c.showPage()
    c.save()
    return buffer.getvalue()


def bundle_label_zpl(label: BundleLabelData) -> bytes:
    """The same label for a thermal printer (ZPL II, 203 dpi)."""
    z = _Label("A6")
    z.box(2, 2, 96, 146, 0.3)
    z.text(4, 4, 4.2, label.carrier_name, 38)
    z.text(4, 10, 2.8, f"客服 {label.carrier_hotline}", 38)
    pickup = label.handover_method == "PICKUP"
    z.box(44, 3, 52, 14, 14 if pickup else 0.8)
    z.text(44, 6.5, 8, _mark(label.handover_method), 52, centre=True, reverse=pickup)
    z.text(4, 19, 3.6, "集包 BUNDLE", 40)
    z.code128(25, label.number, 18)
    z.text(4, 45, 5, label.number, 92, centre=True)
    z.line(52)
    z.text(4, 55, 2.8, "收货分拨仓 DESTINATION", 92)
    z.text(4, 59, 5.6, label.destination_name, 92)
    z.text(4, 66, 2.8, label.destination_address, 92)
    z.line(71)
    z.text(4, 74, 2.8, "寄件仓库 SENDER", 92)
    z.text(4, 78, 3.9, label.warehouse_name, 92)
    z.text(4, 83.5, 3.2, label.merchant_name, 92)
    z.text(4, 88, 2.8, label.warehouse_address, 92)
    z.line(93)
    z.text(4, 97, 2.8, "件数 PARCELS · 重量 WEIGHT", 62)
    z.text(4, 102, 6, f"{label.parcel_count} · {label.weight_kg}", 62)
    if label.size_cm:
        z.text(4, 110, 3, label.size_cm, 62)
    if label.express:
        z.text(4, 116, 3.2, f"快递 {label.express}", 62)
    z.qr(72, 118, 24, f"{label.number}|{label.parcel_count}")
    z.text(4, 126, 2.5, f"封包 {label.closed_at:%Y-%m-%d %H:%M} 北京时间", 62)
    z.text(4, 131, 2.5, f"打印 {label.printed_at:%Y-%m-%d %H:%M:%S} · Firstmile", 62)
    return (z.end() + "\n").encode()


MARGIN = 15 * mm
COLUMNS = 3
ROW = 5.2 * mm


def render_manifest(label: BundleLabelData, rows: list[tuple[str, str, bool]]) -> bytes:
    """The A4 manifest: the bundle's facts, then every (waybill number, order number, missing) in numbered columns."""
    register_label_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Bundle manifest {label.number}")
    width, height = A4
    page = 1

    def footer() -> None:
        c.setFont(FONT, 8)
        c.drawString(MARGIN, 8 * mm, f"Firstmile · 集包清单 Bundle manifest {label.number}")
        c.drawRightString(width - MARGIN, 8 * mm, f"第 {page} 页 Page {page}")

    c.setFont(FONT, 16)
    c.drawString(MARGIN, height - MARGIN - 4 * mm, "集包清单 Bundle manifest")
    barcode = Code128(label.number, barHeight=12 * mm, barWidth=0.36 * mm, quiet=False)
    barcode.drawOn(c, width - MARGIN - barcode.width, height - MARGIN - 14 * mm)
    c.setFont("Helvetica-Bold", 11)
    c.drawRightString(width - MARGIN, height - MARGIN - 18 * mm, label.number)
    y = height - MARGIN - 14 * mm
    facts = [
        ("交接方式 Handover", _mark(label.handover_method)),
        ("承运商 Carrier", label.carrier_name),
        ("分拨仓 Sorting centre", label.destination_name),
        ("商家 Merchant", label.merchant_name),
        ("仓库 Warehouse", label.warehouse_name),
        ("件数 Parcels", str(label.parcel_count)),
        ("重量 Weight", f"{label.weight_kg} {label.size_cm}".strip()),
    ]
    if label.express:
        facts.append(("快递 Express", label.express))
    facts.append(("封包 Closed", f"{label.closed_at:%Y-%m-%d %H:%M} 北京时间 Beijing time"))
    for name, value in facts:
        c.setFont(FONT, 9)
        c.drawString(MARGIN, y, name)
        c.setFont(FONT, 10)
        c.drawString(MARGIN + 38 * mm, y, value[:70])
        y -= 5.6 * mm
    y -= 3 * mm
    c.line(MARGIN, y, width - MARGIN, y)
    y -= 6 * mm
    column_width = (width - 2 * MARGIN) / COLUMNS
    for start in range(0, len(rows), COLUMNS):
        if y < MARGIN + 10 * mm:
            footer()
            c.showPage()
            page += 1
            c.setFont(FONT, 10)
            c.drawString(MARGIN, height - MARGIN, f"集包清单 Bundle manifest {label.number}（续 continued）")
            y = height - MARGIN - 10 * mm
        for offset, (waybill_no, order_no, missing) in enumerate(rows[start : start + COLUMNS]):
            c.setFont(FONT, 8.5)
            mark = " ✗" if missing else ""
            c.drawString(
                MARGIN + offset * column_width, y, f"{start + offset + 1:>5}. {waybill_no} {order_no[:14]}{mark}"
            )
        y -= ROW
    footer()
    c.showPage()
    c.save()
    return buffer.getvalue()
