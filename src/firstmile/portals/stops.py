"""A stop (揽收单) behind every row that names one: the carrier's dispatch board, the merchant's
today's pickups. Parcels, calls, proofs, failures and handover lists, with its history."""

from __future__ import annotations

from django.shortcuts import render

from firstmile.dispatch.selectors import stop_get, stop_timeline

from .access import portal_view


def _page(request, portal: str, task_id: int):
    task = stop_get(actor=request.actor, task_id=task_id)  # another party's stop: 404 (the middleware)
    return render(
        request,
        "portals/shared/stop.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "task": task,
            "timeline": stop_timeline(actor=request.actor, task=task)[:100],
        },
    )


@portal_view("carrier")
def carrier_stop(request, task_id: int):
    return _page(request, "carrier", task_id)


@portal_view("merchant")
def merchant_stop(request, task_id: int):
    return _page(request, "merchant", task_id)


@portal_view("ops")
def ops_stop(request, task_id: int):
    return _page(request, "ops", task_id)
