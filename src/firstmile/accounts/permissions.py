"""Who may do what: one table of (party, role) → operation, checked by every service.

Portal views, API endpoints, sessions and tokens all end in a service or selector
that calls :func:`require` before it reads or changes anything, so the table below
is the whole rule; the README prints it (``firstmile permissions`` renders it) and
``tests/accounts/test_permission_matrix.py`` walks every cell of it.

The organisation a row belongs to (which merchant's warehouse, which carrier's
queue) is a separate check, done by the selectors' scoping: this table only says
what a role may do inside its own party.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from firstmile.core import error_codes as core_codes
from firstmile.core.errors import Forbidden

from .models import OrganisationKind, Role


class Operation(StrEnum):
    # accounts
    ORGANISATION_MANAGE = "organisation.manage"  # register parties
    USER_MANAGE = "user.manage"  # add people, change their role, deactivate, reset passwords
    TOKEN_MANAGE = "token.manage"  # issue, list and revoke API tokens
    CONSOLIDATION_MANAGE = "consolidation.manage"  # which carrier consolidates for which merchant
    RECORDS_VIEW = "records.view"  # the party's lists, details, exports and events
    WEBHOOK_MANAGE = "webhook.manage"  # webhook endpoints, their secrets, replaying deliveries
    # carriers
    CARRIER_MANAGE = "carrier.manage"  # register carriers and sorting centres
    CARRIER_SETTINGS = "carrier.settings"  # a carrier's hotline, service hours, names
    COVERAGE_MANAGE = "coverage.manage"  # who serves which area from when; decide coverage requests
    COVERAGE_REQUEST = "coverage.request"  # a carrier asks the platform to cover an area
    # pickup
    WAREHOUSE_MANAGE = "warehouse.manage"  # add, edit, import warehouses; cancel pickup
    PICKUP_REVIEW = "pickup.review"  # approve or reject pickup requests
    # shipping
    SHIPPING_MANAGE = "shipping.manage"  # orders, arrange shipment, labels, void
    # dispatch
    DISPATCH_MANAGE = "dispatch.manage"  # drivers, routes, roster, day plan, assign and close stops
    DISPATCH_DRIVE = "dispatch.drive"  # a driver's own stops: calls, scans, closing a stop
    INBOUND_SCAN = "dispatch.inbound"  # the sorting centre's inbound scan
    # switchover
    SWITCHOVER_MANAGE = "switchover.manage"  # plans, batches, push, postpone, cancel
    # reverse
    REVERSE_RAISE = "reverse.raise"  # the consolidation warehouse raises reverse orders
    REVERSE_WORK = "reverse.work"  # hand over, forward, destroy, raise exceptions
    REVERSE_EXCEPTION_CLOSE = "reverse.exception_close"  # close an exception with its resolution
    REVERSE_REGISTER = "reverse.register"  # the merchant registers pickup, confirms destruction


OPERATION_LABELS = {
    Operation.ORGANISATION_MANAGE: _("register organisations"),
    Operation.USER_MANAGE: _("manage the organisation's users"),
    Operation.TOKEN_MANAGE: _("manage API tokens"),
    Operation.CONSOLIDATION_MANAGE: _("manage consolidation agreements"),
    Operation.RECORDS_VIEW: _("view the organisation's records"),
    Operation.WEBHOOK_MANAGE: _("manage webhook endpoints and replay deliveries"),
    Operation.CARRIER_MANAGE: _("register carriers and sorting centres"),
    Operation.CARRIER_SETTINGS: _("change the carrier's settings"),
    Operation.COVERAGE_MANAGE: _("assign coverage"),
    Operation.COVERAGE_REQUEST: _("request coverage for the carrier"),
    Operation.WAREHOUSE_MANAGE: _("manage warehouses"),
    Operation.PICKUP_REVIEW: _("review pickup requests"),
    Operation.SHIPPING_MANAGE: _("manage orders and shipments"),
    Operation.DISPATCH_MANAGE: _("dispatch drivers and stops"),
    Operation.DISPATCH_DRIVE: _("work a driver's stops"),
    Operation.INBOUND_SCAN: _("scan parcels in at the sorting centre"),
    Operation.SWITCHOVER_MANAGE: _("run carrier switchovers"),
    Operation.REVERSE_RAISE: _("raise reverse orders"),
    Operation.REVERSE_WORK: _("work reverse orders at the warehouse"),
    Operation.REVERSE_EXCEPTION_CLOSE: _("close reverse-order exceptions"),
    Operation.REVERSE_REGISTER: _("register pickup or confirm destruction"),
}

M, C, P = OrganisationKind.MERCHANT, OrganisationKind.CARRIER, OrganisationKind.PLATFORM
ADMIN, STAFF, DRIVER = Role.ADMIN, Role.STAFF, Role.DRIVER

# Every (party, role) pair that exists; drivers only at carriers.
PRINCIPALS: tuple[tuple[str, str], ...] = (
    (M, ADMIN),
    (M, STAFF),
    (C, ADMIN),
    (C, STAFF),
    (C, DRIVER),
    (P, ADMIN),
    (P, STAFF),
)

PERMISSIONS: dict[Operation, frozenset[tuple[str, str]]] = {
    Operation.ORGANISATION_MANAGE: frozenset({(P, ADMIN)}),
    Operation.USER_MANAGE: frozenset({(M, ADMIN), (C, ADMIN), (P, ADMIN)}),
    Operation.TOKEN_MANAGE: frozenset({(M, ADMIN), (C, ADMIN), (P, ADMIN)}),
    Operation.CONSOLIDATION_MANAGE: frozenset({(P, ADMIN), (P, STAFF)}),
    Operation.RECORDS_VIEW: frozenset({(M, ADMIN), (M, STAFF), (C, ADMIN), (C, STAFF), (P, ADMIN), (P, STAFF)}),
    Operation.WEBHOOK_MANAGE: frozenset({(M, ADMIN), (C, ADMIN)}),
    Operation.CARRIER_MANAGE: frozenset({(P, ADMIN), (P, STAFF)}),
    Operation.CARRIER_SETTINGS: frozenset({(C, ADMIN), (P, ADMIN), (P, STAFF)}),
    Operation.COVERAGE_MANAGE: frozenset({(P, ADMIN), (P, STAFF)}),
    Operation.COVERAGE_REQUEST: frozenset({(C, ADMIN)}),
    Operation.WAREHOUSE_MANAGE: frozenset({(M, ADMIN), (M, STAFF)}),
    Operation.PICKUP_REVIEW: frozenset({(C, ADMIN), (C, STAFF)}),
    Operation.SHIPPING_MANAGE: frozenset({(M, ADMIN), (M, STAFF)}),
    Operation.DISPATCH_MANAGE: frozenset({(C, ADMIN), (C, STAFF)}),
    Operation.DISPATCH_DRIVE: frozenset({(C, DRIVER)}),
    Operation.INBOUND_SCAN: frozenset({(C, ADMIN), (C, STAFF)}),
    Operation.SWITCHOVER_MANAGE: frozenset({(P, ADMIN), (P, STAFF)}),
    Operation.REVERSE_RAISE: frozenset({(C, ADMIN), (C, STAFF)}),
    Operation.REVERSE_WORK: frozenset({(C, ADMIN), (C, STAFF)}),
    Operation.REVERSE_EXCEPTION_CLOSE: frozenset({(C, ADMIN), (C, STAFF), (P, ADMIN), (P, STAFF)}),
    Operation.REVERSE_REGISTER: frozenset({(M, ADMIN), (M, STAFF)}),
}


def principal_of(actor) -> tuple[str, str]:
    return (actor.organisation.kind, actor.role)


def allows(actor, operation: Operation) -> bool:
    """Whether the actor's party and role may perform ``operation`` (None = the system itself)."""
    if actor is None:
        return True
    if not actor.organisation.is_active:
        return False
    return principal_of(actor) in PERMISSIONS[operation]


def require(actor, operation: Operation) -> None:
    """Refuse with 403 unless the actor's role may perform ``operation``; the system (None) always may."""
    if not allows(actor, operation):
        raise Forbidden(
            core_codes.FORBIDDEN,
            _("Your role (%(role)s) may not %(operation)s.")
            % {"role": role_label(actor), "operation": OPERATION_LABELS[operation]},
        )


def role_label(actor) -> str:
    return f"{OrganisationKind(actor.organisation.kind).label} · {Role(actor.role).label}"


def matrix_markdown() -> str:
    """The table as Markdown, for the README (a test keeps the two equal)."""
    headers = [f"{OrganisationKind(kind).value} {role}" for kind, role in PRINCIPALS]
    lines = ["| operation | " + " | ".join(headers) + " |", "|---" * (len(headers) + 1) + "|"]
    for operation in Operation:
        cells = ["✓" if principal in PERMISSIONS[operation] else "·" for principal in PRINCIPALS]
        lines.append(f"| `{operation.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
