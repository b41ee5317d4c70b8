"""The bundle pages: the merchant packs a bundle from the portal, the driver's scan bar takes its number,
the carrier checks it, and every party's search and parcel page find it."""

import pytest
import time_machine
from django.test import Client

from firstmile.bundles.models import Bundle
from firstmile.dispatch.services import scan_inbound_bundle

from .. import factories
from ..dispatch.test_services import MONDAY

pytestmark = pytest.mark.django_db


def _client(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def test_a_merchant_packs_closes_prints_and_the_driver_scans_the_bundle(merchant, hongmei, labels, stop, jt):
    shop = _client(merchant.user)
    with time_machine.travel(MONDAY, tick=False):
        opened = shop.post("/merchant/bundles/", {"warehouse_id": hongmei.pk, "handover_method": "PICKUP"})
        bundle = Bundle.objects.get()
        assert opened.url == f"/merchant/bundles/{bundle.pk}/"
        for waybill in labels[:3]:
            shop.post(f"/merchant/bundles/{bundle.pk}/bind/", {"waybill_no": waybill.waybill_no.lower()})
        page = shop.get(f"/merchant/bundles/{bundle.pk}/").content.decode()
        assert '<strong id="bundle-count">3</strong>' in page and labels[2].waybill_no in page
        refused = shop.post(f"/merchant/bundles/{bundle.pk}/bind/", {"waybill_no": "JT00000000000"}, follow=True)
        assert "Unknown waybill number: JT00000000000." in refused.content.decode()
        shop.post(f"/merchant/bundles/{bundle.pk}/unbind/", {"waybill_no": labels[2].waybill_no})
        bad = shop.post(f"/merchant/bundles/{bundle.pk}/close/", {"weight_kg": "-1"}, follow=True)
        assert "Weigh the bundle" in bad.content.decode()
        shop.post(f"/merchant/bundles/{bundle.pk}/close/", {"weight_kg": "2.5", "length_cm": "30"})
        bundle.refresh_from_db()
        assert (bundle.status, bundle.parcel_count, str(bundle.weight_kg)) == ("closed", 2, "2.50")
        label = shop.get(f"/merchant/bundles/{bundle.pk}/label.pdf")
        assert label["Content-Type"] == "application/pdf" and label.content.startswith(b"%PDF")
        assert bundle.number.encode() in shop.get(f"/merchant/bundles/{bundle.pk}/label.zpl").content
        assert shop.get(f"/merchant/bundles/{bundle.pk}/manifest.pdf").content.startswith(b"%PDF")

        driver = _client(stop["driver"].user)
        scanned = driver.post("/driver/scan/", {"waybill_no": bundle.number}, follow=True)
        assert f"Collected bundle {bundle.number}: 2 parcels." in scanned.content.decode()

    parcel = shop.get(f"/merchant/parcels/{labels[0].waybill_no}/").content.decode()
    assert bundle.number in parcel and 'data-status="collected"' in parcel
    assert "in bundle" in parcel  # the timeline's sentence of a parcel collected with its bundle
    listed = shop.get("/merchant/bundles/?status=collected").content.decode()
    assert bundle.number in listed
    found = shop.get(f"/merchant/search/?q={bundle.number}")
    assert found.status_code == 302 and found.url == f"/merchant/bundles/{bundle.pk}/"

    # Chinese by default.
    assert "集包" in _client(merchant.user, "zh-hans").get(f"/merchant/bundles/{bundle.pk}/").content.decode()


def test_the_carrier_checks_an_opened_bundle_and_the_merchant_sees_what_is_missing(merchant, hongmei, labels, stop, jt):
    from firstmile.bundles.services import bundle_close, bundle_create
    from firstmile.dispatch.services import scan_pickup_bundle

    with time_machine.travel(MONDAY, tick=False):
        bundle, _ = bundle_create(
            actor=merchant,
            warehouse_id=hongmei.pk,
            handover_method="PICKUP",
            waybill_nos=[w.waybill_no for w in labels[:3]],
        )
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="1")
        scan_pickup_bundle(actor=stop["driver"], bundle_no=bundle.number)
        staff = factories.actor(jt.organisation, kind="carrier", role="staff")
        scan_inbound_bundle(actor=staff, sorting_centre_code=jt.sorting_centres.get().code, bundle_no=bundle.number)
    carrier = _client(staff.user)
    page = carrier.get(f"/carrier/bundles/{bundle.pk}/").content.decode()
    assert "Check the opened bundle against its manifest" in page
    carrier.post(f"/carrier/bundles/{bundle.pk}/check/scan/", {"waybill_no": labels[0].waybill_no})
    carrier.post(f"/carrier/bundles/{bundle.pk}/check/scan/", {"waybill_no": labels[1].waybill_no})
    done = carrier.post(f"/carrier/bundles/{bundle.pk}/check/finish/", follow=True).content.decode()
    assert "1 parcels missing" in done
    merchant_page = _client(merchant.user).get(f"/merchant/bundles/{bundle.pk}/").content.decode()
    assert "1 missing" in merchant_page
    parcel = _client(merchant.user).get(f"/merchant/parcels/{labels[2].waybill_no}/").content.decode()
    assert 'data-status="exception"' in parcel and "did not find the parcel" in parcel
    # Operations see every bundle.
    ops = factories.user(factories.organisation("platform", code="ops-x"), "staff", "ops-person")
    assert bundle.number in _client(ops).get("/ops/bundles/").content.decode()


def test_bundle_pages_of_another_merchant_are_not_found(merchant, hongmei, labels):
    from firstmile.bundles.services import bundle_create

    bundle, _ = bundle_create(actor=merchant, warehouse_id=hongmei.pk, handover_method="PICKUP")
    other = factories.user(factories.organisation("merchant", code="other-shop"), "admin", "other-boss")
    client = _client(other)
    for path in ("", "label.pdf", "manifest.pdf"):
        assert client.get(f"/merchant/bundles/{bundle.pk}/{path}").status_code == 404
    for action in ("bind", "unbind", "close", "cancel"):
        assert (
            client.post(f"/merchant/bundles/{bundle.pk}/{action}/", {"waybill_no": "X", "weight_kg": "1"}).status_code
            == 404
        )
    assert Bundle.objects.get().status == "open"


def test_the_sorting_centre_page_lists_bundles_on_the_way_and_receives_one_by_its_express_number(merchant, changan, jt):
    from firstmile.bundles.services import bundle_close, bundle_create

    from ..dispatch.test_services import _ship

    with time_machine.travel(MONDAY, tick=False):
        parcels = _ship(merchant, 2, warehouse_code=changan.code, prefix="DO")
        bundle, _ = bundle_create(
            actor=merchant,
            warehouse_id=changan.pk,
            handover_method="DROP_OFF",
            waybill_nos=[p.waybill_no for p in parcels],
            express_company="顺丰速运",
            express_tracking_no="SF1234567890123",
            sender_phone_tail="5678",
        )
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="1")
    staff = factories.actor(jt.organisation, kind="carrier", role="staff")
    client = _client(staff.user)
    centre = jt.sorting_centres.get()
    page = client.get(f"/carrier/sorting-centres/{centre.pk}/").content.decode()
    assert bundle.number in page and "SF1234567890123" in page
    answer = client.post(
        "/carrier/inbound/",
        {"sorting_centre": centre.code, "waybill_no": "sf1234567890123"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f"Bundle {bundle.number}: 2 parcels received" in answer
    assert "Received, to check" in client.get(f"/carrier/sorting-centres/{centre.pk}/").content.decode()
