"""Each portal's home page as a to-do list: counts of what waits for the party, each linking to the
list filtered to exactly those rows (a count and its list come from the same selector and filter).

Also the "needs attention" total: everything that waits for the party, reverse orders included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.bundles.models import BundleStatus
from firstmile.bundles.selectors import bundle_list
from firstmile.carriers.models import CoverageRequestStatus
from firstmile.carriers.selectors import carrier_of, coverage_request_list, sorting_centre_list
from firstmile.core.clock import beijing_today, now
from firstmile.dispatch.models import HandoverStatus
from firstmile.dispatch.selectors import attention, centre_day, handover_lists, stop_counts
from firstmile.pickup.models import SubscriptionStatus
from firstmile.pickup.selectors import review_queue, warehouse_list
from firstmile.reverse.models import ReverseStatus
from firstmile.reverse.selectors import consolidation_list, worklist_counts
from firstmile.shipping.models import OrderStatus
from firstmile.shipping.selectors import order_list
from firstmile.switchover.selectors import running_batches


@dataclass(frozen=True)
class Tile:
    label: object
    count: int
    url: str
    # Shown in the warning colour when the count is not zero: late, overdue, failed, missing.
    urgent: bool = False
    hint: object = ""


def _url(name: str, fragment: str = "", **query) -> str:
    url = reverse(f"portals:{name}")
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{fragment}" if fragment else "")


def attention_tiles(actor: Actor, portal: str, at: datetime | None = None) -> list[Tile]:
    """What the "needs attention" page lists, as counts linking to its sections and to reverse orders."""
    a = attention(actor=actor, at=at, limit=0)
    page = f"{portal}_attention"
    tiles = [
        Tile(_("Pickup reviews overdue"), a.overdue_review_count, _url(page, "overdue-reviews"), urgent=True),
        Tile(_("Failed pickups, last 7 days"), a.failure_count, _url(page, "failures"), urgent=True),
        Tile(_("Parcels flagged after failed pickups"), a.flagged_count, _url(page, "flagged"), urgent=True),
        Tile(_("PICK UP parcels not collected"), a.stale_count, _url(page, "stale"), urgent=True),
        Tile(_("Late for collection"), a.late_collection_count, _url(page, "late-collection"), urgent=True),
        Tile(
            _("Due for collection within %(h)s hours") % {"h": a.risk_hours},
            a.due_collection_count,
            _url(page, "due-collection"),
        ),
        Tile(_("Late to the sorting centre"), a.late_inbound_count, _url(page, "late-inbound"), urgent=True),
    ]
    return tiles + reverse_waiting(actor, portal)


def reverse_waiting(actor: Actor, portal: str) -> list[Tile]:
    """Reverse orders waiting for the party: the merchant's to register or confirm, the consolidation
    warehouse's to hand over, destroy or resolve, and for operations the open exceptions."""
    if portal == "carrier" and not consolidation_list(actor=actor).exists():
        return []
    counts = worklist_counts(actor=actor)
    if portal == "merchant":
        return [
            Tile(
                _("Reverse orders awaiting you"),
                counts[ReverseStatus.AWAITING_MERCHANT],
                _url("merchant_reverse", status=ReverseStatus.AWAITING_MERCHANT),
                urgent=True,
                hint=_("Register the pickup or confirm the destruction"),
            )
        ]
    if portal == "carrier":
        return [
            Tile(
                _("Reverse orders awaiting pickup"),
                counts[ReverseStatus.AWAITING_PICKUP],
                _url("carrier_reverse", status=ReverseStatus.AWAITING_PICKUP),
            ),
            Tile(
                _("Reverse orders awaiting destruction"),
                counts[ReverseStatus.AWAITING_DESTRUCTION],
                _url("carrier_reverse", status=ReverseStatus.AWAITING_DESTRUCTION),
            ),
            Tile(
                _("Reverse order exceptions open"),
                counts["exceptions"],
                _url("carrier_reverse", status="exceptions"),
                urgent=True,
            ),
        ]
    return [
        Tile(_("Reverse order exceptions open"), counts["exceptions"], _url("ops_attention", "reverse"), urgent=True)
    ]


DIFFERENCE_DAYS = 7


def _differences(actor: Actor, portal: str) -> Tile:
    """Handover lists confirmed with parcels missing in the last week: a difference to follow up."""
    since = beijing_today() - timedelta(days=DIFFERENCE_DAYS)
    return Tile(
        _("Handover differences, last 7 days"),
        handover_lists(actor=actor, with_missing=True, since=since).count(),
        _url(f"{portal}_handovers", missing=1, since=since.isoformat()),
        urgent=True,
        hint=_("Lists signed with parcels missing"),
    )


def attention_total(tiles: list[Tile]) -> int:
    return sum(t.count for t in tiles if t.urgent)


def merchant_todo(actor: Actor) -> list[tuple[object, list[Tile]]]:
    waiting = OrderStatus.AWAITING_SHIPMENT
    handovers = handover_lists(actor=actor, status=HandoverStatus.OPEN)
    attention_now = attention_tiles(actor, "merchant")
    return [
        (
            _("Orders & shipping"),
            [
                Tile(
                    _("Orders to ship"),
                    order_list(actor=actor, status=waiting).count(),
                    _url("merchant_orders", status=waiting),
                ),
                Tile(
                    _("Late: past their ship-by time"),
                    order_list(actor=actor, status=waiting, late=True).count(),
                    _url("merchant_orders", status=waiting, late=1),
                    urgent=True,
                ),
                Tile(
                    _("Bundles still open"),
                    bundle_list(actor=actor, status=BundleStatus.OPEN).count(),
                    _url("merchant_bundles", status=BundleStatus.OPEN),
                    hint=_("Scan their labels in, then close them with their weight"),
                ),
            ],
        ),
        (
            _("Handover"),
            [
                Tile(
                    _("Handover lists to check"),
                    handovers.count(),
                    _url("merchant_handovers", status=HandoverStatus.OPEN),
                    hint=_("Open lists of today's pickups and drop-offs"),
                ),
                _differences(actor, "merchant"),
            ],
        ),
        (
            _("Pickup requests"),
            [
                Tile(
                    _("Pickup requests pending review"),
                    warehouse_list(actor=actor, request_status=SubscriptionStatus.PENDING_REVIEW).count(),
                    _url("merchant_warehouses", request=SubscriptionStatus.PENDING_REVIEW),
                ),
                Tile(
                    _("Pickup requests rejected"),
                    warehouse_list(actor=actor, request_status=SubscriptionStatus.REJECTED).count(),
                    _url("merchant_warehouses", request=SubscriptionStatus.REJECTED),
                    urgent=True,
                    hint=_("See why, correct the address and save it again"),
                ),
            ],
        ),
        (_("Needs attention"), attention_now),
    ]


def carrier_todo(actor: Actor) -> list[tuple[object, list[Tile]]]:
    carrier = carrier_of(actor)
    if carrier is None:
        return []
    moment, today = now(), beijing_today()
    pending = review_queue(actor=actor, status=SubscriptionStatus.PENDING_REVIEW, at=moment)
    stops = stop_counts(actor=actor, day=today)
    day = today.isoformat()
    centres = []
    for centre in sorting_centre_list(carrier=carrier):
        arrivals = centre_day(actor=actor, centre_id=centre.pk, day=today)
        link = reverse("portals:carrier_sorting_centre", args=[centre.pk])
        centres += [
            Tile(
                _("DROP OFF parcels expected at %(centre)s") % {"centre": centre.display_name},
                arrivals.expected.count(),
                link + "#expected",
            ),
            Tile(
                _("Received today at %(centre)s") % {"centre": centre.display_name},
                arrivals.received.count(),
                link + "#received",
            ),
        ]
    return [
        (
            _("Pickup requests"),
            [
                Tile(
                    _("Requests to review"),
                    pending.count(),
                    _url("carrier_pickup_requests", status=SubscriptionStatus.PENDING_REVIEW),
                ),
                Tile(
                    _("Overdue: past the 24-hour review time"),
                    pending.filter(review_due_at__lt=moment).count(),
                    _url("carrier_pickup_requests", status=SubscriptionStatus.PENDING_REVIEW, overdue=1),
                    urgent=True,
                ),
            ],
        ),
        (
            _("Today's stops"),
            [
                Tile(_("Still to collect"), stops["to_do"], _url("carrier_dispatch", date=day, state="to_do")),
                Tile(_("Collected"), stops["closed"], _url("carrier_dispatch", date=day, state="closed")),
                Tile(
                    _("Pickup failed"), stops["failed"], _url("carrier_dispatch", date=day, state="failed"), urgent=True
                ),
            ],
        ),
        (
            _("Handover & sorting"),
            [
                _differences(actor, "carrier"),
                Tile(
                    _("Bundles closed, waiting to be handed over"),
                    bundle_list(actor=actor, status=BundleStatus.CLOSED).count(),
                    _url("carrier_bundles", status=BundleStatus.CLOSED),
                ),
                *centres,
            ],
        ),
        (_("Needs attention"), attention_tiles(actor, "carrier", moment)),
    ]


def ops_todo(actor: Actor) -> list[tuple[object, list[Tile]]]:
    return [
        (_("Needs attention"), attention_tiles(actor, "ops")),
        (
            _("Pickup network"),
            [
                Tile(_("Switchover batches running"), running_batches(actor=actor).count(), _url("ops_switchovers")),
                Tile(
                    _("Coverage requests to decide"),
                    coverage_request_list(actor=actor, status=CoverageRequestStatus.PENDING).count(),
                    _url("ops_coverage", "coverage-requests"),
                ),
            ],
        ),
    ]
