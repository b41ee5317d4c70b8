from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from firstmile.accounts.models import OrganisationKind
from firstmile.carriers.models import Carrier, CoverageArea
from firstmile.carriers.selectors import carrier_serving, coverage_list, coverage_serving
from firstmile.carriers.services import carrier_create, coverage_assign, coverage_end
from firstmile.core.clock import beijing
from firstmile.core.errors import ApplicationError, Conflict, Forbidden
from firstmile.events.models import Event

from .. import factories
from ..refusals import refused

pytestmark = pytest.mark.django_db

CUTOVER = beijing(2023, 9, 19)


def test_carrier_create_records_an_event():
    org = factories.organisation(OrganisationKind.CARRIER)
    carrier = carrier_create(
        actor=None,
        organisation=org,
        code="WS",
        name_zh="万色速递",
        name_en="Wanse",
        waybill_prefix="WS",
        hotline="4008206207",
        service_opens=time(9),
        service_closes=time(19),
    )
    with translation.override("en"):
        assert carrier.service_hours == "Monday – Sunday 09:00–19:00"
    with translation.override("zh-hans"):
        assert carrier.service_hours == "周一 ~ 周日 09:00–19:00"
    event = Event.objects.get(kind="carrier.created")
    assert event.subject_id == str(carrier.pk)
    assert event.owner == org


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("code", {"code": "w"}),
        ("waybill_prefix", {"waybill_prefix": "ws1"}),
        ("hotline", {"hotline": "call us"}),
        ("service_closes", {"service_closes": time(8)}),
        ("name_zh", {"name_zh": "  "}),
        ("service_weekdays", {"service_weekdays": "89"}),
    ],
)
def test_carrier_create_rejects_bad_input_and_writes_nothing(field, overrides):
    org = factories.organisation(OrganisationKind.CARRIER)
    events_before = Event.objects.count()
    arguments = {
        "code": "WS",
        "name_zh": "万色速递",
        "name_en": "Wanse",
        "waybill_prefix": "WS",
        "hotline": "4008206207",
        "service_opens": time(9),
        "service_closes": time(19),
        "service_weekdays": "1234567",
        **overrides,
    }
    with pytest.raises(ApplicationError) as err:
        carrier_create(actor=None, organisation=org, **arguments)
    assert err.value.field == field
    assert not Carrier.objects.exists()
    assert Event.objects.count() == events_before


def test_carrier_must_belong_to_a_carrier_organisation():
    merchant = factories.organisation(OrganisationKind.MERCHANT)
    with refused(ApplicationError, "not_a_carrier_organisation") as err:
        carrier_create(
            actor=None,
            organisation=merchant,
            code="XX",
            name_zh="x",
            name_en="x",
            waybill_prefix="XX",
            hotline="123456",
            service_opens=time(9),
            service_closes=time(19),
        )
    assert err.value.code == "not_a_carrier_organisation"


def test_waybill_prefix_is_unique(jt):
    org = factories.organisation(OrganisationKind.CARRIER)
    with refused(Conflict, "waybill_prefix_taken") as err:
        carrier_create(
            actor=None,
            organisation=org,
            code="JX",
            name_zh="x",
            name_en="x",
            waybill_prefix=jt.waybill_prefix,
            hotline="123456",
            service_opens=time(9),
            service_closes=time(19),
        )
    assert err.value.field == "waybill_prefix"


def test_a_town_is_served_by_its_citys_coverage(jt):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    assert carrier_serving("441900125", beijing(2023, 6, 1)) == jt
    assert carrier_serving("441900", beijing(2023, 6, 1)) == jt
    assert carrier_serving("441900125", beijing(2022, 12, 31, 23, 59, 59)) is None
    # Foshan is outside coverage.
    assert carrier_serving("440605011", beijing(2023, 6, 1)) is None


def test_the_most_specific_coverage_wins(jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="441900125", carrier=ws, valid_from=beijing(2023, 1, 1))
    assert carrier_serving("441900125", beijing(2023, 6, 1)) == ws
    assert carrier_serving("441900119", beijing(2023, 6, 1)) == jt


def test_switch_at_cutover_is_exact_to_the_second(jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=CUTOVER)
    assert carrier_serving("441900125", CUTOVER - timedelta(seconds=1)) == jt
    assert carrier_serving("441900125", CUTOVER) == ws
    rows = list(CoverageArea.objects.filter(division_id="441900").order_by("valid_from"))
    assert [(r.carrier, r.valid_to) for r in rows] == [(jt, CUTOVER), (ws, None)]
    event = Event.objects.filter(kind="coverage.assigned").latest("id")
    assert (event.from_state, event.to_state) == ("JT", "WS")
    assert event.counterparty == jt.organisation


def test_assigning_the_same_carrier_again_is_a_conflict_and_changes_nothing(jt):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as err:
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 2, 1))
    assert err.value.code == "coverage_already_served"
    assert CoverageArea.objects.get(division_id="441900").valid_to is None
    assert Event.objects.count() == events_before


def test_a_change_before_an_already_planned_one_is_refused(jt, ws):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=CUTOVER)
    with pytest.raises(Conflict) as err:
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 9, 1))
    assert err.value.code == "coverage_future_change_planned"
    assert CoverageArea.objects.filter(division_id="441900").count() == 2


def test_only_the_platform_assigns_coverage(jt, merchant_actor, carrier_actor):
    for actor in (merchant_actor, carrier_actor):
        with refused(Forbidden, "forbidden"):
            coverage_assign(actor=actor, division_code="441900", carrier=jt, valid_from=CUTOVER)
    assert not CoverageArea.objects.exists()


def test_unknown_division_and_naive_time_are_field_errors(jt):
    with pytest.raises(ApplicationError) as err:
        coverage_assign(actor=None, division_code="000000", carrier=jt, valid_from=CUTOVER)
    assert err.value.field == "division"
    with pytest.raises(ApplicationError) as err:
        coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=datetime(2023, 9, 19))
    assert err.value.field == "valid_from"
    assert not CoverageArea.objects.exists()


def test_coverage_end_leaves_the_area_uncovered(jt):
    row = coverage_assign(actor=None, division_code="440300", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_end(actor=None, coverage_id=row.pk, valid_to=CUTOVER)
    assert carrier_serving("440304004", CUTOVER - timedelta(seconds=1)) == jt
    assert carrier_serving("440304004", CUTOVER) is None
    with refused(ApplicationError, "coverage_already_ended"):
        coverage_end(actor=None, coverage_id=row.pk, valid_to=beijing(2023, 10, 1))


def test_coverage_list_is_scoped_to_the_carrier(jt, ws, carrier_actor, merchant_actor, platform_actor):
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    coverage_assign(actor=None, division_code="440300", carrier=ws, valid_from=beijing(2023, 1, 1))
    assert [r.division_id for r in coverage_list(actor=carrier_actor)] == ["441900"]
    assert coverage_list(actor=merchant_actor).count() == 0
    assert coverage_list(actor=platform_actor).count() == 2


@settings(max_examples=40, deadline=None)
@given(
    plan=st.lists(st.tuples(st.integers(1, 500), st.sampled_from(["JT", "WS"])), min_size=1, max_size=6),
    probes=st.lists(st.integers(0, 3600), min_size=1, max_size=10),
)
def test_coverage_answers_like_a_timeline_model(django_db_setup, django_db_blocker, plan, probes):
    """Any sequence of assignments: at every instant, the last one started before it wins."""
    base = beijing(2023, 1, 1)
    with django_db_blocker.unblock(), transaction.atomic():
        carriers = {code: factories.carrier(code) for code in ("JT", "WS")}
        timeline: list[tuple[datetime, str]] = []
        at = base
        for gap_hours, code in plan:
            at = at + timedelta(hours=gap_hours)
            current = timeline[-1][1] if timeline else None
            if current == code:
                with refused(Conflict, "coverage_already_served"), transaction.atomic():
                    coverage_assign(actor=None, division_code="441900", carrier=carriers[code], valid_from=at)
                continue
            coverage_assign(actor=None, division_code="441900", carrier=carriers[code], valid_from=at)
            timeline.append((at, code))
        for hours in probes:
            instant = base + timedelta(hours=hours)
            expected = None
            for start, code in timeline:
                if start <= instant:
                    expected = code
            served = coverage_serving("441900125", instant)
            assert (served.carrier.code if served else None) == expected
        transaction.set_rollback(True)
