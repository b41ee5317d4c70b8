"""The rollup's rules, one history each: what counts on which day, and what taking a parcel in twice does."""

from datetime import UTC, date, datetime, timedelta

import pytest

from firstmile.metrics.models import MEASURES, DailyFigure, HourlyFigure
from firstmile.metrics.services import rollup_run

from ..dispatch.histories import World

pytestmark = pytest.mark.django_db
LATER = datetime(2100, 1, 1, tzinfo=UTC)
MON, TUE = date(2023, 9, 18), date(2023, 9, 19)
QUIET = {
    "ship_pickup": 0,
    "ship_drop_off": 0,
    "book": [],
    "cancel": [],
    "void": [],
    "scan": [],
    "stop": "leave",
    "sign": False,
    "inbound": [],
    "inbound_after_midnight": False,
}


def _day(day):
    rows = DailyFigure.objects.filter(day=day).values(*MEASURES)
    return {m: sum(r[m] for r in rows) for m in MEASURES}


def test_a_parcel_missing_from_a_signed_list_counts_though_it_has_no_event_of_its_own():
    world = World()
    world.play_day(0, {**QUIET, "ship_pickup": 2})
    rollup_run(at=LATER)
    assert _day(MON)["labels"] == 2
    # Tuesday: one of the two is scanned, the list is signed, the other is written down as missing.
    world.play_day(1, {**QUIET, "scan": [0], "stop": "close", "sign": True})
    rollup_run(at=LATER)
    assert (_day(TUE)["listed"], _day(TUE)["missing"], _day(TUE)["collected"]) == (2, 1, 1)


def test_an_inbound_scan_after_midnight_corrects_the_day_of_the_collection():
    world = World()
    world.play_day(0, {**QUIET, "ship_pickup": 1})
    world.play_day(1, {**QUIET, "scan": [0], "stop": "close"})
    rollup_run(at=LATER)
    assert (_day(TUE)["collected"], _day(TUE)["inbound"]) == (1, 0)
    # Scanned in at 00:30 on Wednesday: Tuesday's collection now counts as arrived, 9.5 hours after it.
    world.play_day(1, {**QUIET, "inbound": [0], "inbound_after_midnight": True})
    rollup_run(at=LATER)
    tuesday = _day(TUE)
    assert (tuesday["inbound"], tuesday["inbound_on_time"], tuesday["lead_minutes"], tuesday["lead_h12"]) == (
        1,
        1,
        570,
        1,
    )
    assert _day(TUE + timedelta(days=1))["collected"] == 0


def test_rolling_up_again_or_reading_events_twice_changes_nothing():
    world = World()
    world.play_day(0, {**QUIET, "ship_pickup": 3, "ship_drop_off": 1, "scan": [0], "stop": "fail", "inbound": [3]})
    rollup_run(at=LATER)
    daily, hourly = list(DailyFigure.objects.values()), list(HourlyFigure.objects.values())
    from firstmile.metrics.models import RollupState

    RollupState.objects.update(settled_event_id=0)  # as if every event were unsettled
    rollup_run(at=LATER)
    assert list(DailyFigure.objects.values()) == daily and list(HourlyFigure.objects.values()) == hourly
    monday = _day(MON)
    assert (monday["labels"], monday["failed_attempts"], monday["first_attempt_failed"], monday["dropped_off"]) == (
        4,
        2,
        2,
        1,
    )
