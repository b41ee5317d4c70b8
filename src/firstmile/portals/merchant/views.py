from django.shortcuts import render

from firstmile.carriers.selectors import carrier_list
from firstmile.portals.access import portal_view
from firstmile.portals.regions import build_picker


@portal_view("merchant")
def home(request):
    return render(
        request,
        "portals/merchant/home.html",
        {"carriers": carrier_list(actor=request.actor), "picker": build_picker("division", None)},
    )
