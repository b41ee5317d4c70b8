"""The worker's share of the figures: roll up new events every FIRSTMILE_METRICS_ROLLUP_EVERY seconds.

Called from the worker loop through settings.FIRSTMILE_WORKER_PERIODIC (the worker lives
below this app and names it only there).
"""

from __future__ import annotations

import logging

from .services import rollup_run

logger = logging.getLogger(__name__)


def rollup_due() -> None:
    report = rollup_run()
    if report.parcels:
        logger.info(
            "figures rolled up: %s parcels from events %s–%s", report.parcels, report.events_from, report.events_to
        )
