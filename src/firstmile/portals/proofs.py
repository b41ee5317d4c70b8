"""Proof-of-pickup photos, streamed through the same checks as every other read."""

from __future__ import annotations

from django.http import FileResponse, Http404

from firstmile.core.errors import ApplicationError
from firstmile.dispatch.selectors import proof_get

from .access import portal_view


def _photo(request, proof_id: int):
    try:
        proof = proof_get(actor=request.actor, proof_id=proof_id)
    except ApplicationError as err:
        if err.kind == 403:
            raise
        raise Http404 from None
    if not proof.photo:
        raise Http404
    return FileResponse(proof.photo.open("rb"), filename=proof.photo.name.rsplit("/", 1)[-1])


@portal_view("driver")
def driver_proof_photo(request, proof_id: int):
    return _photo(request, proof_id)


@portal_view("merchant")
def merchant_proof_photo(request, proof_id: int):
    return _photo(request, proof_id)


@portal_view("carrier")
def carrier_proof_photo(request, proof_id: int):
    return _photo(request, proof_id)


@portal_view("ops")
def ops_proof_photo(request, proof_id: int):
    return _photo(request, proof_id)
