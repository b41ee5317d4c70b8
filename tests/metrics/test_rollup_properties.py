"""Property: the figures the worker keeps as events arrive equal a recount from scratch, late events included."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from firstmile.dispatch.models import HandoverLine
from firstmile.events.models import Event
from firstmile.metrics import services
from firstmile.metrics.models import (
    CITY_DIMENSIONS,
    DIMENSIONS,
    MEASURES,
    CityFigure,
    Contribution,
    DailyFigure,
    HourlyFigure,
    RollupState,
)
from firstmile.metrics.services import rollup_rebuild, rollup_run
from firstmile.shipping.models import Waybill

from ..dispatch.histories import MONDAY, World, histories


def _figures(model, keys):
    return {
        tuple(row[k] for k in keys): tuple(row[m] for m in MEASURES) for row in model.objects.values(*keys, *MEASURES)
    }


DAILY = ("day", *DIMENSIONS)
HOURLY = ("day", "hour", *DIMENSIONS)
CITY = ("day", *CITY_DIMENSIONS)


def _by_city(daily: dict) -> dict:
    """The daily sums summed again by carrier, city, route, driver and reason."""
    summed: dict = {}
    for key, values in daily.items():
        row = dict(zip(DAILY, key, strict=True))
        city_key = tuple(row["division_id"][:6] if k == "city_id" else row[k] for k in CITY)
        summed[city_key] = tuple(a + b for a, b in zip(summed.get(city_key, (0,) * len(MEASURES)), values, strict=True))
    return {k: v for k, v in summed.items() if any(v)}


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(
    days=histories,
    rollups=st.lists(st.booleans(), min_size=5, max_size=5),
    slices=st.sampled_from([None, 7, 40]),
    # Parcels per statement and per transaction: the production sizes, and tiny ones so
    # that a run spans several chunks of a batch and several batches.
    sizes=st.sampled_from([(services.CHUNK, services.BATCH), (2, 5), (1, 3), (3, 3)]),
)
def test_incremental_figures_equal_a_recount(days, rollups, slices, sizes):
    chunk, batch = sizes
    with (
        mock.patch.object(services, "CHUNK", chunk),
        mock.patch.object(services, "BATCH", batch),
        transaction.atomic(),
    ):
        world = World()
        for index, steps in enumerate(days):
            world.play_day(index, steps)
            if rollups[index]:
                # Mid-week, while later events keep coming: the unsettled tail is read again next time.
                # The clock moves with the week: hourly sums are kept for the last two days only.
                at = MONDAY + timedelta(days=index, hours=16)
                with time_machine.travel(at, tick=False):
                    rollup_run(at=at, limit=slices)
        end = MONDAY + timedelta(days=len(days) - 1, hours=16)  # as the last mid-week run: clocks do not go back
        with time_machine.travel(end, tick=False):
            while rollup_run(at=datetime(2100, 1, 1, tzinfo=UTC), limit=slices).events_to < (
                Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
            ):
                pass
        kept_daily, kept_hourly = _figures(DailyFigure, DAILY), _figures(HourlyFigure, HOURLY)
        hourly_from = (end + timedelta(hours=8)).date() - timedelta(days=services.HOURLY_DAYS - 1)
        assert all(key[0] >= hourly_from for key in kept_hourly)
        kept_city = _figures(CityFigure, CITY)
        assert kept_city == _by_city(kept_daily)

        # Anchors: the sums agree with plain counts of the records.
        def total(measure):
            return sum(row[MEASURES.index(measure)] for row in kept_daily.values())

        assert total("labels") == Waybill.objects.count()
        assert total("collected") == Waybill.objects.filter(collected_at__isnull=False).count()
        assert total("failed_attempts") == Event.objects.filter(kind="waybill.pickup_failed").count()
        confirmed = HandoverLine.objects.filter(handover__status="confirmed", handover__kind="pickup")
        assert (total("listed"), total("missing")) == (confirmed.count(), confirmed.filter(missing=True).count())
        assert total("inbound") == Waybill.objects.filter(collected_at__isnull=False, received_at__isnull=False).count()
        assert {key: values for key, values in kept_daily.items() if key[0] >= hourly_from} == {
            key: tuple(sum(v[i] for k, v in kept_hourly.items() if (k[0], *k[2:]) == key) for i in range(len(MEASURES)))
            for key in kept_daily
            if key[0] >= hourly_from
        }
        assert all(any(values) for values in kept_daily.values())

        # The recount: nothing kept, every figure written again from the records.
        for model in (Contribution, DailyFigure, HourlyFigure, CityFigure, RollupState):
            model.objects.all().delete()
        with time_machine.travel(end, tick=False):
            rollup_rebuild(first_day=date(2023, 9, 1), last_day=date(2023, 10, 31))
        assert _figures(DailyFigure, DAILY) == kept_daily
        assert _figures(HourlyFigure, HOURLY) == kept_hourly
        assert _figures(CityFigure, CITY) == kept_city
        transaction.set_rollback(True)
