"""Find anything by its number, and the parcel page: where a parcel is in the first mile, with its
timeline as sentences, its label, slot, stop, handover list, failures and proofs. Each party sees
only its own parcels (another party's number answers as an unknown one)."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from firstmile.bundles.selectors import bundle_list, bundle_of_waybill
from firstmile.core.errors import ApplicationError
from firstmile.core.throttle import allow
from firstmile.dispatch.selectors import handover_lists
from firstmile.dispatch.tracking import sla_clocks, stop_facts, tracking_of, tracking_timeline
from firstmile.reverse.selectors import ReverseFilters, reverse_list
from firstmile.shipping.selectors import booked_slot, order_list, waybill_get, waybill_list

from .access import portal_view

# Waybill, order, reverse-order and handover-list numbers: letters, digits and a few separators.
NUMBER = re.compile(r"[A-Za-z0-9_\-]{3,64}")


def find(actor, portal: str, text: str) -> list[dict]:
    """What the actor's number names: its parcel, order, reverse order or handover list."""
    number = (text or "").strip()
    if not NUMBER.fullmatch(number):
        return []
    found = []
    for w in waybill_list(actor=actor).filter(waybill_no=number.upper())[:5]:
        found.append({"kind": "waybill", "number": w.waybill_no, "url": _url(portal, "parcel", w.waybill_no)})
    if portal == "merchant":
        for o in order_list(actor=actor).filter(order_no=number)[:5]:
            found.append({"kind": "order", "number": o.order_no, "url": reverse("portals:merchant_order", args=[o.pk])})
        for r in reverse_list(actor=actor, filters=ReverseFilters(number=number))[:5]:
            found.append(
                {
                    "kind": "reverse",
                    "number": r.reverse_no,
                    "url": reverse("portals:merchant_reverse_detail", args=[r.pk]),
                }
            )
    for h in handover_lists(actor=actor).filter(number=number.upper())[:5]:
        found.append({"kind": "handover", "number": h.number, "url": _url(portal, "handover", h.pk)})
    for b in bundle_list(actor=actor, search=number)[:5]:
        found.append({"kind": "bundle", "number": b.number, "url": _url(portal, "bundle", b.pk)})
    return found


def _url(portal: str, page: str, key) -> str:
    return reverse(f"portals:{portal}_{page}", args=[key])


def _search(request, portal: str):
    text = request.GET.get("q", "")
    key = f"firstmile:search:{request.user.pk}"
    if not allow(key, limit=settings.FIRSTMILE_SEARCH_LIMIT, window=settings.FIRSTMILE_SEARCH_WINDOW):
        context = {"base_template": f"portals/{portal}/base.html", "q": text[:64], "results": [], "throttled": True}
        return render(request, "portals/shared/search.html", context, status=429)
    results = find(request.actor, portal, text)
    if len(results) == 1:
        return redirect(results[0]["url"])
    return render(
        request,
        "portals/shared/search.html",
        {"base_template": f"portals/{portal}/base.html", "q": text[:64], "results": results, "portal": portal},
    )


def _parcel(request, portal: str, waybill_no: str):
    try:
        waybill = waybill_get(actor=request.actor, waybill_no=waybill_no.upper())
    except ApplicationError as err:
        if err.kind == 403:
            raise
        raise Http404 from None
    tracking = tracking_of(waybill)
    failures, proofs = stop_facts(tracking)
    return render(
        request,
        "portals/shared/parcel.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "t": tracking,
            "w": waybill,
            "slot": booked_slot(waybill),
            "bundle": bundle_of_waybill(waybill.pk),
            "failures": failures,
            "proofs": proofs,
            "timeline": tracking_timeline(actor=request.actor, tracking=tracking),
            "clocks": sla_clocks(tracking),
        },
    )


merchant_search = portal_view("merchant")(lambda request: _search(request, "merchant"))
carrier_search = portal_view("carrier")(lambda request: _search(request, "carrier"))
ops_search = portal_view("ops")(lambda request: _search(request, "ops"))
merchant_parcel = portal_view("merchant")(lambda request, waybill_no: _parcel(request, "merchant", waybill_no))
carrier_parcel = portal_view("carrier")(lambda request, waybill_no: _parcel(request, "carrier", waybill_no))
ops_parcel = portal_view("ops")(lambda request, waybill_no: _parcel(request, "ops", waybill_no))
