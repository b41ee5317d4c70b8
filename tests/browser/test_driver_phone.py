"""The driver's page on a phone: 390 px wide, scanning a label with the camera, position with the proof."""

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from firstmile.demo.data import DEMO_PASSWORD
from firstmile.dispatch.models import StopProof
from firstmile.shipping.models import Waybill

pytestmark = pytest.mark.browser


def _camera_feed(text: str, path) -> None:
    """A Y4M video of one frame, a label's Code 128 filling the view: Chromium's fake camera plays it."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
    bars = Image.fromarray(symbol.to_image(scale=4, add_quiet_zones=True)).convert("L")
    frame = Image.new("L", (640, 480), 255)
    bars = bars.resize((560, 200), Image.NEAREST)
    frame.paste(bars, (40, 140))
    width, height = frame.size
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        video.write(b"FRAME\n" + frame.tobytes() + bytes([128]) * (width * height // 2))


def test_a_driver_on_a_phone_scans_with_the_camera_types_as_fallback_and_saves_the_position(
    demo, playwright, browser_type_launch_args, tmp_path
):
    first, second = Waybill.objects.filter(handover_method="PICKUP").order_by("pk").values_list("waybill_no", flat=True)
    feed = tmp_path / "label.y4m"
    _camera_feed(first, feed)
    browser = playwright.chromium.launch(
        **{
            **browser_type_launch_args,
            "args": [
                *browser_type_launch_args["args"],
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={feed}",
            ],
        }
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["camera", "geolocation"],
        geolocation={"latitude": 22.991234, "longitude": 113.052345, "accuracy": 15},
    )
    page = context.new_page()
    try:
        page.goto(f"{demo.url}/login/")
        page.fill("input[name=username]", "jt_driver")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{demo.url}/driver/")
        stop = page.locator(".stop", has_text="东莞洪梅一号仓")
        expect(stop).to_contain_text(first)
        # Laid out for the phone: nothing wider than the screen, controls a thumb can hit.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        collect = page.get_by_role("button", name="揽收", exact=True)
        assert collect.bounding_box()["height"] >= 36
        page.screenshot(path="test-results/driver-phone.png", full_page=True)

        # The camera reads the label's barcode (ZXing WebAssembly served by Firstmile:
        # Chromium on Linux has no BarcodeDetector of its own) and the parcel is collected.
        assert page.evaluate("'BarcodeDetector' in window") is False
        page.get_by_role("button", name="用相机扫描").click()
        expect(page.locator(".messages")).to_contain_text(f"已揽收 {first}", timeout=20_000)

        # Typing is the fallback.
        page.fill("input[name=waybill_no]", second.lower())
        page.get_by_role("button", name="揽收", exact=True).click()
        expect(page.locator(".messages")).to_contain_text(f"已揽收 {second}")

        # Proof of pickup with the position the phone gives.
        page.locator(".stop", has_text="东莞洪梅一号仓").get_by_role("button", name="保存凭证（照片和位置）").click()
        expect(page.locator(".messages")).to_contain_text("揽收凭证已保存")
        proof = StopProof.objects.get()
        assert (float(proof.latitude), float(proof.longitude), proof.accuracy_m) == (22.991234, 113.052345, 15)
    finally:
        context.close()
        browser.close()
