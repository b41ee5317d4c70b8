"""Label rendering: 1,000 labels into one PDF, and into one ZPL file, on one core.

Compares render_labels (the full 100×150 mm label: CJK text, Code 128, QR code)
with a floor measured in the same run: a ReportLab page holding only the Code 128
barcode and its number. Target: >= 1,000 labels/s. Then the same labels as ZPL
for thermal printers (render_zpl: Chinese as Z64 bitmaps), against the PDF path.

    .venv/bin/python bench/labels.py [--labels 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from firstmile.shipping.labels import PAGE, LabelData, render_labels
from firstmile.shipping.numbers import format_number
from firstmile.shipping.zpl import render_zpl


def labels(n: int) -> list[LabelData]:
    return [
        LabelData(
            waybill_no=format_number("WS", i + 1),
            handover_method="PICKUP" if i % 3 else "DROP_OFF",
            carrier_name="万色速递 Wanse",
            carrier_hotline="4008206207",
            destination_name="万色东莞洪梅分拨仓",
            destination_address="洪梅镇洪屋涡村工业路18号",
            sender_name=f"东莞洪梅一号仓 DG-HM-{i % 50:02d}",
            sender_contact="陈经理",
            sender_phone="138 0013 8000",
            sender_address="广东省东莞市洪梅镇洪屋涡村工业路3号",
            order_no=f"TT2023091800{i:06d}",
            printed_at=datetime(2023, 9, 19, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        )
        for i in range(n)
    ]


def barcode_only(items: list[LabelData]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1)
    for label in items:
        Code128(label.waybill_no, barHeight=18 * mm, barWidth=0.42 * mm, quiet=False).drawOn(canvas, 8 * mm, 90 * mm)
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawCentredString(50 * mm, 84 * mm, label.waybill_no)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = labels(args.labels)
    render_labels(items[:5])  # load the font once, as a running server has
    render_zpl(items[:5])
    full, floor, zpl, size, zpl_size = [], [], [], 0, 0
    for _round in range(args.rounds):
        start = time.perf_counter()
        size = len(render_labels(items))
        full.append(time.perf_counter() - start)
        start = time.perf_counter()
        barcode_only(items)
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        zpl_size = len(render_zpl(items))
        zpl.append(time.perf_counter() - start)
    full_rate = args.labels / statistics.median(full)
    floor_rate = args.labels / statistics.median(floor)
    print(f"{args.labels} labels into one PDF, one core, median of {args.rounds} rounds")
    print(f"  render_labels (full label)    {full_rate:8.0f} labels/s   {size / args.labels / 1024:.1f} KiB/label")
    print(f"  barcode-only ReportLab floor  {floor_rate:8.0f} labels/s")
    print(f"  full / floor                  {full_rate / floor_rate:.2f}   (target: full >= 1000 labels/s)")
    zpl_rate = args.labels / statistics.median(zpl)
    print(f"  render_zpl (same labels)      {zpl_rate:8.0f} labels/s   {zpl_size / args.labels / 1024:.1f} KiB/label")
    print(f"  ZPL / PDF                     {zpl_rate / full_rate:.2f}")


if __name__ == "__main__":
    main()
