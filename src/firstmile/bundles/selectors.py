"""Reads of bundles, each scoped to the actor: a merchant its own, a carrier those it carries or collected."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.core.errors import Conflict, NotFound

from . import error_codes
from .models import Bundle, BundleParcel, BundleStatus


def bundle_list(
    *, actor: Actor, status: str | None = None, warehouse_id: int | None = None, search: str = ""
) -> QuerySet[Bundle]:
    require(actor, Operation.RECORDS_VIEW)
    bundles = Bundle.objects.select_related("warehouse", "carrier", "sorting_centre", "collected_by")
    if actor.is_merchant:
        bundles = bundles.filter(merchant=actor.organisation)
    elif actor.is_carrier:
        org = actor.organisation
        bundles = bundles.filter(Q(carrier__organisation=org) | Q(collected_by__organisation=org))
    elif not actor.is_platform:
        return bundles.none()
    if status:
        bundles = bundles.filter(status=status)
    if warehouse_id:
        bundles = bundles.filter(warehouse_id=warehouse_id)
    number = (search or "").strip().upper()[:40]
    if number:
        bundles = bundles.filter(Q(number=number) | Q(express_tracking_no=number))
    return bundles.order_by("-id")


def bundle_get(*, actor: Actor, bundle_id: int | None = None, number: str | None = None) -> Bundle:
    bundles = bundle_list(actor=actor)
    bundle = (
        bundles.filter(pk=bundle_id) if bundle_id else bundles.filter(number=(number or "").strip().upper())
    ).first()
    if bundle is None:
        raise NotFound(error_codes.BUNDLE_NOT_FOUND, _("No such bundle."), field="bundle_id")
    return bundle


def bundle_parcels(bundle: Bundle) -> QuerySet[BundleParcel]:
    """The parcels in a bundle the actor was allowed to see (bundle_get), by waybill number."""
    return (
        BundleParcel.objects.filter(bundle=bundle, removed_at__isnull=True)
        .select_related("waybill")
        .order_by("waybill__waybill_no")
    )


def bundle_of_waybill(waybill_id: int) -> Bundle | None:
    """The bundle a parcel is in now (open, closed, collected or received), if any."""
    line = (
        BundleParcel.objects.select_related("bundle")
        .filter(waybill_id=waybill_id, removed_at__isnull=True)
        .only("bundle")
        .first()
    )
    return line.bundle if line else None


def bundle_printable(*, actor: Actor, bundle_id: int) -> Bundle:
    """A bundle whose label may be printed: closed or later (an open one has no final count or weight)."""
    bundle = bundle_get(actor=actor, bundle_id=bundle_id)
    if bundle.status in (BundleStatus.OPEN, BundleStatus.CANCELLED):
        raise Conflict(
            error_codes.BUNDLE_WRONG_STATE,
            _("Bundle %(no)s is %(status)s: its label is printed once it is closed.")
            % {"no": bundle.number, "status": bundle.get_status_display()},
            field="bundle_id",
        )
    return bundle


def manifest_rows(bundle: Bundle) -> list[tuple[str, str, bool]]:
    """Every parcel in the bundle as (waybill number, order number, missing at the check), by waybill number."""
    return list(bundle_parcels(bundle).values_list("waybill__waybill_no", "waybill__order__order_no", "missing"))


def bundles_at_sorting_centres(*, actor: Actor) -> tuple[QuerySet[Bundle], QuerySet[Bundle]]:
    """A carrier's bundles on their way to its sorting centres (collected by it, or closed DROP OFF ones
    addressed to it) and those received but not yet checked against their manifests."""
    require(actor, Operation.RECORDS_VIEW)
    org = actor.organisation
    bundles = Bundle.objects.select_related("warehouse", "merchant").order_by("id")
    coming = bundles.filter(
        Q(status=BundleStatus.COLLECTED, collected_by__organisation=org)
        | Q(status=BundleStatus.CLOSED, handover_method="DROP_OFF", carrier__organisation=org)
    )
    unchecked = bundles.filter(status=BundleStatus.RECEIVED, collected_by__organisation=org, checked_at__isnull=True)
    return coming, unchecked
