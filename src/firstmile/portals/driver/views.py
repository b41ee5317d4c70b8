from django.shortcuts import render

from firstmile.carriers.selectors import carrier_of, sorting_centre_list
from firstmile.portals.access import portal_view


@portal_view("driver")
def home(request):
    carrier = carrier_of(request.actor)
    return render(
        request,
        "portals/driver/home.html",
        {"carrier": carrier, "sorting_centres": sorting_centre_list(carrier=carrier) if carrier else []},
    )
