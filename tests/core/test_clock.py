from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from firstmile.core.clock import (
    BEIJING,
    beijing,
    beijing_day_bounds,
    beijing_today,
    from_beijing_wall_clock,
    to_beijing,
)


def test_beijing_wall_clock_is_utc_plus_eight():
    assert beijing(2023, 9, 19) == datetime(2023, 9, 18, 16, 0, tzinfo=UTC)


@time_machine.travel(datetime(2023, 9, 18, 16, 30, tzinfo=UTC), tick=False)
def test_today_is_the_beijing_date_not_the_utc_one():
    # 16:30 UTC on the 18th is already 00:30 on the 19th in Beijing.
    assert beijing_today() == date(2023, 9, 19)


def test_day_bounds_are_half_open_beijing_midnights():
    start, end = beijing_day_bounds(date(2023, 9, 18))
    assert start == beijing(2023, 9, 18)
    assert end - start == timedelta(days=1)


def test_naive_input_is_read_as_beijing_and_naive_output_refused():
    assert from_beijing_wall_clock(datetime(2023, 9, 18, 10)) == beijing(2023, 9, 18, 10)
    assert to_beijing(beijing(2023, 9, 18, 10)).tzinfo == BEIJING
    with pytest.raises(ValueError):
        to_beijing(datetime(2023, 9, 18, 10))
