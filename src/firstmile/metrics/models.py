"""Performance figures kept as rollups (docs/metrics.md), never counted from the raw tables on a page.

Each parcel contributes a few rows to ``Contribution`` — its label, its collect-by clock,
its collection (with the inbound that followed), each failed attempt, its line on a
handover list — each on the Beijing day and hour the figure belongs to and with the
dimensions a page filters by. ``DailyFigure`` and ``HourlyFigure`` are those rows summed
per day (hour) and dimensions. When a parcel's events arrive the worker takes its old
rows out of the sums, writes its new rows and adds them back: the work is in proportion
to the parcels that changed, and a late event moves the figure of the day it belongs to.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Every summed figure, in the column order the SQL writes them.
MEASURES = (
    "labels",  # labels printed
    "late_labels",  # printed after the order's ship-by
    "due",  # PICK UP parcels whose collect-by falls on the day
    "due_on_time",  # of those, collected by their collect-by
    "due_slotted",  # of the due, those with a booked pickup window
    "slotted_on_time",
    "collected",  # collected by a driver that day
    "first_attempt_ok",  # collected at the first attempt
    "first_attempt_failed",  # the parcel's first attempt failed that day
    "failed_attempts",  # failed attempts (one per parcel per failed stop)
    "listed",  # lines on signed PICK UP handover lists
    "missing",  # of those, written down as missing
    "inbound",  # collected that day and since scanned in at the sorting centre
    "inbound_on_time",  # ... by their inbound-by
    "lead_minutes",  # collection to inbound, summed (for the mean)
    "lead_h2",  # lead time histogram: ≤2 h, ≤4 h, ≤8 h, ≤12 h, ≤24 h, ≤48 h, ≤72 h, more
    "lead_h4",
    "lead_h8",
    "lead_h12",
    "lead_h24",
    "lead_h48",
    "lead_h72",
    "lead_more",
    "dropped_off",  # received at a sorting centre's counter without a driver
)
LEAD_BINS = ((120, "lead_h2"), (240, "lead_h4"), (480, "lead_h8"), (720, "lead_h12"), (1440, "lead_h24"))
LEAD_BINS += ((2880, "lead_h48"), (4320, "lead_h72"))
# The dimensions, in key order. 0 and "" stand for "none" (a key column cannot be NULL in a unique key).
DIMENSIONS = ("carrier_id", "merchant_id", "warehouse_id", "division_id", "route_id", "driver_id", "reason")


def _measures(field=models.BigIntegerField):
    return {name: field(default=0) for name in MEASURES}


def _dimensions():
    return {
        "carrier_id": models.BigIntegerField(),
        "merchant_id": models.BigIntegerField(),
        "warehouse_id": models.BigIntegerField(),
        "division_id": models.CharField(max_length=12),  # the sender's area code: a prefix selects a region
        "route_id": models.BigIntegerField(default=0),
        "driver_id": models.BigIntegerField(default=0),
        "reason": models.CharField(max_length=20, default="", blank=True),  # a failed attempt's reason
    }


class Contribution(models.Model):
    """One parcel's share of the figures of one day and hour (plain ids: facts, not relations)."""

    waybill_id = models.BigIntegerField()
    day = models.DateField()
    hour = models.SmallIntegerField()
    locals().update(_dimensions())
    # One parcel's share: 0 or 1, or its lead time in minutes. Integers, not the sums' bigints:
    # the table holds about three rows per parcel, and they are half as wide (478 MB instead of
    # 901 MB for 3,000,000 rows on PostgreSQL).
    locals().update(_measures(models.IntegerField))

    class Meta:
        verbose_name = _("contribution to the figures")
        # A parcel's rows (the rollup); a party's rows of a range (the parcels behind a figure).
        # No index leads with the day alone: PostgreSQL took one to read a chunk's rows already
        # in GROUP BY order, filtering the whole table by waybill (2.7 s a chunk instead of 0.1 s).
        indexes = [
            models.Index(fields=["waybill_id"]),
            # With the parcel last: a drill-down reads a party's rows latest first, a page at a time.
            models.Index(fields=["carrier_id", "day", "waybill_id"], name="contribution_carrier_day"),
            models.Index(fields=["merchant_id", "day", "waybill_id"], name="contribution_merchant_day"),
        ]

    def __str__(self) -> str:
        return f"{self.waybill_id}@{self.day} {self.hour}h"


class DailyFigure(models.Model):
    day = models.DateField()
    locals().update(_dimensions())
    locals().update(_measures())

    class Meta:
        verbose_name = _("daily figure")
        constraints = [models.UniqueConstraint(fields=["day", *DIMENSIONS], name="daily_figure_key")]
        # A carrier's or a merchant's range; the area filter is a prefix of division_id.
        indexes = [
            models.Index(fields=["carrier_id", "day"], name="daily_figure_carrier"),
            models.Index(fields=["merchant_id", "day"], name="daily_figure_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.day} carrier {self.carrier_id}"


class HourlyFigure(models.Model):
    day = models.DateField()
    hour = models.SmallIntegerField()
    locals().update(_dimensions())
    locals().update(_measures())

    class Meta:
        verbose_name = _("hourly figure")
        constraints = [models.UniqueConstraint(fields=["day", "hour", *DIMENSIONS], name="hourly_figure_key")]
        indexes = [
            models.Index(fields=["carrier_id", "day"], name="hourly_figure_carrier"),
            models.Index(fields=["merchant_id", "day"], name="hourly_figure_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}h carrier {self.carrier_id}"


# The carriers' and the platform's view: no merchant, no warehouse, the area cut to its city.
CITY_DIMENSIONS = ("carrier_id", "city_id", "route_id", "driver_id", "reason")
CITY_CODE_LENGTH = 6  # the first six digits of an area code name its city


class CityFigure(models.Model):
    """The daily sums by carrier, city, route, driver and reason: what carrier and platform pages read.

    A carrier's DailyFigure rows multiply with its merchants' warehouses (2,000 warehouses:
    over a million rows in 90 days); these do not, so a 90-day page reads the same few
    thousand rows at any number of parcels or warehouses.
    """

    day = models.DateField()
    carrier_id = models.BigIntegerField()
    city_id = models.CharField(max_length=CITY_CODE_LENGTH)
    route_id = models.BigIntegerField(default=0)
    driver_id = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=20, default="", blank=True)
    locals().update(_measures())

    class Meta:
        verbose_name = _("daily figure by city")
        constraints = [models.UniqueConstraint(fields=["day", *CITY_DIMENSIONS], name="city_figure_key")]
        indexes = [models.Index(fields=["carrier_id", "day"], name="city_figure_carrier")]

    def __str__(self) -> str:
        return f"{self.day} carrier {self.carrier_id} city {self.city_id}"


class RollupState(models.Model):
    """How far the worker has rolled up the events: every event id up to ``settled_event_id``
    is in the figures (later ones may be, too: taking a parcel in twice changes nothing)."""

    name = models.CharField(max_length=32, unique=True)
    settled_event_id = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True, blank=True)
    parcels = models.BigIntegerField(default=0)  # parcels taken in at the last run

    class Meta:
        verbose_name = _("rollup state")

    def __str__(self) -> str:
        return f"{self.name} ≤ {self.settled_event_id}"
