"""Needs attention: overdue reviews, failed pickups, flagged and stale parcels, in each party's portal."""

from __future__ import annotations

from django.shortcuts import render

from firstmile.dispatch.selectors import attention

from .access import portal_view


def _page(request, portal: str):
    return render(
        request,
        "portals/shared/attention.html",
        {"base_template": f"portals/{portal}/base.html", "a": attention(actor=request.actor), "portal": portal},
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
