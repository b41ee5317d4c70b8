"""What a scan bar tells the person scanning: one parcel, or a whole bundle."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firstmile.dispatch.services import BundleScan


def _left_out(result: BundleScan) -> str:
    if not result.skipped:
        return ""
    return " " + _("Voided labels taken out of it, not to be carried: %(nos)s.") % {"nos": ", ".join(result.skipped)}


def collected_message(result) -> str:
    if isinstance(result, BundleScan):
        return ngettext(
            "Collected bundle %(no)s: %(count)d parcel.",
            "Collected bundle %(no)s: %(count)d parcels.",
            result.parcels,
        ) % {"no": result.bundle.number, "count": result.parcels} + _left_out(result)
    return _("Collected %(no)s.") % {"no": result.waybill_no}


def received_message(result) -> str:
    if isinstance(result, BundleScan):
        return ngettext(
            "Bundle %(no)s received: %(count)d parcel.",
            "Bundle %(no)s received: %(count)d parcels.",
            result.parcels,
        ) % {"no": result.bundle.number, "count": result.parcels} + _left_out(result)
    return _("%(no)s received.") % {"no": result.waybill_no}
