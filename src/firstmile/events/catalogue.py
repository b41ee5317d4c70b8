"""Every kind of event Firstmile records, with what it means to the party receiving it.

The catalogue is the contract of the webhooks: an endpoint subscribes to kinds from
it, `event_record` refuses a kind that is not in it (so a new state change cannot
ship without its entry), and docs/webhooks.md is rendered from it (a test keeps the
two equal).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# kind → (who hears of it, meaning)
EVENT_TYPES: dict[str, tuple[str, object]] = {
    # pickup subscriptions (seed 000, questions 4, 12, 13)
    "subscription.requested": ("merchant, carrier", _("A warehouse address asks the carrier for pickup")),
    "subscription.approved": ("merchant, carrier", _("The carrier approved pickup: labels show PICK UP")),
    "subscription.rejected": ("merchant, carrier", _("The carrier rejected pickup: the merchant self-sends")),
    "subscription.cancelled": ("merchant, carrier", _("Pickup was cancelled or a pushed request withdrawn")),
    "subscription.superseded": ("merchant, carrier", _("A newer address replaced this subscription")),
    "warehouse.created": ("merchant", _("A shipping warehouse was added")),
    "warehouse.updated": ("merchant", _("A shipping warehouse was changed")),
    "warehouse.not_covered": ("merchant", _("A warehouse address lies outside every carrier's coverage")),
    # shipping
    "order.created": ("merchant", _("An order arrived, with its ship-by deadline")),
    "order.shipped": ("merchant", _("Shipment was arranged for an order")),
    "waybill.issued": ("merchant, carrier", _("A waybill and its label were issued")),
    "waybill.voided": ("merchant, carrier", _("A waybill was voided before pickup")),
    "waybill.collected": ("merchant, carrier", _("A driver scanned the parcel at the warehouse")),
    "waybill.received": ("merchant, carrier", _("The sorting centre scanned the parcel in: it arrived")),
    "waybill.pickup_failed": ("merchant, carrier", _("A pickup of the parcel failed, with its reason")),
    "waybill.handed_over": ("merchant, carrier", _("The parcel was signed for on a handover list")),
    "waybill.proof_of_pickup": ("merchant, carrier", _("A photo or location was recorded at the parcel's stop")),
    "waybill.bundled": ("merchant, carrier", _("The merchant bound the parcel into a bundle")),
    "waybill.unbundled": ("merchant, carrier", _("The parcel was taken out of its bundle, or the bundle cancelled")),
    "waybill.missing_from_bundle": (
        "merchant, carrier",
        _("The sorting centre opened the parcel's bundle and did not find it"),
    ),
    # bundles (集包)
    "bundle.created": ("merchant", _("The merchant opened a bundle for a warehouse")),
    "bundle.closed": ("merchant, carrier", _("A bundle was closed with its weight: ready to hand over")),
    "bundle.cancelled": ("merchant, carrier", _("A bundle was cancelled: its parcels are free again")),
    "bundle.collected": ("merchant, carrier", _("A driver scanned the bundle: every parcel in it collected")),
    "bundle.received": ("merchant, carrier", _("The sorting centre scanned the bundle in: every parcel in it arrived")),
    "bundle.checked": ("merchant, carrier", _("The sorting centre checked the bundle against its manifest")),
    # dispatch
    "dispatch.day_planned": ("carrier", _("A carrier's pickup day was planned")),
    "pickup_task.assigned": ("merchant, carrier", _("A driver was assigned to a warehouse's pickup")),
    "pickup_task.contacted": ("merchant, carrier", _("The driver recorded a call to the warehouse")),
    "pickup_task.closed": ("merchant, carrier", _("The driver closed the stop")),
    "pickup_task.proof_added": ("merchant, carrier", _("The driver added a photo or location at the stop")),
    "pickup_task.failed": ("merchant, carrier", _("A pickup failed, with its reason; parcels retried next day")),
    "handover.confirmed": ("merchant, carrier", _("A handover list was signed; its missing parcels written down")),
    "pickup_window.published": ("carrier", _("A carrier published pickup windows in an area")),
    "pickup_window.withdrawn": ("carrier", _("A carrier withdrew a pickup window")),
    "pickup_closure.added": ("carrier", _("A carrier closed a date for pickups")),
    "pickup_closure.removed": ("carrier", _("A carrier reopened a closed date")),
    "waybill.pickup_slot_booked": ("merchant, carrier", _("The merchant booked or changed a parcel's pickup window")),
    "waybill.pickup_slot_cancelled": ("merchant, carrier", _("A parcel's pickup window booking was cancelled")),
    "driver.created": ("carrier", _("A driver was added")),
    "route.created": ("carrier", _("A route was created")),
    "roster.set": ("carrier", _("A driver's roster entry was set")),
    "roster.removed": ("carrier", _("A driver's roster entry was removed")),
    # switchover
    "switchover.created": ("carriers", _("A carrier switchover was planned")),
    "switchover_batch.scheduled": ("carriers", _("A switchover batch was scheduled with its cutover")),
    "switchover_batch.postponed": ("carriers", _("A switchover batch's cutover moved")),
    "switchover_batch.cancelled": ("carriers", _("A switchover batch was cancelled")),
    "switchover_batch.pushed": ("carriers", _("A batch's addresses were pushed to the incoming carrier")),
    # reverse (seed 003)
    "reverse_order.created": ("merchant, carrier", _("The consolidation warehouse raised a reverse order")),
    "reverse_order.pickup_registered": ("merchant, carrier", _("The merchant registered pickup")),
    "reverse_order.destruction_confirmed": ("merchant, carrier", _("The merchant confirmed destruction")),
    "reverse_order.handed_over": ("merchant, carrier", _("Completed: handed over to the pickup person")),
    "reverse_order.forwarded": ("merchant, carrier", _("Completed: forwarded with a tracking number")),
    "reverse_order.destroyed": ("merchant, carrier", _("Completed: the parcel was destroyed")),
    "reverse_order.exception_raised": ("merchant, carrier", _("The warehouse raised an exception")),
    "reverse_order.exception_closed": ("merchant, carrier", _("An exception was closed with its resolution")),
    "consolidation.agreed": ("merchant, carrier", _("A carrier now consolidates for a merchant")),
    "consolidation.ended": ("merchant, carrier", _("A consolidation agreement ended")),
    # carriers and coverage
    "carrier.created": ("carrier", _("A carrier was registered")),
    "carrier.settings_changed": ("carrier", _("A carrier's hotline or hours changed")),
    "sorting_centre.created": ("carrier", _("A sorting centre was registered")),
    "coverage.assigned": ("carrier", _("A carrier serves an area from an instant")),
    "coverage.rescheduled": ("carrier", _("A coverage row's start or end moved")),
    "coverage.retracted": ("carrier", _("A scheduled coverage row was withdrawn")),
    "coverage.ended": ("carrier", _("A carrier stops serving an area")),
    "coverage_request.submitted": ("carrier", _("A carrier asked to cover an area")),
    "coverage_request.approved": ("carrier", _("Platform operations approved a coverage request")),
    "coverage_request.rejected": ("carrier", _("Platform operations rejected a coverage request")),
    # accounts
    "organisation.created": ("the organisation", _("An organisation was registered")),
    "user.created": ("the organisation", _("A person was added")),
    "user.updated": ("the organisation", _("A person's role or state changed")),
    "user.password_reset": ("the organisation", _("A person's password was set")),
    "api_token.issued": ("the organisation", _("An API token was issued")),
    "api_token.revoked": ("the organisation", _("An API token was revoked")),
    "webhook_endpoint.created": ("the organisation", _("A webhook endpoint was registered")),
    "webhook_endpoint.updated": ("the organisation", _("A webhook endpoint was changed")),
    "webhook_endpoint.secret_rotated": ("the organisation", _("A webhook endpoint's signing secret was rotated")),
    "webhook_endpoint.disabled": ("the organisation", _("A webhook endpoint was disabled")),
    "webhook_endpoint.enabled": ("the organisation", _("A webhook endpoint was enabled again")),
    "webhook_endpoint.deleted": ("the organisation", _("A webhook endpoint was deleted")),
}

# Subscribing to this receives every kind, including ones added later.
ALL_KINDS = "*"


def is_known(kind: str) -> bool:
    return kind in EVENT_TYPES


# The webhook picker's groups: each kind by the resource before its dot.
RESOURCES: list[tuple[object, tuple[str, ...]]] = [
    (_("Pickup requests and warehouses"), ("subscription", "warehouse")),
    (_("Orders and waybills"), ("order", "waybill")),
    (_("Bundles"), ("bundle",)),
    (_("Pickup stops and handover lists"), ("dispatch", "pickup_task", "handover")),
    (_("Pickup windows"), ("pickup_window", "pickup_closure")),
    (_("Drivers and routes"), ("driver", "route", "roster")),
    (_("Switchovers"), ("switchover", "switchover_batch")),
    (_("Reverse orders and consolidation"), ("reverse_order", "consolidation")),
    (_("Carrier, sorting centres and coverage"), ("carrier", "sorting_centre", "coverage", "coverage_request")),
    (_("People and integrations"), ("organisation", "user", "api_token", "webhook_endpoint")),
]


def receives(party: str, kind: str) -> bool:
    """Whether an organisation of ``party`` (merchant, carrier, platform) can ever receive ``kind``."""
    if party == "platform":
        return True
    who = EVENT_TYPES[kind][0]
    return who == "the organisation" or party in who


def picker_groups(party: str) -> list[tuple[object, list[tuple[str, object]]]]:
    """The kinds ``party`` can receive, grouped by resource, each with its meaning."""
    groups = []
    for heading, resources in RESOURCES:
        kinds = [
            (kind, meaning)
            for kind, (_who, meaning) in EVENT_TYPES.items()
            if kind.split(".")[0] in resources and receives(party, kind)
        ]
        if kinds:
            groups.append((heading, kinds))
    return groups


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table, for docs/webhooks.md (a test keeps them equal)."""
    lines = ["| event type | received by | meaning |", "|---|---|---|"]
    for kind, (parties, meaning) in EVENT_TYPES.items():
        lines.append(f"| `{kind}` | {parties} | {meaning} |")
    return "\n".join(lines)
