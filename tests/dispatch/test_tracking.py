"""A parcel's tracking status through the first mile, the same in the portals and the API, and the
search that finds it: each party only its own."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import User
from firstmile.carriers.models import Carrier
from firstmile.core.clock import beijing
from firstmile.demo.data import load_demo
from firstmile.dispatch.models import HandoverList, PickupTask, TaskParcel
from firstmile.dispatch.services import handover_confirm, scan_inbound, scan_pickup
from firstmile.dispatch.tracking import STATUSES, TAGS, replay_status, tracking_of
from firstmile.shipping.models import Waybill

from .. import factories

pytestmark = pytest.mark.django_db


def _actor(username):
    return Actor.for_user(User.objects.get(username=username))


def _client(username, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(User.objects.get(username=username))
    return client


def test_every_status_has_a_known_tag_and_a_translated_label():
    assert {tag for tag, _label in STATUSES.values()} <= set(TAGS)
    for status, (_tag, label) in STATUSES.items():
        assert str(label), status


ISSUED, B, C = "waybill.issued", "waybill.pickup_slot_booked", "waybill.pickup_slot_cancelled"
F = "waybill.pickup_failed"


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ([ISSUED], "label_created"),
        ([ISSUED, B], "pickup_scheduled"),
        ([ISSUED, B, C], "label_created"),
        ([ISSUED, F], "pickup_failed"),
        ([ISSUED, F, B], "pickup_failed"),  # after a failure the failure stays the news
        ([ISSUED, B, F, F], "exception"),
        ([ISSUED, F, F, F], "exception"),
        ([ISSUED, "waybill.collected"], "collected"),
        ([ISSUED, "waybill.collected", "waybill.handed_over"], "handed_over"),
        ([ISSUED, "waybill.handed_over"], "label_created"),  # only a collected parcel is signed for
        ([ISSUED, "waybill.collected", ("waybill.received", "collected")], "received"),
        ([ISSUED, ("waybill.received", "issued")], "drop_off_received"),
        ([ISSUED, F, "waybill.voided"], "voided"),
    ],
)
def test_the_status_follows_the_parcels_events(kinds, expected):
    moments = [dt.datetime(2023, 9, 18, 1, n, tzinfo=dt.UTC) for n in range(len(kinds))]
    events = [(k, "", at) if isinstance(k, str) else (*k, at) for k, at in zip(kinds, moments, strict=True)]
    status, since = replay_status(events)
    assert status == expected
    # "since" is the first event that led to the status it ends in
    changes = [replay_status(events[: n + 1])[0] for n in range(len(events))]
    first = next(n for n in range(len(changes)) if changes[n:] == [expected] * (len(changes) - n))
    assert since == moments[first]


def test_a_parcel_through_the_first_mile_in_portal_and_api():
    load_demo()
    task = PickupTask.objects.get(carrier__code="JT")
    waybill = Waybill.objects.filter(task_link__task=task, status="issued").first()
    merchant, carrier = _client("dg_merchant"), _client("jt_admin")
    token = factories.token(User.objects.get(username="dg_merchant").organisation)
    api = Client(headers={"authorization": f"Bearer {token}", "accept-language": "en"})

    assert tracking_of(waybill).status in ("label_created", "pickup_scheduled")
    scan_pickup(actor=_actor("jt_driver"), waybill_no=waybill.waybill_no, task_id=task.pk)
    waybill.refresh_from_db()
    assert tracking_of(waybill).status == "collected"
    handover = HandoverList.objects.get(task=task, status="open")
    handover_confirm(
        actor=_actor("jt_driver"),
        handover_id=handover.pk,
        signer_name="陈经理",
        signature=factories.signature_data_url(),
    )
    waybill.refresh_from_db()
    tracking = tracking_of(waybill)
    assert (tracking.status, tracking.tag, tracking.handover.pk) == ("handed_over", "InTransit", handover.pk)

    page = merchant.get(f"/merchant/parcels/{waybill.waybill_no}/").content.decode()
    assert 'data-status="handed_over"' in page and handover.number in page
    assert waybill.waybill_no in carrier.get(f"/carrier/parcels/{waybill.waybill_no.lower()}/").content.decode()

    scan_inbound(actor=_actor("jt_admin"), sorting_centre_code="JT-GZ-BY", waybill_no=waybill.waybill_no)
    answer = api.get(f"/api/v1/waybills/{waybill.waybill_no}/tracking")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["tag"], body["handover_list"]) == ("received", "InTransit", handover.number)
    kinds = [e["kind"] for e in body["events"]]
    assert {"waybill.issued", "waybill.collected", "waybill.received"} <= set(kinds)
    assert body["status_label"] == str(STATUSES["received"][1])

    # Another merchant, and a carrier the parcel never met, know nothing of it.
    assert _client("fs_merchant").get(f"/merchant/parcels/{waybill.waybill_no}/").status_code == 404
    assert _client("ws_admin").get(f"/carrier/parcels/{waybill.waybill_no}/").status_code == 404


def _page(response) -> str:
    """The page without its per-request CSRF tokens."""
    return re.sub(r'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"', "", response.content.decode())


def test_search_finds_only_your_own_numbers_and_answers_the_same_otherwise():
    load_demo()
    link = TaskParcel.objects.select_related("waybill", "task").first()
    number = link.waybill.waybill_no
    found = _client("dg_merchant").get("/merchant/search/", {"q": number.lower()})
    assert found.status_code == 302 and found.url == f"/merchant/parcels/{number}/"
    order = _client("dg_merchant").get("/merchant/search/", {"q": link.waybill.order.order_no})
    assert order.url == f"/merchant/orders/{link.waybill.order_id}/"
    stranger = _client("fs_merchant").get("/merchant/search/", {"q": number})
    unknown = _client("fs_merchant").get("/merchant/search/", {"q": "JT99999999999"})
    assert stranger.status_code == unknown.status_code == 200
    assert _page(stranger).replace(number, "JT99999999999") == _page(unknown)
    for hostile in ("", "x" * 5000, "' OR 1=1 --", "９９９", "<script>"):
        assert _client("dg_merchant").get("/merchant/search/", {"q": hostile}).status_code == 200
    # Control characters are refused before any view, as everywhere.
    assert _client("dg_merchant").get("/merchant/search/", {"q": "\x00\x07"}).status_code == 400
    assert _client("ops").get("/ops/search/", {"q": number}).url == f"/ops/parcels/{number}/"


def _track(client, number, last4):
    return client.post("/track/", {"waybill_no": number, "phone_last4": last4}, headers={"accept-language": "en"})


def test_public_page_shows_the_status_to_whoever_has_number_and_phone_digits(settings):
    settings.FIRSTMILE_PUBLIC_TRACK_LIMIT = 100
    load_demo()
    waybill = Waybill.objects.filter(status="issued").first()
    last4 = "".join(c for c in waybill.sender_phone if c.isdigit())[-4:]
    client = Client()
    assert client.get("/track/").status_code == 200
    right = _track(client, waybill.waybill_no.lower(), last4)
    page = right.content.decode()
    assert right.status_code == 200 and f'data-status="{tracking_of(waybill).status}"' in page
    assert "Label printed" in page
    # Nothing personal: not the sender, the contact, the address or the merchant.
    for private in (waybill.sender_name, waybill.sender_contact, waybill.sender_address, waybill.merchant.name):
        assert private not in page
    wrong = _track(client, waybill.waybill_no, "0000" if last4 != "0000" else "1111")
    unknown = _track(client, "JT99999999999", last4)
    assert wrong.status_code == unknown.status_code == 200
    assert _page(wrong).replace(waybill.waybill_no, "JT99999999999") == _page(unknown)
    for hostile in (
        {"waybill_no": "x" * 10_000, "phone_last4": "12"},
        {"waybill_no": "<b>", "phone_last4": "abcd"},
        {},
    ):
        assert client.post("/track/", hostile).status_code == 200


def test_public_page_is_throttled_per_address(settings):
    cache.clear()
    settings.FIRSTMILE_PUBLIC_TRACK_LIMIT = 3
    load_demo()
    waybill = Waybill.objects.filter(status="issued").first()
    last4 = "".join(c for c in waybill.sender_phone if c.isdigit())[-4:]
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [_track(client, "JT99999999999", "1234").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = _track(client, waybill.waybill_no, last4)
    assert refused.status_code == 429 and 'data-status="' not in refused.content.decode()
    assert _track(Client(REMOTE_ADDR="203.0.113.10"), waybill.waybill_no, last4).status_code == 200


def test_collect_by_follows_the_carriers_next_service_day_and_the_booked_window():
    carrier = Carrier(service_closes=dt.time(19), service_weekdays="12345")
    # A label printed on Friday is due by Monday's close; on Thursday, by Friday's.
    assert carrier.next_service_close(beijing(2026, 12, 4, 10)) == beijing(2026, 12, 7, 19)
    assert carrier.next_service_close(beijing(2026, 12, 3, 23, 59)) == beijing(2026, 12, 4, 19)

    load_demo()
    waybill = Waybill.objects.filter(status="issued", handover_method="PICKUP").first()
    jt = waybill.carrier
    assert waybill.collect_by == jt.next_service_close(waybill.issued_at)
    task = PickupTask.objects.get(carrier__code="JT")
    with time_machine.travel(waybill.collect_by + dt.timedelta(minutes=1), tick=False):
        client = _client("dg_merchant")
        attention = client.get("/merchant/attention/").content.decode()
        assert waybill.waybill_no in attention.split('id="late-collection"')[1].split("</section>")[0]
        clocks = client.get(f"/merchant/parcels/{waybill.waybill_no}/").content.decode()
        assert 'data-clock="collect_by" data-state="late"' in clocks
    scan_pickup(actor=_actor("jt_driver"), waybill_no=waybill.waybill_no, task_id=task.pk)
    waybill.refresh_from_db()
    assert waybill.inbound_by == waybill.collected_at + dt.timedelta(hours=jt.inbound_hours)
    clocks = {
        c["name"]: c
        for c in _client_api("dg_merchant").get(f"/api/v1/waybills/{waybill.waybill_no}/tracking").json()["clocks"]
    }
    assert clocks["collect_by"]["state"] == "met" and clocks["inbound_by"]["state"] == "running"
    assert clocks["ship_by"]["state"] == "met"


def _client_api(username):
    token = factories.token(User.objects.get(username=username).organisation)
    return Client(headers={"authorization": f"Bearer {token}"})


def test_search_is_throttled_per_person(settings):
    cache.clear()  # counters of earlier tests' searches (user ids repeat after a rollback)
    settings.FIRSTMILE_SEARCH_LIMIT = 2
    load_demo()
    merchant, staff = _client("dg_merchant"), _client("dg_staff")
    assert [merchant.get("/merchant/search/", {"q": "JT1"}).status_code for _ in range(2)] == [200, 200]
    refused = merchant.get("/merchant/search/", {"q": "JT00000000018"})
    assert refused.status_code == 429 and "/merchant/parcels/" not in refused.content.decode()
    assert staff.get("/merchant/search/", {"q": "JT1"}).status_code == 200
