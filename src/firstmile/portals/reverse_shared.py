"""What the merchant's and the consolidation warehouse's reverse pages share."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.http import url_has_allowed_host_and_scheme

from firstmile.core.errors import ApplicationError
from firstmile.reverse.selectors import destruction_photo_get


def back_to(request, default: str) -> str:
    """Where a form came from, if it is a page of this site; else ``default``."""
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def ids_of(request) -> list[str]:
    return [i for value in request.POST.getlist("ids") + request.GET.getlist("ids") for i in value.split(",") if i]


def destruction_photo_response(request, reverse_order_id: int):
    try:
        photo = destruction_photo_get(actor=request.actor, reverse_order_id=reverse_order_id)
    except ApplicationError:
        raise Http404
    return FileResponse(photo.open("rb"), filename=photo.name.rsplit("/", 1)[-1])
