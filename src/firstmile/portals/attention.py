"""Needs attention: overdue reviews, failed pickups, flagged and stale parcels, and reverse orders
waiting for the party, in each party's portal."""

from __future__ import annotations

from django.shortcuts import render

from firstmile.dispatch.selectors import attention
from firstmile.reverse.selectors import carrier_worklist

from .access import portal_view
from .todo import reverse_waiting


def _open_exceptions(actor):
    return carrier_worklist(actor=actor, status="exceptions").select_related("carrier")[:50]


def _page(request, portal: str):
    return render(
        request,
        "portals/shared/attention.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "a": attention(actor=request.actor),
            "portal": portal,
            "reverse_tiles": reverse_waiting(request.actor, portal),
            # Operations has no reverse list of its own: the open exceptions are listed here.
            "reverse_exceptions": carrier_worklist(actor=request.actor, status="exceptions").select_related("carrier")[
                :50
            ]
            if portal == "ops"
            else [],
        },
    )


@portal_view("ops")
def ops_attention(request):
    return _page(request, "ops")


@portal_view("carrier")
def carrier_attention(request):
    return _page(request, "carrier")


@portal_view("merchant")
def merchant_attention(request):
    return _page(request, "merchant")
