"""Handover lists (交接单): the parcels scanned at a stop or brought to a counter, signed for, then final."""

import base64
import io

import pypdfium2
import pytest
import time_machine
import zxingcpp
from django.test import Client

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.dispatch.handover_pdf import render_handover_pdf
from firstmile.dispatch.models import HandoverLine, HandoverList, PickupTask
from firstmile.dispatch.selectors import handover_sheet
from firstmile.dispatch.services import day_plan, handover_confirm, scan_inbound, scan_pickup
from firstmile.dispatch.webhook_objects import describe_handovers
from firstmile.events.models import Event
from firstmile.shipping.models import HandoverMethod

from .. import factories
from ..refusals import refused
from ..snapshots import database_snapshot
from .test_services import MONDAY, _as_driver, _ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop(merchant, hongmei, dispatcher, crew, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(MONDAY, tick=False):
        waybills = _ship(merchant, 3)
        day_plan(actor=dispatcher)
    task = PickupTask.objects.get()
    return {"task": task, "driver": _as_driver(task.shift.driver), "waybills": waybills}


def _numbers(waybills):
    return sorted(w.waybill_no for w in waybills)


def _decode_pdf(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    return sorted(r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil()))


def test_scans_at_a_stop_form_one_list_and_the_unscanned_parcel_is_missing_for_both_sides(stop, merchant, api):
    first, second, third = stop["waybills"]
    with time_machine.travel(MONDAY, tick=False):
        scan_pickup(actor=stop["driver"], waybill_no=first.waybill_no, task_id=stop["task"].pk)
        scan_pickup(actor=stop["driver"], waybill_no=second.waybill_no)  # the scan bar finds the stop itself
    handover = HandoverList.objects.get()
    assert handover.number == f"HO{handover.pk:010d}"
    assert (handover.kind, handover.status, handover.parcel_count, handover.task) == ("pickup", "open", 2, stop["task"])
    sheet = handover_sheet(handover)
    assert (sheet.handed, sheet.missing) == (_numbers([first, second]), [third.waybill_no])

    # The merchant sees the same difference at once, before anyone signs.
    erp = api(factories.token(merchant.organisation))
    [listed] = erp.get("/handover-lists").json()["results"]
    assert (listed["number"], listed["status"], listed["parcel_count"]) == (handover.number, "open", 2)
    detail = erp.get(f"/handover-lists/{handover.pk}").json()
    assert (detail["handed"], detail["missing"], detail["missing_count"]) == (
        _numbers([first, second]),
        [third.waybill_no],
        1,
    )

    with time_machine.travel(MONDAY, tick=False):
        confirmed = handover_confirm(
            actor=stop["driver"],
            handover_id=handover.pk,
            signer_name=" 陈小姐 ",
            signature=factories.signature_data_url(),
            weight_kg="3.456",
        )
    assert (confirmed.status, confirmed.missing_count, confirmed.signer_name) == ("confirmed", 1, "陈小姐")
    assert str(confirmed.weight_kg) == "3.46"
    assert confirmed.signature.name.startswith("handover-signatures/") and confirmed.signature.name.endswith(".png")
    assert list(HandoverLine.objects.filter(handover=handover, missing=True).values_list("waybill", flat=True)) == [
        third.pk
    ]
    event = Event.objects.get(kind="handover.confirmed")
    assert event.owner == merchant.organisation and event.counterparty == stop["task"].carrier.organisation
    assert event.payload["missing"] == [third.waybill_no] and event.payload["parcels"] == 2
    described = describe_handovers([str(handover.pk)])[str(handover.pk)]
    assert described["waybill_nos"] == _numbers([first, second])
    assert described["missing_waybill_nos"] == [third.waybill_no]
    assert described["signed_by"] == "陈小姐"


def test_a_confirmed_list_never_changes_and_a_later_scan_goes_on_a_list_amending_it(stop):
    first, second, third = stop["waybills"]
    with time_machine.travel(MONDAY, tick=False):
        scan_pickup(actor=stop["driver"], waybill_no=first.waybill_no, task_id=stop["task"].pk)
        handover = HandoverList.objects.get()
        handover_confirm(
            actor=stop["driver"], handover_id=handover.pk, signer_name="陈", signature=factories.signature_data_url()
        )
        before = database_snapshot()
        with refused(Conflict, "handover_confirmed") as twice:
            handover_confirm(
                actor=stop["driver"],
                handover_id=handover.pk,
                signer_name="陈",
                signature=factories.signature_data_url(),
            )
        assert twice.value.code == "handover_confirmed"
        assert database_snapshot() == before
        # The merchant found a missing parcel: it goes on a new list that points to the first.
        scan_pickup(actor=stop["driver"], waybill_no=third.waybill_no, task_id=stop["task"].pk)
    handover.refresh_from_db()
    assert (handover.status, handover.parcel_count, handover.missing_count) == ("confirmed", 1, 2)
    amendment = HandoverList.objects.exclude(pk=handover.pk).get()
    assert (amendment.status, amendment.amends, amendment.parcel_count) == ("open", handover, 1)
    assert handover_sheet(amendment).missing == [second.waybill_no]
    assert sorted(handover_sheet(handover).missing) == _numbers([second, third])  # as signed


def test_bad_confirmations_name_the_field_and_change_nothing(stop):
    with time_machine.travel(MONDAY, tick=False):
        scan_pickup(actor=stop["driver"], waybill_no=stop["waybills"][0].waybill_no)
    handover = HandoverList.objects.get()
    good = factories.signature_data_url()
    jpeg = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (300, 100), "black").save(jpeg, format="JPEG")
    cases = [
        ({"signer_name": "  "}, "signer_name"),
        ({"signer_name": "名" * 51}, "signer_name"),
        ({"signature": ""}, "signature"),
        ({"signature": factories.signature_data_url(blank=True)}, "signature"),  # nobody signed
        ({"signature": "data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode()}, "signature"),
        ({"signature": "data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode()}, "signature"),
        ({"signature": "data:image/png;base64,!!!not-base64"}, "signature"),
        ({"signature": "data:image/png;base64," + "A" * 800_000}, "signature"),
        ({"signature": factories.signature_data_url(size=(5000, 100))}, "signature"),
        ({"weight_kg": "-1"}, "weight_kg"),
        ({"weight_kg": "NaN"}, "weight_kg"),
        ({"weight_kg": "1e400"}, "weight_kg"),
        ({"weight_kg": "两公斤"}, "weight_kg"),
    ]
    before = database_snapshot()
    for change, field in cases:
        fields = {"signer_name": "陈小姐", "signature": good, **change}
        with pytest.raises(ApplicationError) as refusal:
            handover_confirm(actor=stop["driver"], handover_id=handover.pk, **fields)
        assert refusal.value.field == field, change
    assert database_snapshot() == before


def test_a_parcel_of_another_warehouse_is_refused_at_a_stop(stop, merchant, changan):
    with time_machine.travel(MONDAY, tick=False):
        [elsewhere] = _ship(merchant, 1, warehouse_code=changan.code, prefix="CA")
        before = database_snapshot()
        with pytest.raises(Conflict) as refusal:
            scan_pickup(actor=stop["driver"], waybill_no=elsewhere.waybill_no, task_id=stop["task"].pk)
    assert (refusal.value.code, refusal.value.field) == ("waybill_other_warehouse", "waybill_no")
    assert database_snapshot() == before


def test_only_the_parties_see_or_confirm_a_list(stop, merchant, crew, dispatcher, api):
    with time_machine.travel(MONDAY, tick=False):
        scan_pickup(actor=stop["driver"], waybill_no=stop["waybills"][0].waybill_no)
    handover = HandoverList.objects.get()
    signature = factories.signature_data_url()
    ws = factories.carrier("WS")
    other_carrier = factories.actor(ws.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    other_driver = crew["wang"] if stop["task"].shift.driver == crew["li"] else crew["li"]
    before = database_snapshot()
    for actor, error in [
        (other_carrier, NotFound),
        (_as_driver(other_driver), NotFound),
        (Actor.for_user(merchant.user), Forbidden),
    ]:
        with pytest.raises(error):
            handover_confirm(actor=actor, handover_id=handover.pk, signer_name="陈", signature=signature)
    assert database_snapshot() == before

    other_merchant = factories.organisation(kind=OrganisationKind.MERCHANT)
    assert api(factories.token(other_merchant)).get(f"/handover-lists/{handover.pk}").status_code == 404
    assert api(factories.token(ws.organisation)).get(f"/handover-lists/{handover.pk}/pdf").status_code == 404
    assert api(factories.token(other_merchant)).get("/handover-lists").json()["results"] == []
    # The carrier's own dispatcher may confirm (a signature collected on its own device).
    confirmed = handover_confirm(actor=dispatcher, handover_id=handover.pk, signer_name="陈", signature=signature)
    assert confirmed.status == "confirmed"


def test_both_sides_download_the_signed_pdf_and_its_barcode_decodes(stop, merchant, jt, api):
    first, second, third = stop["waybills"]
    with time_machine.travel(MONDAY, tick=False):
        for waybill in (first, second):
            scan_pickup(actor=stop["driver"], waybill_no=waybill.waybill_no)
        handover = HandoverList.objects.get()
        handover_confirm(
            actor=stop["driver"],
            handover_id=handover.pk,
            signer_name="陈小姐",
            signature=factories.signature_data_url(),
        )
    for token in (factories.token(merchant.organisation), factories.token(jt.organisation)):
        response = api(token).get(f"/handover-lists/{handover.pk}/pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert handover.number in _decode_pdf(response.content)
        text = pypdfium2.PdfDocument(io.BytesIO(response.content))[0].get_textpage().get_text_range()
        for number in (first.waybill_no, second.waybill_no, third.waybill_no, "陈小姐"):
            assert number in text
    # A list of 300 parcels runs onto more pages, each with the list's number.
    sheet = handover_sheet(handover)
    sheet.handed = [f"JT{n:011d}" for n in range(300)]
    pages = pypdfium2.PdfDocument(io.BytesIO(render_handover_pdf(sheet)))
    assert len(pages) >= 3
    assert handover.number in pages[len(pages) - 1].get_textpage().get_text_range()


def test_drop_off_parcels_form_the_merchants_counter_list_signed_at_the_sorting_centre(
    merchant, changan, jt, jt_staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(MONDAY, tick=False):
        brought = _ship(merchant, 2, warehouse_code=changan.code, prefix="DO")
        assert {w.handover_method for w in brought} == {HandoverMethod.DROP_OFF}
        for waybill in brought:
            scan_inbound(actor=jt_staff, sorting_centre_code="JT-HUB", waybill_no=waybill.waybill_no)
        counter = HandoverList.objects.get()
        assert (counter.kind, counter.sorting_centre.code, counter.merchant, counter.parcel_count) == (
            "drop_off",
            "JT-HUB",
            merchant.organisation,
            2,
        )
        assert handover_sheet(counter).missing == []
        handover_confirm(
            actor=jt_staff, handover_id=counter.pk, signer_name="商家送货员", signature=factories.signature_data_url()
        )
    counter.refresh_from_db()
    assert (counter.status, counter.missing_count) == ("confirmed", 0)


def test_the_batch_scan_reports_each_parcel_on_its_own(stop, merchant, changan):
    first, second, _third = stop["waybills"]
    with time_machine.travel(MONDAY, tick=False):
        [elsewhere] = _ship(merchant, 1, warehouse_code=changan.code, prefix="CA")
        client = Client()
        client.force_login(stop["task"].shift.driver.user)
        response = client.post(
            f"/api/v1/dispatch/tasks/{stop['task'].pk}/scans",
            {
                "waybill_nos": [
                    first.waybill_no,
                    "JT99999999999",
                    elsewhere.waybill_no,
                    second.waybill_no,
                    first.waybill_no,
                ]
            },
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["collected"], body["failed"]) == (2, 3)
    assert [(r["ok"], (r["error"] or {}).get("code")) for r in body["results"]] == [
        (True, None),
        (False, "waybill_unknown"),
        (False, "waybill_other_warehouse"),
        (True, None),
        (False, "waybill_already_scanned"),
    ]
    assert body["handover_number"] == HandoverList.objects.get().number
    assert HandoverList.objects.get().parcel_count == 2
    # A stop that is not the driver's: the whole call is refused.
    other = Client()
    other.force_login(factories.user(factories.organisation(kind=OrganisationKind.CARRIER), role=Role.DRIVER))
    refused = other.post(
        f"/api/v1/dispatch/tasks/{stop['task'].pk}/scans",
        {"waybill_nos": [second.waybill_no]},
        content_type="application/json",
    )
    assert refused.status_code in (403, 404)


def test_the_driver_collects_at_the_stop_page_and_the_contact_signs_there(stop, merchant, jt, settings):
    first, second, third = stop["waybills"]
    task = stop["task"]
    driver = Client()
    driver.force_login(task.shift.driver.user)
    with time_machine.travel(MONDAY, tick=False):
        home = driver.get("/driver/").content.decode()
        assert f"/driver/stops/{task.pk}/handover/" in home
        page = driver.get(f"/driver/stops/{task.pk}/handover/").content.decode()
        assert all(w.waybill_no in page for w in stop["waybills"])  # what to collect here
        for waybill in (first, second):
            response = driver.post(f"/driver/stops/{task.pk}/handover/scan/", {"waybill_no": waybill.waybill_no})
            assert response.status_code == 302
        page = driver.get(f"/driver/stops/{task.pk}/handover/").content.decode()
        handover = HandoverList.objects.get()
        assert handover.number in page and "signature-pad" in page
        assert third.waybill_no in page.split('id="open-list"')[1]  # listed as missing

        # No signature drawn: refused with the field's message, nothing confirmed.
        refused = driver.post(
            f"/driver/handovers/{handover.pk}/confirm/", {"signer_name": "陈小姐", "signature": ""}, follow=True
        )
        assert "签名" in refused.content.decode() or "signature" in refused.content.decode()
        handover.refresh_from_db()
        assert handover.status == "open"
        signed = driver.post(
            f"/driver/handovers/{handover.pk}/confirm/",
            {"signer_name": "陈小姐", "signature": factories.signature_data_url(), "weight_kg": "2.5"},
            follow=True,
        )
    handover.refresh_from_db()
    assert (handover.status, handover.missing_count) == ("confirmed", 1)
    assert f"/driver/handovers/{handover.pk}/pdf/" in signed.content.decode()
    assert driver.get(f"/driver/handovers/{handover.pk}/pdf/")["Content-Type"] == "application/pdf"

    for portal, org in (("merchant", merchant.organisation), ("carrier", jt.organisation)):
        party = Client()
        party.force_login(factories.user(org, role=Role.STAFF))
        listing = party.get(f"/{portal}/handovers/").content.decode()
        assert handover.number in listing
        detail = party.get(f"/{portal}/handovers/{handover.pk}/").content.decode()
        assert third.waybill_no in detail.split('id="missing"')[1] and "陈小姐" in detail
        pdf = party.get(f"/{portal}/handovers/{handover.pk}/pdf/")
        assert handover.number in _decode_pdf(pdf.content)
    ops = Client()
    ops.force_login(factories.user(factories.organisation(kind=OrganisationKind.PLATFORM), role=Role.STAFF))
    assert handover.number in ops.get("/ops/handovers/?status=confirmed").content.decode()
    assert handover.number not in ops.get("/ops/handovers/?status=open").content.decode()


def test_the_counter_signs_a_drop_off_list_in_the_carrier_portal(merchant, changan, jt, jt_staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(MONDAY, tick=False):
        [brought] = _ship(merchant, 1, warehouse_code=changan.code, prefix="DO")
        scan_inbound(actor=jt_staff, sorting_centre_code="JT-HUB", waybill_no=brought.waybill_no)
    counter = HandoverList.objects.get()
    clerk = Client()
    clerk.force_login(jt_staff.user)
    page = clerk.get(f"/carrier/handovers/{counter.pk}/").content.decode()
    assert "signature-pad" in page and brought.waybill_no in page
    clerk.post(
        f"/carrier/handovers/{counter.pk}/confirm/",
        {"signer_name": "送货员", "signature": factories.signature_data_url()},
    )
    counter.refresh_from_db()
    assert (counter.status, counter.signer_name) == ("confirmed", "送货员")
    assert "signature-pad" not in clerk.get(f"/carrier/handovers/{counter.pk}/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_at_a_stop_open_one_list(divisions, settings, tmp_path):
    """The open-list constraint: the scan that loses the race joins the list the other opened."""
    import threading

    from django.db import connection

    from firstmile.carriers.services import coverage_assign
    from firstmile.core.clock import beijing
    from firstmile.dispatch.services import driver_create, roster_set, route_create
    from firstmile.pickup.models import PickupSubscription
    from firstmile.pickup.services import subscription_approve, warehouse_create

    from ..shipping.conftest import HONGMEI

    settings.MEDIA_ROOT = tmp_path
    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    admin = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    merchant = factories.actor(kind=OrganisationKind.MERCHANT)
    warehouse_create(actor=merchant, **HONGMEI)
    subscription_approve(actor=admin, subscription_ids=[PickupSubscription.objects.get().pk])
    route = route_create(actor=admin, name="东莞", division_codes=["441900"])
    driver = driver_create(actor=admin, name="李师傅", phone="13900000001", username="li", password="drive-safe-1")
    roster_set(actor=admin, driver_id=driver.pk, route_id=route.pk, day_type="weekday", capacity=20)
    with time_machine.travel(MONDAY, tick=False):
        waybills = _ship(merchant, 2)
        day_plan(actor=admin)
        task = PickupTask.objects.get()
        start = threading.Barrier(2)
        errors = []

        def scan(number):
            try:
                start.wait()
                scan_pickup(actor=_as_driver(driver), waybill_no=number, task_id=task.pk)
            except Exception as err:
                errors.append(err)
            finally:
                connection.close()

        threads = [threading.Thread(target=scan, args=(w.waybill_no,)) for w in waybills]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    handover = HandoverList.objects.get()
    assert (handover.parcel_count, handover.lines.count()) == (2, 2)
