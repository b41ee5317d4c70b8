"""Bundles (集包) in the portals: the merchant packs, closes and prints them; the carrier sees what it
carries and checks opened bundles at the sorting centre; operations see them all."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from firstmile.bundles.labels import bundle_label_zpl, label_data, render_bundle_label, render_manifest
from firstmile.bundles.models import BundleStatus
from firstmile.bundles.selectors import bundle_get, bundle_list, bundle_parcels, bundle_printable, manifest_rows
from firstmile.bundles.services import bundle_bind, bundle_cancel, bundle_close, bundle_create, bundle_unbind
from firstmile.core.errors import ApplicationError
from firstmile.dispatch.services import bundle_check_finish, bundle_check_scan
from firstmile.events.selectors import event_list
from firstmile.pickup.selectors import warehouse_list
from firstmile.shipping.models import HandoverMethod

from .access import portal_view

PARCELS_SHOWN = 500


def _list(request, portal: str):
    status = request.GET.get("status", "")
    query = (request.GET.get("q") or "").strip()[:40]
    rows = bundle_list(actor=request.actor, status=status if status in BundleStatus.values else None, search=query)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "base_template": f"portals/{portal}/base.html",
        "portal": portal,
        "page": page,
        "query": params.urlencode(),
        "status": status,
        "q": query,
        "statuses": BundleStatus.choices,
    }
    if portal == "merchant":
        context["warehouses"] = list(warehouse_list(actor=request.actor).order_by("code")[:500])
        context["methods"] = HandoverMethod.choices
    return render(request, "portals/shared/bundles.html", context)


def _detail(request, portal: str, bundle_id: int):
    bundle = bundle_get(actor=request.actor, bundle_id=bundle_id)  # another party's: 404 (the middleware)
    parcels = bundle_parcels(bundle)
    return render(
        request,
        "portals/shared/bundle.html",
        {
            "base_template": f"portals/{portal}/base.html",
            "portal": portal,
            "bundle": bundle,
            "parcels": parcels[:PARCELS_SHOWN],
            "more_parcels": max(0, bundle.parcel_count - PARCELS_SHOWN),
            "checked": parcels.filter(checked_at__isnull=False, missing=False).count()
            if bundle.status == BundleStatus.RECEIVED
            else 0,
            "timeline": event_list(
                actor=request.actor, subject_type="bundles.bundle", subject_id=str(bundle.pk)
            ).select_related("actor_user", "actor_organisation")[:100],
            "can_check": portal == "carrier"
            and bundle.status == BundleStatus.RECEIVED
            and bundle.checked_at is None
            and bundle.collected_by_id is not None
            and bundle.collected_by.organisation_id == request.actor.organisation.pk,
        },
    )


def _file(content: bytes, media_type: str, name: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    return response


def _label(request, bundle_id: int, fmt: str):
    try:
        bundle = bundle_printable(actor=request.actor, bundle_id=bundle_id)
    except ApplicationError as err:
        if err.kind != 409:
            raise
        messages.error(request, err.message)
        return redirect(f"portals:{request.actor.organisation.kind}_bundle", bundle_id=bundle_id)
    if fmt == "zpl":
        return _file(bundle_label_zpl(label_data(bundle)), "application/zpl", f"{bundle.number}.zpl", inline=False)
    return _file(render_bundle_label(label_data(bundle)), "application/pdf", f"{bundle.number}.pdf", inline=True)


def _manifest(request, bundle_id: int):
    bundle = bundle_get(actor=request.actor, bundle_id=bundle_id)
    content = render_manifest(label_data(bundle), manifest_rows(bundle))
    return _file(content, "application/pdf", f"{bundle.number}-manifest.pdf", inline=True)


def _say_results(request, results) -> None:
    for result in results:
        if not result.ok:
            messages.error(request, result.error["message"])
    bound = sum(1 for r in results if r.ok)
    if bound:
        message = ngettext("%(n)d parcel bound into the bundle.", "%(n)d parcels bound into the bundle.", bound)
        messages.success(request, message % {"n": bound})


# -- the merchant ---------------------------------------------------------------------------


@portal_view("merchant")
def merchant_bundles(request):
    if request.method == "POST":
        try:
            bundle, _results = bundle_create(
                actor=request.actor,
                warehouse_id=_int(request.POST.get("warehouse_id")),
                handover_method=request.POST.get("handover_method", ""),
                express_company=request.POST.get("express_company", ""),
                express_tracking_no=request.POST.get("express_tracking_no", ""),
                sender_phone_tail=request.POST.get("sender_phone_tail", ""),
            )
        except ApplicationError as err:
            messages.error(request, err.message)
            return redirect("portals:merchant_bundles")
        messages.success(request, _("Bundle %(no)s opened: scan its parcels' labels.") % {"no": bundle.number})
        return redirect("portals:merchant_bundle", bundle_id=bundle.pk)
    return _list(request, "merchant")


def _int(value) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else 0


@portal_view("merchant")
def merchant_bundle(request, bundle_id: int):
    return _detail(request, "merchant", bundle_id)


@portal_view("merchant")
@require_POST
def merchant_bundle_bind(request, bundle_id: int):
    try:
        _bundle, results = bundle_bind(
            actor=request.actor, bundle_id=bundle_id, waybill_nos=_numbers(request.POST.get("waybill_no", ""))
        )
    except ApplicationError as err:
        _unless_not_found(err)
        messages.error(request, err.message)
    else:
        _say_results(request, results)
    return redirect("portals:merchant_bundle", bundle_id=bundle_id)


def _unless_not_found(err: ApplicationError) -> None:
    """Another party's bundle (or none) is a 404 page, never a message on a page of ours."""
    if err.kind == 404 and err.field == "bundle_id":
        raise err


def _numbers(text: str) -> list[str]:
    """A scan, or numbers pasted one per line or separated by spaces or commas."""
    return [n for n in text.replace(",", " ").split() if n]


@portal_view("merchant")
@require_POST
def merchant_bundle_unbind(request, bundle_id: int):
    try:
        _bundle, results = bundle_unbind(
            actor=request.actor, bundle_id=bundle_id, waybill_nos=_numbers(request.POST.get("waybill_no", ""))
        )
    except ApplicationError as err:
        _unless_not_found(err)
        messages.error(request, err.message)
    else:
        for result in results:
            if result.ok:
                messages.success(request, _("%(no)s taken out of the bundle.") % {"no": result.waybill_no})
            else:
                messages.error(request, result.error["message"])
    return redirect("portals:merchant_bundle", bundle_id=bundle_id)


@portal_view("merchant")
@require_POST
def merchant_bundle_close(request, bundle_id: int):
    post = request.POST
    express = {}
    if post.get("handover_method_drop_off"):
        express = {
            "express_company": post.get("express_company", ""),
            "express_tracking_no": post.get("express_tracking_no", ""),
            "sender_phone_tail": post.get("sender_phone_tail", ""),
        }
    try:
        bundle = bundle_close(
            actor=request.actor,
            bundle_id=bundle_id,
            weight_kg=post.get("weight_kg", ""),
            length_cm=post.get("length_cm", ""),
            width_cm=post.get("width_cm", ""),
            height_cm=post.get("height_cm", ""),
            **express,
        )
    except ApplicationError as err:
        _unless_not_found(err)
        messages.error(request, err.message)
    else:
        messages.success(request, _("Bundle %(no)s closed: print its label and stick it on.") % {"no": bundle.number})
    return redirect("portals:merchant_bundle", bundle_id=bundle_id)


@portal_view("merchant")
@require_POST
def merchant_bundle_cancel(request, bundle_id: int):
    try:
        bundle = bundle_cancel(actor=request.actor, bundle_id=bundle_id)
    except ApplicationError as err:
        _unless_not_found(err)
        messages.error(request, err.message)
    else:
        messages.success(request, _("Bundle %(no)s cancelled: its parcels are free again.") % {"no": bundle.number})
    return redirect("portals:merchant_bundle", bundle_id=bundle_id)


@portal_view("merchant")
def merchant_bundle_label(request, bundle_id: int):
    return _label(request, bundle_id, "pdf")


@portal_view("merchant")
def merchant_bundle_label_zpl(request, bundle_id: int):
    return _label(request, bundle_id, "zpl")


@portal_view("merchant")
def merchant_bundle_manifest(request, bundle_id: int):
    return _manifest(request, bundle_id)


# -- the carrier ----------------------------------------------------------------------------


@portal_view("carrier")
def carrier_bundles(request):
    return _list(request, "carrier")


@portal_view("carrier")
def carrier_bundle(request, bundle_id: int):
    return _detail(request, "carrier", bundle_id)


@portal_view("carrier")
def carrier_bundle_label(request, bundle_id: int):
    return _label(request, bundle_id, "pdf")


@portal_view("carrier")
def carrier_bundle_manifest(request, bundle_id: int):
    return _manifest(request, bundle_id)


@portal_view("carrier")
@require_POST
def carrier_bundle_check_scan(request, bundle_id: int):
    try:
        line = bundle_check_scan(
            actor=request.actor, bundle_id=bundle_id, waybill_no=request.POST.get("waybill_no", "")
        )
    except ApplicationError as err:
        _unless_not_found(err)
        messages.error(request, err.message)
    else:
        messages.success(request, _("%(no)s is on the manifest.") % {"no": line.waybill.waybill_no})
    return redirect("portals:carrier_bundle", bundle_id=bundle_id)


@portal_view("carrier")
@require_POST
def carrier_bundle_check_finish(request, bundle_id: int):
    try:
        bundle = bundle_check_finish(actor=request.actor, bundle_id=bundle_id)
    except ApplicationError as err:
        if err.kind == 404:
            raise
        messages.error(request, err.message)
    else:
        messages.success(
            request,
            _("Bundle %(no)s checked: %(missing)d parcels missing, reported to the merchant.")
            % {"no": bundle.number, "missing": bundle.missing_count},
        )
    return redirect("portals:carrier_bundle", bundle_id=bundle_id)


# -- platform operations --------------------------------------------------------------------


@portal_view("ops")
def ops_bundles(request):
    return _list(request, "ops")


@portal_view("ops")
def ops_bundle(request, bundle_id: int):
    return _detail(request, "ops", bundle_id)


@portal_view("ops")
def ops_bundle_manifest(request, bundle_id: int):
    return _manifest(request, bundle_id)
