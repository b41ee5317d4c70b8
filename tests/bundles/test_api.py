"""/api/v1/bundles as an ERP calls it, the bundle's label and manifest, and the scans that take a bundle number."""

import io

import pypdfium2
import pytest
import time_machine
import zxingcpp
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.bundles.models import Bundle

from .. import factories
from ..dispatch.test_services import MONDAY

pytestmark = pytest.mark.django_db


def _barcodes(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    return sorted(r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil()))


def _text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_an_erp_bundles_its_parcels_and_prints_the_bundles_label_and_manifest(api, merchant, hongmei, labels):
    erp = api(factories.token(merchant.organisation), language="en")
    numbers = [w.waybill_no for w in labels]
    with time_machine.travel(MONDAY, tick=False):
        created = erp.post(
            "/bundles", {"warehouse_id": hongmei.pk, "handover_method": "PICKUP", "waybill_nos": numbers[:2]}
        )
    assert created.status_code == 201, created.content
    body = created.json()
    bundle_id = body["bundle"]["id"]
    assert (body["bound"], body["failed"], body["bundle"]["parcel_count"]) == (2, 0, 2)
    assert body["bundle"]["carrier"] == "JT"

    bound = erp.post(f"/bundles/{bundle_id}/bind", {"waybill_nos": [numbers[2], "JT00000000000"]}).json()
    assert [r["ok"] for r in bound["results"]] == [True, False]
    assert bound["results"][1]["error"]["code"] == "waybill_unknown"
    assert "JT00000000000" in bound["results"][1]["error"]["message"]
    too_many = erp.post(f"/bundles/{bundle_id}/bind", {"waybill_nos": [f"JT{i:011d}" for i in range(51)]})
    assert too_many.status_code in (400, 422)
    no_label = erp.get(f"/bundles/{bundle_id}/label.pdf")  # open: no label yet
    assert no_label.status_code == 409 and no_label.json()["code"] == "bundle_wrong_state"

    unbound = erp.post(f"/bundles/{bundle_id}/unbind", {"waybill_nos": [numbers[2]]}).json()
    assert (unbound["bundle"]["parcel_count"], unbound["failed"]) == (2, 0)
    bad = erp.post(f"/bundles/{bundle_id}/close", {"weight_kg": "-3"})
    assert (bad.status_code, bad.json()["field"]) == (400, "weight_kg")
    closed = erp.post(
        f"/bundles/{bundle_id}/close", {"weight_kg": "4.2", "length_cm": 40, "width_cm": 30, "height_cm": 20}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = erp.post(f"/bundles/{bundle_id}/bind", {"waybill_nos": [numbers[3]]})
    assert (again.status_code, again.json()["code"]) == (409, "bundle_not_open")

    number = closed.json()["number"]
    label = erp.get(f"/bundles/{bundle_id}/label.pdf")
    assert label["Content-Type"] == "application/pdf"
    assert number in _barcodes(label.content)
    zpl = erp.get(f"/bundles/{bundle_id}/label.zpl").content.decode()
    assert zpl.startswith("^XA") and "^BC" in zpl and number in zpl and "PICK UP" in zpl
    manifest = _text(erp.get(f"/bundles/{bundle_id}/manifest.pdf").content)
    assert all(n in manifest for n in numbers[:2]) and numbers[2] not in manifest

    listed = erp.get("/bundles", status="closed").json()
    assert [b["number"] for b in listed["results"]] == [number]
    assert erp.get("/bundles", q=number.lower()).json()["results"][0]["id"] == bundle_id
    parcels = erp.get(f"/bundles/{bundle_id}/parcels").json()["results"]
    assert [p["waybill_no"] for p in parcels] == sorted(numbers[:2])


def test_the_driver_scans_the_bundle_number_and_the_sorting_centre_checks_it(api, merchant, hongmei, labels, stop, jt):
    erp = api(factories.token(merchant.organisation))
    numbers = [w.waybill_no for w in labels[:3]]
    with time_machine.travel(MONDAY, tick=False):
        bundle_id = erp.post(
            "/bundles", {"warehouse_id": hongmei.pk, "handover_method": "PICKUP", "waybill_nos": numbers}
        ).json()["bundle"]["id"]
        erp.post(f"/bundles/{bundle_id}/close", {"weight_kg": "3"})
        number = Bundle.objects.get(pk=bundle_id).number
        driver = Client()
        driver.force_login(stop["driver"].user)
        scanned = driver.post(
            "/api/v1/scans/pickup",
            {"waybill_no": number, "task_id": stop["task"].pk},
            content_type="application/json",
        )
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["waybill"] is None
    assert (scanned.json()["bundle"]["parcels"], scanned.json()["bundle"]["status"]) == (3, "collected")
    tracking = erp.get(f"/waybills/{numbers[0]}/tracking").json()
    assert tracking["status"] == "collected"
    assert "waybill.bundled" in [e["kind"] for e in tracking["events"]]

    system = api(factories.token(jt.organisation))
    centre = jt.sorting_centres.get().code
    with time_machine.travel(MONDAY, tick=False):
        received = system.post("/scans/inbound", {"sorting_centre": centre, "waybill_no": number})
        assert received.status_code == 200, received.content
        assert received.json()["bundle"]["parcels"] == 3
        for n in numbers[:2]:
            assert system.post(f"/bundles/{bundle_id}/check/scans", {"waybill_no": n}).status_code == 200
        stranger = system.post(f"/bundles/{bundle_id}/check/scans", {"waybill_no": labels[4].waybill_no})
        assert stranger.status_code == 404
        finished = system.post(f"/bundles/{bundle_id}/check/finish", {})
    assert finished.status_code == 200 and finished.json()["missing_count"] == 1
    missing = erp.get(f"/waybills/{numbers[2]}/tracking").json()
    assert (missing["status"], missing["tag"]) == ("exception", "Exception")
    # The merchant cannot check the bundle: that is the sorting centre's act.
    assert erp.post(f"/bundles/{bundle_id}/check/finish", {}).status_code == 403


def test_a_carrier_sees_the_bundles_it_carries_and_another_carrier_none(api, merchant, hongmei, labels, jt):
    erp = api(factories.token(merchant.organisation))
    bundle_id = erp.post(
        "/bundles", {"warehouse_id": hongmei.pk, "handover_method": "PICKUP", "waybill_nos": [labels[0].waybill_no]}
    ).json()["bundle"]["id"]
    assert api(factories.token(jt.organisation)).get(f"/bundles/{bundle_id}").status_code == 200
    other = factories.carrier("ZT", with_centre_in=None)
    assert api(factories.token(other.organisation)).get(f"/bundles/{bundle_id}").status_code == 404
    assert api(factories.token(other.organisation)).get("/bundles").json()["results"] == []
    # A carrier makes no bundles.
    refused = api(factories.token(jt.organisation)).post(
        "/bundles", {"warehouse_id": hongmei.pk, "handover_method": "PICKUP"}
    )
    assert refused.status_code == 403


def test_bad_input_names_the_field(api, merchant, hongmei):
    erp = api(factories.token(merchant.organisation))
    bad = erp.post("/bundles", {"warehouse_id": hongmei.pk, "handover_method": "BOAT"})
    assert bad.status_code in (400, 422)
    unknown = erp.post("/bundles", {"warehouse_id": 987654321, "handover_method": "PICKUP"})
    assert (unknown.status_code, unknown.json()["field"]) == (404, "warehouse_id")
    huge = erp.post("/bundles", {"warehouse_id": 10**30, "handover_method": "PICKUP"})
    assert huge.status_code in (400, 422)
    express = erp.post(
        "/bundles",
        {
            "warehouse_id": hongmei.pk,
            "handover_method": "PICKUP",
            "express_company": "顺丰",
            "express_tracking_no": "SF1234567",
            "sender_phone_tail": "1234",
        },
    )
    assert (express.status_code, express.json()["field"]) == (400, "express_company")
    assert Bundle.objects.count() == 0
    _ = (OrganisationKind, Role)
