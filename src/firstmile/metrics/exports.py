"""The performance figures as CSV: one line per day or week, then the breakdowns, spreadsheet-safe."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from firstmile.reverse.exports import neutralise

from .models import MEASURES
from .selectors import RATES, Report


def report_csv(report: Report) -> bytes:
    rates = list(RATES)
    head = [*MEASURES, *rates, "lead_hours_p50", "lead_hours_p90"]

    def values(line):
        return [
            *(line["figures"][m] for m in MEASURES),
            *("" if line["rates"][r] is None else line["rates"][r] for r in rates),
            line["lead_hours_p50"] if line["lead_hours_p50"] is not None else "",
            line["lead_hours_p90"] if line["lead_hours_p90"] is not None else "",
        ]

    rows = [[_("period"), *head]]
    rows += [[line["period"].isoformat(), *values(line)] for line in report.periods]
    rows.append([_("total"), *values(report.totals)])
    for dimension, lines in report.breakdowns.items():
        rows.append([])
        rows.append([dimension, *head])
        rows += [[str(line["name"]), *values(line)] for line in lines]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([neutralise(cell) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
