"""Each portal's side menu: grouped as seller centres group theirs, showing only what the actor can use.

A group is a heading and its entries; an entry is a page (its URL name), the URL
names for which it is the current entry, and who may see it. The menu is built
per request by the `party` context processor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Role
from firstmile.reverse.selectors import consolidation_list


@dataclass(frozen=True)
class Entry:
    label: object
    url_name: str
    # Entry is current for its own page and for any URL name containing one of these.
    current_for: tuple[str, ...] = ()
    shown_if: Callable[[Actor], bool] | None = None
    external: bool = False  # Django admin: not a portal page


def _admins(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def _consolidates(actor: Actor) -> bool:
    # A carrier that runs no consolidation warehouse has no reverse orders to work.
    return consolidation_list(actor=actor).exists()


SETTINGS = _("Settings & integrations")

MENUS: dict[str, list[tuple[object, list[Entry]]]] = {
    "merchant": [
        (_("Home"), [Entry(_("Merchant home"), "merchant_home")]),
        (
            _("Warehouses & pickup"),
            [
                Entry(_("Warehouses"), "merchant_warehouses", ("warehouse", "merchant_stop")),
                Entry(_("No driver has called?"), "merchant_pickup_help"),
            ],
        ),
        (
            _("Orders & shipping"),
            [
                Entry(_("Orders"), "merchant_orders", ("order", "arrange", "labels", "pickup_slot", "waybill")),
                Entry(_("Bundles"), "merchant_bundles", ("merchant_bundle",)),
            ],
        ),
        (
            _("Handover & tracking"),
            [
                Entry(_("Handover lists"), "merchant_handovers", ("merchant_handover",)),
                Entry(_("Needs attention"), "merchant_attention"),
                Entry(_("Performance"), "merchant_performance", ("merchant_performance",)),
            ],
        ),
        (_("Returns"), [Entry(_("Reverse orders"), "merchant_reverse", ("reverse",))]),
        (
            SETTINGS,
            [
                Entry(_("Background jobs"), "merchant_jobs", ("_job",)),
                Entry(_("Webhooks"), "merchant_webhooks", ("webhook",)),
                Entry(_("People & integrations"), "merchant_people", shown_if=_admins),
            ],
        ),
    ],
    "carrier": [
        (_("Home"), [Entry(_("Carrier home"), "carrier_home")]),
        (
            _("Pickup"),
            [
                Entry(_("Pickup requests"), "carrier_pickup_requests", ("carrier_pickup_request",)),
                Entry(_("Pickup windows"), "carrier_pickup_windows", ("carrier_pickup_windows",)),
            ],
        ),
        (
            _("Dispatch"),
            [
                Entry(_("Dispatch"), "carrier_dispatch", ("carrier_dispatch", "carrier_task", "carrier_stop")),
                Entry(_("Drivers and routes"), "carrier_team", ("carrier_team",)),
                Entry(_("Needs attention"), "carrier_attention"),
                Entry(_("Performance"), "carrier_performance", ("carrier_performance",)),
            ],
        ),
        (
            _("Handover & sorting"),
            [
                Entry(_("Handover lists"), "carrier_handovers", ("carrier_handover",)),
                Entry(_("Bundles"), "carrier_bundles", ("carrier_bundle",)),
                Entry(_("Sorting centre"), "carrier_inbound", ("carrier_sorting_centre",)),
            ],
        ),
        (_("Returns"), [Entry(_("Reverse orders"), "carrier_reverse", ("reverse",), shown_if=_consolidates)]),
        (
            SETTINGS,
            [
                Entry(_("Background jobs"), "carrier_jobs", ("_job",)),
                Entry(_("Webhooks"), "carrier_webhooks", ("webhook",)),
                Entry(_("People & integrations"), "carrier_people", shown_if=_admins),
            ],
        ),
    ],
    "ops": [
        (
            _("Home"),
            [Entry(_("Operations home"), "ops_home"), Entry(_("Needs attention"), "ops_attention")],
        ),
        (
            _("Pickup network"),
            [
                Entry(_("Coverage"), "ops_coverage", ("coverage",)),
                Entry(_("Switchovers"), "ops_switchovers", ("ops_switchover", "ops_batch")),
                Entry(_("Consolidation"), "ops_consolidation"),
                Entry(_("Organisations"), "ops_organisations", ("ops_organisation",)),
            ],
        ),
        (
            _("Handover & tracking"),
            [
                Entry(_("Handover lists"), "ops_handovers", ("ops_handover", "ops_stop")),
                Entry(_("Bundles"), "ops_bundles", ("ops_bundle",)),
                Entry(_("Carrier performance"), "ops_performance", ("ops_performance",)),
            ],
        ),
        (
            SETTINGS,
            [
                Entry(_("Background jobs"), "ops_jobs", ("_job",)),
                Entry(_("Webhooks"), "ops_webhooks", ("webhook",)),
                Entry(_("People & integrations"), "ops_people", shown_if=_admins),
                Entry(_("Admin"), "admin:index", external=True),
            ],
        ),
    ],
}


def portal_menu(portal: str, actor: Actor, current: str | None) -> list[dict]:
    """The groups and entries this actor sees in ``portal``'s side menu, the current page's marked."""
    groups = []
    for heading, entries in MENUS.get(portal, []):
        shown = []
        for entry in entries:
            if entry.shown_if is not None and not entry.shown_if(actor):
                continue
            name = entry.url_name if entry.external else f"portals:{entry.url_name}"
            is_current = bool(current) and (
                current == entry.url_name or any(part in current for part in entry.current_for)
            )
            shown.append({"label": entry.label, "url": reverse(name), "current": is_current})
        if shown:
            groups.append({"heading": heading, "entries": shown})
    return groups
