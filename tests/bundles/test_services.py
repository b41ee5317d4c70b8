"""Bundles (集包): binding and unbinding by the platforms' rules, closing, cancelling, and scanning a bundle
at pickup and at the sorting centre as every parcel in it."""

from decimal import Decimal

import pytest
import time_machine

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.bundles.models import Bundle, BundleParcel, BundleStatus
from firstmile.bundles.services import (
    bundle_bind,
    bundle_cancel,
    bundle_close,
    bundle_create,
    bundle_number,
    bundle_unbind,
    is_bundle_number,
)
from firstmile.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from firstmile.dispatch.models import HandoverLine, HandoverList, Scan
from firstmile.dispatch.services import (
    bundle_check_finish,
    bundle_check_scan,
    scan_inbound,
    scan_inbound_bundle,
    scan_pickup,
    scan_pickup_bundle,
)
from firstmile.events.models import Event
from firstmile.shipping.models import Waybill
from firstmile.shipping.services import waybill_void

from .. import factories
from ..dispatch.test_services import MONDAY, _ship
from ..refusals import refused
from ..snapshots import database_snapshot

pytestmark = pytest.mark.django_db


def _nos(waybills):
    return [w.waybill_no for w in waybills]


def _open(merchant, warehouse, numbers=(), method="PICKUP", **kw):
    with time_machine.travel(MONDAY, tick=False):
        return bundle_create(
            actor=merchant, warehouse_id=warehouse.pk, handover_method=method, waybill_nos=list(numbers), **kw
        )


def _closed(merchant, warehouse, numbers, weight="2.5"):
    bundle, results = _open(merchant, warehouse, numbers)
    assert all(r.ok for r in results), results
    with time_machine.travel(MONDAY, tick=False):
        return bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg=weight)


def test_a_bundle_number_has_a_check_digit():
    assert bundle_number(42) == "FB00000000422"
    assert is_bundle_number("fb00000000422 ")
    assert not is_bundle_number("FB00000000423")
    assert not is_bundle_number("JT00000000422")


def test_create_with_numbers_binds_them_and_takes_carrier_and_centre_from_the_parcels(merchant, hongmei, labels):
    bundle, results = _open(merchant, hongmei, _nos(labels[:3]))
    assert [r.ok for r in results] == [True, True, True]
    bundle.refresh_from_db()
    assert bundle.number == bundle_number(bundle.pk)
    assert (bundle.status, bundle.parcel_count) == ("open", 3)
    assert (bundle.carrier_id, bundle.sorting_centre_id) == (labels[0].carrier_id, labels[0].sorting_centre_id)
    assert Event.objects.filter(kind="waybill.bundled").count() == 3
    assert Event.objects.filter(kind="bundle.created", subject_id=str(bundle.pk)).exists()

    # A retry of the same numbers changes nothing; the rest of a batch still binds.
    bundle, results = bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=_nos(labels[:4]))
    assert [r.ok for r in results] == [True] * 4
    assert bundle.parcel_count == 4
    assert BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True).count() == 4


def test_each_refused_number_names_the_waybill_and_the_rule_and_the_rest_binds(merchant, hongmei, changan, labels, jt):
    first, _ = _open(merchant, hongmei, _nos(labels[:1]))
    with time_machine.travel(MONDAY, tick=False):
        [voided] = _ship(merchant, 1, prefix="VV")
        waybill_void(actor=merchant, waybill_id=voided.pk)
        [drop_off] = _ship(merchant, 1, warehouse_code=changan.code, prefix="CA")
    bundle, _ = _open(merchant, hongmei)
    numbers = [labels[0].waybill_no, voided.waybill_no, drop_off.waybill_no, "JT99999999999", labels[1].waybill_no]
    bundle, results = bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=numbers)
    codes = {r.waybill_no: (r.error or {}).get("code") for r in results}
    assert codes == {
        labels[0].waybill_no: "waybill_already_bundled",
        voided.waybill_no: "waybill_not_bindable",
        drop_off.waybill_no: "waybill_other_warehouse",
        "JT99999999999": "waybill_unknown",
        labels[1].waybill_no: None,
    }
    assert first.number in results[0].error["message"]
    assert bundle.parcel_count == 1

    # Another merchant's session binding our parcel hears exactly what an unknown number says.
    theirs = factories.actor(kind=OrganisationKind.MERCHANT)
    from firstmile.pickup.services import warehouse_create

    from ..shipping.conftest import HONGMEI

    their_house = warehouse_create(actor=theirs, **{**HONGMEI, "code": "THEIRS"}).warehouse
    their_bundle, _ = _open(theirs, their_house)
    _, [ours, unknown] = bundle_bind(
        actor=theirs, bundle_id=their_bundle.pk, waybill_nos=[labels[2].waybill_no, "JT99999999999"]
    )
    assert ours.error["code"] == unknown.error["code"] == "waybill_unknown"
    assert ours.error["message"].replace(labels[2].waybill_no, "X") == unknown.error["message"].replace(
        "JT99999999999", "X"
    )


def test_one_handover_method_per_bundle(merchant, hongmei, changan, labels):
    bundle, _ = _open(merchant, hongmei, method="DROP_OFF")
    _, [result] = bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=[labels[0].waybill_no])
    assert result.error["code"] == "waybill_mismatch"
    assert Bundle.objects.get(pk=bundle.pk).parcel_count == 0


def test_a_bundle_holds_at_most_10000_parcels(merchant, hongmei, labels, monkeypatch):
    from firstmile.bundles import services

    monkeypatch.setattr(services, "MAX_PARCELS", 2)
    bundle, results = _open(merchant, hongmei, _nos(labels[:3]))
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error["code"] == "bundle_full" and labels[2].waybill_no in results[2].error["message"]
    assert Bundle.objects.get(pk=bundle.pk).parcel_count == 2


def test_more_than_50_numbers_in_a_call_changes_nothing(merchant, hongmei, labels):
    bundle, _ = _open(merchant, hongmei)
    before = database_snapshot()
    with pytest.raises(ApplicationError) as err:
        bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=[f"JT{i:011d}" for i in range(51)])
    assert (err.value.code, err.value.field) == ("bundle_too_many_numbers", "waybill_nos")
    assert database_snapshot() == before


def test_unbind_frees_the_parcel_and_an_empty_bundle_belongs_to_no_carrier(merchant, hongmei, labels):
    bundle, _ = _open(merchant, hongmei, _nos(labels[:2]))
    bundle, results = bundle_unbind(
        actor=merchant, bundle_id=bundle.pk, waybill_nos=[labels[0].waybill_no, labels[3].waybill_no]
    )
    assert [r.ok for r in results] == [True, False]
    assert results[1].error["code"] == "waybill_not_in_bundle"
    assert bundle.parcel_count == 1
    bundle, _ = bundle_unbind(actor=merchant, bundle_id=bundle.pk, waybill_nos=[labels[1].waybill_no])
    assert (bundle.parcel_count, bundle.carrier_id, bundle.sorting_centre_id) == (0, None, None)
    # Free again: another bundle takes it.
    other, [result] = _open(merchant, hongmei, [labels[0].waybill_no])
    assert result.ok and other.parcel_count == 1


def test_close_needs_parcels_and_a_sane_weight_and_then_binding_stops(merchant, hongmei, labels):
    bundle, _ = _open(merchant, hongmei)
    with pytest.raises(Conflict) as err:
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="1")
    assert err.value.code == "bundle_empty"
    bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=_nos(labels[:2]))
    for weight in ("-1", "0", "abc", "1e9", "NaN", None):
        before = database_snapshot()
        with pytest.raises(ApplicationError) as err:
            bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg=weight)
        assert err.value.field == "weight_kg"
        assert database_snapshot() == before
    with pytest.raises(ApplicationError) as err:
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="2", length_cm="9999")
    assert err.value.field == "length_cm"
    closed = bundle_close(
        actor=merchant, bundle_id=bundle.pk, weight_kg="2.345", length_cm=40, width_cm=30, height_cm=20
    )
    assert (closed.status, closed.weight_kg, closed.length_cm) == ("closed", Decimal("2.35"), 40)
    before = database_snapshot()
    with pytest.raises(Conflict) as err:
        bundle_bind(actor=merchant, bundle_id=bundle.pk, waybill_nos=[labels[3].waybill_no])
    assert err.value.code == "bundle_not_open"
    assert database_snapshot() == before
    with refused(Conflict, "bundle_not_open"):
        bundle_unbind(actor=merchant, bundle_id=bundle.pk, waybill_nos=[labels[0].waybill_no])


def test_cancel_frees_every_parcel(merchant, hongmei, labels):
    bundle = _closed(merchant, hongmei, _nos(labels[:3]))
    cancelled = bundle_cancel(actor=merchant, bundle_id=bundle.pk)
    assert (cancelled.status, cancelled.parcel_count) == ("cancelled", 0)
    assert not BundleParcel.objects.filter(removed_at__isnull=True).exists()
    with refused(Conflict, "bundle_wrong_state"):
        bundle_cancel(actor=merchant, bundle_id=bundle.pk)
    _, results = _open(merchant, hongmei, _nos(labels[:3]))
    assert all(r.ok for r in results)


def test_roles_and_tenancy(merchant, hongmei, labels, jt):
    bundle, _ = _open(merchant, hongmei, _nos(labels[:1]))
    carrier_staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)
    other = factories.actor(kind=OrganisationKind.MERCHANT)
    before = database_snapshot()
    with refused(Forbidden, "forbidden"):
        bundle_bind(actor=carrier_staff, bundle_id=bundle.pk, waybill_nos=[labels[1].waybill_no])
    with refused(NotFound, "bundle_not_found"):
        bundle_bind(actor=other, bundle_id=bundle.pk, waybill_nos=[labels[1].waybill_no])
    with refused(NotFound, "bundle_not_found"):
        bundle_cancel(actor=other, bundle_id=bundle.pk)
    assert database_snapshot() == before


def test_the_driver_scans_the_bundle_and_every_parcel_is_collected_on_the_stops_list(merchant, hongmei, labels, stop):
    bundle = _closed(merchant, hongmei, _nos(labels[:3]))
    driver = stop["driver"]
    # A parcel of the bundle is not scanned on its own.
    with time_machine.travel(MONDAY, tick=False), pytest.raises(Conflict) as err:
        scan_pickup(actor=driver, waybill_no=labels[0].waybill_no, task_id=stop["task"].pk)
    assert err.value.code == "waybill_in_bundle" and bundle.number in str(err.value.message)
    with time_machine.travel(MONDAY, tick=False):
        done = scan_pickup_bundle(actor=driver, bundle_no=bundle.number.lower(), task_id=stop["task"].pk)
    assert (done.parcels, done.skipped, done.bundle.status) == (3, [], "collected")
    statuses = dict(Waybill.objects.values_list("waybill_no", "tracking_status"))
    assert [statuses[n] for n in _nos(labels)] == ["collected"] * 3 + ["label_created"] * 2
    assert Scan.objects.filter(kind="pickup").count() == 3
    handover = HandoverList.objects.get(task=stop["task"])
    assert handover.parcel_count == 3
    assert HandoverLine.objects.filter(handover=handover, bundle=bundle).count() == 3
    events = Event.objects.filter(kind="waybill.collected")
    assert events.count() == 3 and all(e.counterparty_id == stop["task"].carrier.organisation_id for e in events)
    with time_machine.travel(MONDAY, tick=False), pytest.raises(Conflict) as err:
        scan_pickup_bundle(actor=driver, bundle_no=bundle.number)
    assert err.value.code == "bundle_not_ready"


def test_an_open_bundle_is_not_collected(merchant, hongmei, labels, stop):
    bundle, _ = _open(merchant, hongmei, _nos(labels[:2]))
    before = database_snapshot()
    with time_machine.travel(MONDAY, tick=False), pytest.raises(Conflict) as err:
        scan_pickup_bundle(actor=stop["driver"], bundle_no=bundle.number)
    assert err.value.code == "bundle_not_ready"
    assert database_snapshot() == before


def test_a_label_voided_inside_a_closed_bundle_is_left_out_at_pickup(merchant, hongmei, labels, stop):
    bundle = _closed(merchant, hongmei, _nos(labels[:3]))
    with time_machine.travel(MONDAY, tick=False):
        waybill_void(actor=merchant, waybill_id=labels[1].pk)
        done = scan_pickup_bundle(actor=stop["driver"], bundle_no=bundle.number)
    assert (done.parcels, done.skipped, done.bundle.parcel_count) == (2, [labels[1].waybill_no], 2)


def test_the_sorting_centre_receives_the_bundle_and_checks_it_against_its_manifest(merchant, hongmei, labels, stop, jt):
    bundle = _closed(merchant, hongmei, _nos(labels[:3]))
    staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
    centre = jt.sorting_centres.get().code
    with time_machine.travel(MONDAY, tick=False):
        scan_pickup_bundle(actor=stop["driver"], bundle_no=bundle.number)
        with refused(Conflict, "waybill_in_bundle"):
            scan_inbound(actor=staff, sorting_centre_code=centre, waybill_no=labels[0].waybill_no)
        done = scan_inbound_bundle(actor=staff, sorting_centre_code=centre, bundle_no=bundle.number)
    assert (done.parcels, done.bundle.status) == (3, "received")
    assert set(Waybill.objects.filter(pk__in=[w.pk for w in labels[:3]]).values_list("tracking_status", flat=True)) == {
        "received"
    }
    bundle_check_scan(actor=staff, bundle_id=bundle.pk, waybill_no=labels[0].waybill_no)
    bundle_check_scan(actor=staff, bundle_id=bundle.pk, waybill_no=labels[2].waybill_no.lower())
    with refused(NotFound, "waybill_not_in_bundle"):
        bundle_check_scan(actor=staff, bundle_id=bundle.pk, waybill_no=labels[4].waybill_no)
    checked = bundle_check_finish(actor=staff, bundle_id=bundle.pk)
    assert checked.missing_count == 1
    missing = Waybill.objects.get(pk=labels[1].pk)
    assert missing.tracking_status == "exception"
    event = Event.objects.get(kind="waybill.missing_from_bundle")
    assert (event.subject_id, event.owner_id) == (str(missing.pk), merchant.organisation.pk)
    assert Event.objects.get(kind="bundle.checked").payload["missing"] == [missing.waybill_no]
    with refused(Conflict, "bundle_not_ready"):
        bundle_check_finish(actor=staff, bundle_id=bundle.pk)


def test_a_drop_off_bundle_sent_by_express_is_received_by_the_express_number(merchant, changan, jt):
    with time_machine.travel(MONDAY, tick=False):
        parcels = _ship(merchant, 2, warehouse_code=changan.code, prefix="DO")
    bundle, results = _open(
        merchant,
        changan,
        _nos(parcels),
        method="DROP_OFF",
        express_company="顺丰速运",
        express_tracking_no="sf1234567890",
        sender_phone_tail="5678",
    )
    assert all(r.ok for r in results)
    with time_machine.travel(MONDAY, tick=False):
        bundle_close(actor=merchant, bundle_id=bundle.pk, weight_kg="1.2")
        staff = factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.STAFF)
        done = scan_inbound_bundle(
            actor=staff, sorting_centre_code=jt.sorting_centres.get().code, bundle_no="SF1234567890"
        )
    assert (done.parcels, done.bundle.status) == (2, BundleStatus.RECEIVED)
    assert set(Waybill.objects.filter(pk__in=[p.pk for p in parcels]).values_list("tracking_status", flat=True)) == {
        "drop_off_received"
    }
    assert HandoverList.objects.get(kind="drop_off").parcel_count == 2


def test_express_facts_come_all_three_or_not_at_all(merchant, changan):
    with pytest.raises(ApplicationError) as err:
        _open(merchant, changan, method="DROP_OFF", express_company="顺丰速运")
    assert err.value.field == "express_tracking_no"
    with refused(ApplicationError, "invalid_input") as err:
        _open(
            merchant,
            changan,
            method="DROP_OFF",
            express_company="顺丰",
            express_tracking_no="SF123456",
            sender_phone_tail="12a4",
        )
    assert err.value.field == "sender_phone_tail"
