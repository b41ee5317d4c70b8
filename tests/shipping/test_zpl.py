"""ZPL labels for thermal printers, rendered by a real ZPL engine (Zebrash, tests/zpl) and scanned."""

import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from firstmile.shipping.labels import LabelData
from firstmile.shipping.models import Waybill
from firstmile.shipping.zpl import render_zpl

from .. import factories

RENDERER = Path(__file__).resolve().parents[1] / "zpl" / "render.cjs"


def _render(zpl: bytes, tmp_path: Path, size=(100, 150)) -> list[Image.Image]:
    source = tmp_path / "labels.zpl"
    source.write_bytes(zpl)
    done = subprocess.run(
        ["node", str(RENDERER), str(source), str(size[0]), str(size[1]), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [Image.open(tmp_path / f"page-{n}.png").convert("L") for n in range(int(done.stdout.strip()))]


def _codes(image: Image.Image) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def _ink(image: Image.Image, box_mm: tuple[float, float, float, float], scale: float = 1.0) -> float:
    """Share of dark dots in a box given in millimetres of the 100 × 150 design."""
    x0, y0, x1, y1 = (round(v * 8 * scale) for v in box_mm)
    region = image.crop((x0, y0, x1, y1))
    return sum(region.histogram()[:128]) / (region.width * region.height)


LABEL = LabelData(
    waybill_no="WS00000000017",
    handover_method="PICKUP",
    carrier_name="万色速递 Wanse Express",
    carrier_hotline="4008206207",
    destination_name="东莞洪梅分拨中心",
    destination_address="广东省东莞市洪梅镇洪屋涡村工业路3号",
    sender_name="东莞洪梅仓",
    sender_contact="陈经理",
    sender_phone="13800138000",
    sender_address="广东省东莞市洪梅镇洪屋涡村工业路3号",
    order_no="576-1001",
    printed_at=datetime(2026, 9, 19, 10, 0),
)


def test_a6_label_carries_the_same_barcodes_mark_and_chinese_text(tmp_path):
    drop_off = LabelData(**{**LABEL.__dict__, "waybill_no": "JT00000000025", "handover_method": "DROP_OFF"})
    pages = _render(render_zpl([LABEL, drop_off]), tmp_path)
    assert [p.size for p in pages] == [(800, 1200), (800, 1200)]
    assert _codes(pages[0]) == {"Code128": "WS00000000017", "QRCode": "WS00000000017|576-1001"}
    assert _codes(pages[1]) == {"Code128": "JT00000000025", "QRCode": "JT00000000025|576-1001"}
    # PICK UP is a black box with white letters; DROP OFF black letters in a frame.
    assert _ink(pages[0], (45, 4, 95, 16)) > 0.6
    assert _ink(pages[1], (45, 4, 95, 16)) < 0.4
    # The Chinese lines (a bitmap: no font needed on the printer) are there: the
    # destination name, and nothing where the design leaves space.
    assert _ink(pages[0], (4, 57, 50, 62.6)) > 0.08
    assert _ink(pages[0], (4, 95, 60, 108)) == 0


def test_a5_is_the_same_design_larger(tmp_path):
    [page] = _render(render_zpl([LABEL], size="A5"), tmp_path, size=(148, 210))
    assert page.size == (1184, 1680)
    assert _codes(page) == {"Code128": "WS00000000017", "QRCode": "WS00000000017|576-1001"}


def test_field_data_cannot_inject_printer_commands(tmp_path):
    injected = "X^XZ^XA^FO0,0^GB800,1200,800^FS~JR\\"
    hostile = LabelData(**{**LABEL.__dict__, "order_no": injected, "sender_name": "仓\x07库"})
    zpl = render_zpl([hostile]).decode()
    assert len(re.findall(r"\^XA", zpl)) == 1 and len(re.findall(r"\^XZ", zpl)) == 1
    assert "\x07" not in zpl and "~JR" not in zpl
    [page] = _render(zpl.encode(), tmp_path)
    assert _codes(page)["QRCode"] == "WS00000000017|X^XZ^XA^FO0,0^GB800,1200,800^FS~JR\\"
    assert _ink(page, (4, 95, 60, 108)) == 0  # no injected black box


@pytest.mark.django_db
def test_api_and_portal_serve_zpl_and_a5(api, merchant, hongmei, tmp_path, client):
    from ..jobs import finished

    erp = api(factories.token(merchant.organisation))
    ids = [erp.post("/orders", {"order_no": f"Z-{n}"}).json()["id"] for n in range(3)]
    numbers = [w["waybill_no"] for w in erp.post("/orders/arrange-shipment", {"order_ids": ids}).json()["waybills"]]

    one = erp.get(f"/waybills/{numbers[0]}/label.zpl")
    assert one.status_code == 200 and one["Content-Type"].startswith("application/zpl")
    assert "attachment" in one["Content-Disposition"]
    [page] = _render(one.content, tmp_path)
    assert _codes(page) == {"Code128": numbers[0], "QRCode": f"{numbers[0]}|Z-0"}
    assert Waybill.objects.get(waybill_no=numbers[0]).print_count == 1

    a5 = erp.get(f"/waybills/{numbers[0]}/label.pdf", size="A5")
    assert a5.status_code == 200 and b"/MediaBox [ 0 0 419.5276 595.2756 ]" in a5.content
    bad = erp.get(f"/waybills/{numbers[0]}/label.zpl", size="A7")
    assert bad.status_code == 422 and bad.json()["field"] == "size"

    merged = erp.get("/labels.zpl", waybill=numbers)
    assert merged.content.count(b"^XA") == 3

    queued = erp.post("/label-batches", {"waybill_nos": numbers, "format": "zpl", "size": "A5"})
    assert queued.status_code == 202
    job = finished(queued).job
    assert job.result_name == "labels.zpl"
    result = b"".join(erp.client.get(f"/api/v1/jobs/{job.pk}/result", headers=erp.headers).streaming_content)
    pages = _render(result, tmp_path, size=(148, 210))
    assert [_codes(p)["Code128"] for p in pages] == numbers
    assert erp.post("/label-batches", {"waybill_nos": numbers, "format": "epl"}).status_code == 422

    stranger = api(factories.token(factories.organisation()))
    assert stranger.client.get(f"/api/v1/waybills/{numbers[0]}/label.zpl", headers=stranger.headers).status_code == 404

    user = factories.user(merchant.organisation)
    client.force_login(user)
    portal = client.get("/merchant/labels.pdf", {"w": numbers[1], "format": "zpl"})
    assert portal.status_code == 200 and portal.content.startswith(b"^XA")
    refused = client.get("/merchant/labels.pdf", {"w": numbers[1], "format": "bmp"})
    assert refused.status_code == 302


def test_every_waybill_number_scans_back_from_a_batch(tmp_path):
    # Left to pick subsets in its normal mode, the renderer drew some digit runs
    # (these numbers among them) that scanned as other text; automatic mode does not.
    from firstmile.shipping.numbers import format_number

    numbers = [format_number("JT", n) for n in (205, 215, 275, 285, *range(1, 120))]
    numbers += [format_number("WS", n) for n in range(1, 80)]
    labels = [LabelData(**{**LABEL.__dict__, "waybill_no": no}) for no in numbers]
    pages = _render(render_zpl(labels), tmp_path)
    assert [_codes(page).get("Code128") for page in pages] == numbers
