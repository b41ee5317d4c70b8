"""Home pages of to-do counts that open the filtered list, and a detail page behind every row."""

import itertools
import re

import pytest

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role, User
from firstmile.carriers.models import SortingCentre
from firstmile.demo.data import load_demo
from firstmile.dispatch.models import PickupTask
from firstmile.events import catalogue
from firstmile.geo.selectors import address_text, region_names
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus, Warehouse
from firstmile.pickup.services import subscription_reject
from firstmile.reverse.models import ReverseOrder, ReverseStatus
from firstmile.shipping.models import Order, Waybill
from firstmile.switchover.models import Switchover

from .. import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_demo()


def _login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def _tile(html: str, label: str) -> tuple[int, str]:
    """The count and link of the home page's tile with ``label``."""
    match = re.search(
        r'<a class="stat[^"]*" href="([^"]+)" data-todo>\s*<span class="n">(\d+)</span><span>' + re.escape(label),
        html,
    )
    assert match, f"no tile {label!r}"
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def test_merchant_home_counts_open_the_rows_they_count(client, demo):
    _login(client, "dg_merchant")
    home = client.get("/merchant/", headers={"accept-language": "en"}).content.decode()
    merchant = User.objects.get(username="dg_merchant").organisation

    waiting = ReverseOrder.objects.filter(merchant=merchant, status=ReverseStatus.AWAITING_MERCHANT)
    count, link = _tile(home, "Reverse orders awaiting you")
    assert count == waiting.count() > 0
    listed = client.get(link).content.decode()
    for order in waiting:
        assert order.reverse_no in listed
    for other in ReverseOrder.objects.filter(merchant=merchant).exclude(status=ReverseStatus.AWAITING_MERCHANT):
        assert other.reverse_no not in listed

    count, link = _tile(home, "Pickup requests pending review")
    assert count == 1  # DG-CA-02: the demo's Chang'an warehouse waits for J&T
    listed = client.get(link).content.decode()
    assert "DG-CA-02" in listed and "DG-HM-01" not in listed

    count, link = _tile(home, "Pickup requests rejected")
    assert count == 0
    jt_admin = Actor.for_user(User.objects.get(username="jt_dispatch"))
    pending = PickupSubscription.objects.get(warehouse__code="DG-CA-02", status=SubscriptionStatus.PENDING_REVIEW)
    subscription_reject(actor=jt_admin, subscription_ids=[pending.pk], reason="address_unreachable", note="")
    home = client.get("/merchant/", headers={"accept-language": "en"}).content.decode()
    assert _tile(home, "Pickup requests rejected")[0] == 1
    assert "DG-CA-02" in client.get(link).content.decode()
    assert _tile(home, "Pickup requests pending review")[0] == 0


def test_merchant_attention_counts_reverse_orders_waiting(client, demo):
    _login(client, "dg_merchant")
    page = client.get("/merchant/attention/", headers={"accept-language": "zh-hans"}).content.decode()
    merchant = User.objects.get(username="dg_merchant").organisation
    waiting = ReverseOrder.objects.filter(merchant=merchant, status=ReverseStatus.AWAITING_MERCHANT).count()
    assert 'id="reverse"' in page
    assert f'<span class="n">{waiting}</span>' in page


def test_carrier_home_counts_match_its_lists(client, demo):
    _login(client, "jt_dispatch")
    home = client.get("/carrier/", headers={"accept-language": "en"}).content.decode()
    count, link = _tile(home, "Requests to review")
    assert count == PickupSubscription.objects.filter(carrier__code="JT", status="pending_review").count() > 0
    listed = client.get(link).content.decode()
    assert listed.count('name="ids"') == count
    count, link = _tile(home, "Still to collect")
    board = client.get(link).content.decode()
    assert board.count("/carrier/stops/") == count
    # J&T consolidates for nobody: no reverse-order counts or create button on its home.
    assert "Reverse orders awaiting pickup" not in home
    assert "/carrier/reverse/new/" not in home


def test_ops_home_links_running_batches_and_coverage_requests(client, demo):
    _login(client, "ops")
    home = client.get("/ops/", headers={"accept-language": "en"}).content.decode()
    _count, link = _tile(home, "Switchover batches running")
    assert client.get(link).status_code == 200
    _count, link = _tile(home, "Coverage requests to decide")
    assert link.startswith("/ops/coverage/")


def test_stop_page_for_its_carrier_and_merchant_only(client, demo):
    task = PickupTask.objects.select_related("carrier", "warehouse__merchant").first()
    assert task is not None
    _login(client, "jt_dispatch" if task.carrier.code == "JT" else "ws_dispatch")
    page = client.get(f"/carrier/stops/{task.pk}/")
    assert page.status_code == 200
    assert task.warehouse.name in page.content.decode()
    other_carrier = "ws_dispatch" if task.carrier.code == "JT" else "jt_dispatch"
    _login(client, other_carrier)
    assert client.get(f"/carrier/stops/{task.pk}/").status_code == 404
    owner = User.objects.filter(organisation=task.warehouse.merchant).first()
    client.force_login(owner)
    assert client.get(f"/merchant/stops/{task.pk}/").status_code == 200
    _login(client, "fs_merchant")
    assert client.get(f"/merchant/stops/{task.pk}/").status_code == 404


def test_sorting_centre_page_shows_expected_drop_offs_to_its_carrier_only(client, demo):
    centre = SortingCentre.objects.get(code="JT-GZ-BY")
    _login(client, "jt_dispatch")
    assert client.get("/carrier/inbound/").url == f"/carrier/sorting-centres/{centre.pk}/"
    page = client.get(f"/carrier/sorting-centres/{centre.pk}/").content.decode()
    assert 'id="expected"' in page and 'id="received"' in page and 'name="waybill_no"' in page
    _login(client, "ws_dispatch")
    assert client.get(f"/carrier/sorting-centres/{centre.pk}/").status_code == 404


def test_pickup_request_page_and_decision_from_it(client, demo):
    pending = PickupSubscription.objects.get(warehouse__code="DG-CA-02", status=SubscriptionStatus.PENDING_REVIEW)
    _login(client, "ws_dispatch")
    assert client.get(f"/carrier/pickup-requests/{pending.pk}/").status_code == 404
    _login(client, "jt_dispatch")
    page = client.get(f"/carrier/pickup-requests/{pending.pk}/", headers={"accept-language": "zh-hans"})
    assert page.status_code == 200
    assert "广东省 东莞市 长安镇" in page.content.decode()
    answer = client.post(
        "/carrier/pickup-requests/decide/", {"ids": str(pending.pk), "action": "approve", "from_detail": "1"}
    )
    assert answer.url == f"/carrier/pickup-requests/{pending.pk}/"
    pending.refresh_from_db()
    assert pending.status == SubscriptionStatus.ACTIVE


def test_organisation_and_switchover_pages_are_operations_only(client, demo):
    merchant = User.objects.get(username="dg_merchant").organisation
    _login(client, "ops")
    page = client.get(f"/ops/organisations/{merchant.pk}/").content.decode()
    assert "DG-HM-01" in page and "dg_merchant" in page
    assert client.get("/ops/organisations/999999/").status_code == 404
    people = client.get(f"/ops/people/?organisation={merchant.pk}").content.decode()
    assert "dg_merchant" in people and "jt_dispatch" not in people
    switchover = Switchover.objects.first()
    if switchover is not None:
        assert client.get(f"/ops/switchovers/{switchover.pk}/").status_code == 200
    _login(client, "dg_merchant")
    assert client.get(f"/ops/organisations/{merchant.pk}/").status_code == 403


def test_ops_staff_sees_an_organisation_without_its_people(client, demo):
    staff = factories.user(User.objects.get(username="ops").organisation, Role.STAFF)
    client.force_login(staff)
    merchant = User.objects.get(username="dg_merchant").organisation
    page = client.get(f"/ops/organisations/{merchant.pk}/").content.decode()
    assert "DG-HM-01" in page and 'id="people"' not in page


def test_one_address_format_never_repeats_a_region():
    assert address_text("441900125", "洪屋涡村工业路3号") == "广东省 东莞市 洪梅镇 洪屋涡村工业路3号"
    assert address_text("441900125", "广东省东莞市洪梅镇 洪屋涡村工业路3号") == "广东省 东莞市 洪梅镇 洪屋涡村工业路3号"
    assert address_text("441900125", "洪梅镇，洪屋涡村工业路3号") == "广东省 东莞市 洪梅镇 洪屋涡村工业路3号"
    names = region_names("110101")
    assert names[0] == "北京市" and all(a != b for a, b in itertools.pairwise(names))


def test_warehouse_list_shows_city_and_district(client, demo):
    _login(client, "dg_merchant")
    page = client.get("/merchant/warehouses/").content.decode()
    warehouse = Warehouse.objects.get(code="DG-CA-02")
    assert address_text(warehouse.division_id, warehouse.address_detail) in page


def test_webhook_picker_offers_only_what_the_party_receives(client, demo):
    merchant_kinds = {k for _h, kinds in catalogue.picker_groups("merchant") for k, _m in kinds}
    carrier_kinds = {k for _h, kinds in catalogue.picker_groups("carrier") for k, _m in kinds}
    platform_kinds = {k for _h, kinds in catalogue.picker_groups("platform") for k, _m in kinds}
    assert platform_kinds == set(catalogue.EVENT_TYPES)  # every kind sits in a group
    assert {"waybill.issued", "reverse_order.created", "user.created"} <= merchant_kinds
    assert not {"coverage.assigned", "switchover.created", "dispatch.day_planned"} & merchant_kinds
    assert {"coverage.assigned", "dispatch.day_planned", "waybill.issued"} <= carrier_kinds
    _login(client, "dg_merchant")
    page = client.get("/merchant/webhooks/", headers={"accept-language": "en"}).content.decode()
    assert 'value="waybill.issued"' in page and 'value="coverage.assigned"' not in page
    assert "A waybill and its label were issued" in page


def test_kinds_of_organisation_reach_their_home(client, demo):
    for kind in (OrganisationKind.MERCHANT, OrganisationKind.CARRIER, OrganisationKind.PLATFORM):
        user = factories.user(factories.organisation(kind), Role.STAFF)
        client.force_login(user)
        assert client.get("/", follow=True).status_code == 200


def test_arrange_and_print_from_the_order_page_and_reprint_a_selection(client, demo):
    _login(client, "dg_merchant")
    waiting = Order.objects.filter(merchant__users__username="dg_merchant", status="awaiting_shipment").first()
    page = client.get(f"/merchant/orders/{waiting.pk}/", headers={"accept-language": "en"}).content.decode()
    assert 'id="arrange"' in page
    # Only the windows of this order's warehouse are offered.
    assert (
        page.count('name="slot"') == 1 and "东莞长安二号仓" not in page.split('id="arrange"')[1].split("</section>")[0]
    )
    answer = client.post("/merchant/orders/arrange/", {"order_ids": str(waiting.pk), "from_order": "1"})
    assert answer.url == f"/merchant/orders/{waiting.pk}/"
    shown = client.get(answer.url, headers={"accept-language": "en"}).content.decode()
    number = Waybill.objects.get(order=waiting, status="issued").waybill_no
    assert f"/merchant/labels.pdf?w={number}" in shown
    shipped = client.get("/merchant/orders/?status=shipped").content.decode()
    numbers = re.findall(r'name="w" value="([A-Z]{2}\d+)"', shipped)
    assert number in numbers and len(numbers) >= 2
    batch = client.get("/merchant/labels.pdf", {"w": numbers[:2], "size": "A5"})
    assert batch.status_code == 302 and "/merchant/jobs/" in batch.url


def test_orders_list_marks_each_slot_with_its_warehouse(client, demo):
    _login(client, "dg_merchant")
    page = client.get("/merchant/orders/?status=awaiting_shipment").content.decode()
    warehouses = set(re.findall(r'<option value="\d+@[\d-]+" data-warehouse="(\d+)"', page))
    boxes = set(re.findall(r'name="order_ids" value="\d+" data-warehouse="(\d+)"', page))
    assert warehouses and warehouses <= {str(w.pk) for w in Warehouse.objects.all()}
    assert boxes
