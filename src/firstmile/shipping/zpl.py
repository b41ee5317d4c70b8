"""Shipping labels for thermal printers: ZPL II, the language of Zebra printers and their clones.

The same design as the PDF (labels.py), drawn in printer dots at 8 dots/mm
(203 dpi, the common first-mile printer): the handover mark as a filled or framed
box, the waybill number as the printer's own Code 128 (``^BC``), the QR code as
its own ``^BQ``, lines as ``^GB``. Text the printer's built-in font can write
(ASCII) goes as text; Chinese goes as a bitmap (``^GF``, Z64-compressed) drawn
with the same CJK font as the PDF, so a printer needs no font downloaded and
prints the label exactly as shown. A batch is one file of ``^XA … ^XZ`` labels.

Every text field is written through ``^FH`` with ``^``, ``~`` and ``\\`` escaped,
so an order number cannot end a field or inject a printer command.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from functools import lru_cache

import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from .labels import LabelData, font_path, label_layout

DOTS_PER_MM = 8


def _escape(text: str) -> str:
    return text.replace("\\", "\\5C").replace("^", "\\5E").replace("~", "\\7E")


def _printable(text: str) -> str:
    # Control characters print as nothing useful and some printers act on them.
    return "".join(ch if ch.isprintable() else " " for ch in text)


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size=size, index=0)


@lru_cache(maxsize=4096)
def _text_bitmap(text: str, h: int, w: int) -> tuple[int, str]:
    """(width in dots, ``^GF`` command) of a line of text ``h`` dots tall, shrunk to ``w``.

    Cached: a batch repeats the carrier, the sorting centre and the sender on
    every label, and drawing glyphs is most of a ZPL label's cost.
    """
    font = _font(h)
    left, top, right, bottom = font.getbbox(text)
    if right - left > w:
        font = _font(max(8, int(h * w / (right - left))))
        left, top, right, bottom = font.getbbox(text)
    image = Image.new("1", (max(8, min(w, right - left)), max(1, bottom - top)), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=1)
    row_bytes = (image.width + 7) // 8
    raw = image.tobytes()  # mode "1": 1 = ink, rows padded to whole bytes, as ^GF expects
    return image.width, f"^GFA,{len(raw)},{len(raw)},{row_bytes},{_z64(raw)}"


def _z64(raw: bytes) -> str:
    encoded = base64.b64encode(zlib.compress(raw))
    return f":Z64:{encoded.decode()}:{binascii.crc_hqx(encoded, 0):04X}"


class _Label:
    """One label's commands, laid out in millimetres of the 100 × 150 design."""

    def __init__(self, size: str):
        width, height, self.scale, self.left = label_layout(size)
        self.width_dots, self.height_dots = round(width * DOTS_PER_MM), round(height * DOTS_PER_MM)
        self.out = ["^XA", "^CI28", f"^PW{self.width_dots}", f"^LL{self.height_dots}", "^LH0,0"]

    def d(self, millimetres: float) -> int:
        return round(millimetres * self.scale * DOTS_PER_MM)

    def at(self, x: float, y: float) -> str:
        return f"^FO{round((self.left + x * self.scale) * DOTS_PER_MM)},{self.d(y)}"

    def box(self, x: float, y: float, w: float, h: float, thickness: float) -> None:
        self.out.append(f"{self.at(x, y)}^GB{self.d(w)},{self.d(h)},{max(1, self.d(thickness))}^FS")

    def line(self, y: float) -> None:
        self.out.append(f"{self.at(4, y)}^GB{self.d(92)},{max(2, self.d(0.25))},{max(2, self.d(0.25))}^FS")

    def text(
        self, x: float, y: float, height: float, text: str, width: float, *, centre: bool = False, reverse=False
    ) -> None:
        """A line of text ``height`` mm tall, shrunk to fit ``width`` mm."""
        text = _printable(text)
        if not text.strip():
            return
        h, w = self.d(height), self.d(width)
        if text.isascii():
            # The printer's scalable font 0 is about 0.6 of its height wide a character.
            char_w = min(h, int(w / (0.6 * len(text))) or 1)
            block = f"^FB{w},1,0,{'C' if centre else 'L'},0" if centre else ""
            self.out.append(
                f"{self.at(x, y)}{'^FR' if reverse else ''}^A0N,{h},{char_w}{block}^FH\\^FD{_escape(text)}^FS"
            )
            return
        self._bitmap(x, y, h, w, text, centre=centre)

    def _bitmap(self, x: float, y: float, h: int, w: int, text: str, *, centre: bool) -> None:
        width_dots, graphic = _text_bitmap(text, h, w)
        shift = (w - width_dots) / 2 / (self.scale * DOTS_PER_MM) if centre else 0
        self.out.append(f"{self.at(x + shift, y)}{graphic}^FS")

    def code128(self, y: float, value: str, height: float) -> None:
        value = _printable(value)
        modules = 11 * _code128_symbols(value) + 35  # start, symbols, check character, stop
        module = max(2, min(4, self.d(92) // modules))
        x_dots = round((self.left + 50 * self.scale) * DOTS_PER_MM - modules * module / 2)
        self.out.append(f"^BY{module}")
        # Automatic mode (the last "A"): the printer picks the subsets, digits as pairs,
        # so the symbol is as short as the PDF's and scans the same.
        self.out.append(f"^FO{x_dots},{self.d(y)}^BCN,{self.d(height)},N,N,N,A^FH\\^FD{_escape(value)}^FS")

    def qr(self, x: float, y: float, side: float, value: str) -> None:
        value = _printable(value)
        size = zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(scale=1).shape[0]
        magnification = max(1, min(10, self.d(side) // size))
        self.out.append(f"{self.at(x, y)}^BQN,2,{magnification}^FH\\^FDMA,{_escape(value)}^FS")

    def end(self) -> str:
        self.out.append("^XZ")
        return "\n".join(self.out)


_LETTERS_THEN_DIGITS = re.compile(r"^([A-Z]+)([0-9]{2,})$")


def _code128_symbols(value: str) -> int:
    """How many symbols ``^BC``'s automatic mode needs for ``value``, for the barcode's width.

    A waybill number (letters, then digits) goes as the letters in subset B and the
    digits as pairs in subset C, after one switch (an odd digit count puts one digit
    in B first), as the PDF's Code 128 does; anything else goes character by character.
    """
    match = _LETTERS_THEN_DIGITS.match(value)
    if not match:
        return len(value)
    letters, digits = match.groups()
    return len(letters) + len(digits) % 2 + 1 + len(digits) // 2


def label_zpl(label: LabelData, *, size: str = "A6") -> str:
    z = _Label(size)
    z.box(2, 2, 96, 146, 0.3)

    z.text(4, 4, 4.2, label.carrier_name, 38)
    z.text(4, 10, 2.8, f"客服 {label.carrier_hotline}", 38)
    pickup = label.handover_method == "PICKUP"
    # The mark a driver reads first: PICK UP white on black, DROP OFF black in a frame.
    z.box(44, 3, 52, 14, 14 if pickup else 0.8)
    z.text(44, 6.5, 8, "PICK UP" if pickup else "DROP OFF", 52, centre=True, reverse=pickup)

    z.code128(23, label.waybill_no, 18)
    z.text(4, 43, 5, label.waybill_no, 92, centre=True)
    z.line(50)

    z.text(4, 53, 2.8, "收货分拨仓 DESTINATION", 92)
    z.text(4, 57, 5.6, label.destination_name, 92)
    z.text(4, 64, 2.8, label.destination_address, 92)
    z.line(69)

    z.text(4, 72, 2.8, "寄件仓库 SENDER", 92)
    z.text(4, 76, 3.9, label.sender_name, 92)
    z.text(4, 81.5, 3.2, f"{label.sender_contact}  {label.sender_phone}", 92)
    z.text(4, 86, 2.8, label.sender_address, 92)
    z.line(91)

    z.qr(70, 118, 26, f"{label.waybill_no}|{label.order_no}")
    z.text(4, 110, 2.8, "订单号 ORDER", 60)
    z.text(4, 115, 4.2, label.order_no, 62)
    printed = label.printed_at.strftime("%Y-%m-%d %H:%M:%S")
    z.text(4, 126, 2.5, f"打印 {printed} 北京时间{' 补打' if label.reprint else ''}", 62)
    z.text(4, 131, 2.5, "Firstmile", 40)
    return z.end()


def render_zpl(labels: list[LabelData], *, size: str = "A6", on_page=None) -> bytes:
    """One ZPL file with a label per waybill, in the given order; ``on_page(n)`` after each (progress)."""
    parts = []
    for number, label in enumerate(labels, start=1):
        parts.append(label_zpl(label, size=size))
        if on_page is not None:
            on_page(number)
    return ("\n".join(parts) + "\n").encode()
