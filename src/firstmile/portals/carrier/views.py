from django.shortcuts import render

from firstmile.carriers.selectors import carrier_of, coverage_list, sorting_centre_list
from firstmile.core.clock import now
from firstmile.portals.access import portal_view


@portal_view("carrier")
def home(request):
    carrier = carrier_of(request.actor)
    return render(
        request,
        "portals/carrier/home.html",
        {
            "carrier": carrier,
            "sorting_centres": sorting_centre_list(carrier=carrier) if carrier else [],
            "coverage": coverage_list(actor=request.actor, at=now()) if carrier else [],
        },
    )
