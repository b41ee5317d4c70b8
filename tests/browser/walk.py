"""Every page of every portal, as each role sees it: the list comes from the URL configuration, so a
new page is walked (or has to be named below with the reason it is not) before the suite passes.

Used by tests/browser/test_page_walk.py, and by `make screenshots` through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import URLPattern

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import User
from firstmile.bundles.models import Bundle
from firstmile.core.clock import now
from firstmile.dispatch.models import HandoverList, PickupTask
from firstmile.dispatch.services import scan_pickup
from firstmile.events.models import Job, WebhookDelivery
from firstmile.events.services import endpoint_create
from firstmile.pickup.models import PickupSubscription, Warehouse
from firstmile.portals.urls import urlpatterns
from firstmile.reverse.imports import TEMPLATE_HEADINGS, reverse_import_start
from firstmile.reverse.jobs import reverse_export_start
from firstmile.reverse.models import ReverseOrder
from firstmile.shipping.models import Order, Waybill
from firstmile.shipping.selectors import waybill_list
from firstmile.shipping.services import order_create
from firstmile.switchover.models import Switchover, SwitchoverBatch
from firstmile.switchover.services import batch_push_start, batch_schedule, switchover_create

# Not pages: form targets (POST only), files (PDF, ZPL, photos, downloads) and htmx fragments.
# Each is exercised by the tests of its feature.
NOT_PAGES = {
    "logout": "POST only",
    "region_picker": "htmx fragment of the region picker",
    "coverage_check": "htmx fragment of the coverage check",
    "address_parse": "htmx fragment of the address reader (POST)",
    "merchant_warehouse_cancel_pickup": "POST only",
    "merchant_order_new": "POST only",
    "merchant_arrange": "POST only",
    "merchant_pickup_slot_book": "POST only",
    "merchant_pickup_slot_cancel": "POST only",
    "merchant_waybill_void": "POST only",
    "merchant_labels": "a PDF or ZPL file",
    "merchant_reverse_export": "starts a job and redirects to it",
    "merchant_reverse_confirm_destruction": "POST only",
    "merchant_destruction_photo": "a photo file",
    "carrier_destruction_photo": "a photo file",
    "carrier_reverse_action": "POST only",
    "carrier_dispatch_plan": "POST only",
    "carrier_task_assign": "POST only",
    "carrier_pickup_windows_action": "POST only",
    "carrier_team_action": "POST only",
    "carrier_inbound": "the scan box's target; opened, it redirects to the sorting centre's page",
    "carrier_pickup_requests_decide": "POST only",
    "ops_batch_new": "POST only",
    "ops_batch_progress": "htmx fragment of the batch page",
    "ops_batch_action": "POST only",
    "ops_coverage_request_decide": "POST only",
    "merchant_job_resume": "POST only",
    "carrier_job_resume": "POST only",
    "ops_job_resume": "POST only",
    "merchant_job_download": "a file",
    "carrier_job_download": "a file",
    "ops_job_download": "a file",
    "driver_scan": "POST only",
    "driver_contact": "POST only",
    "driver_close": "POST only",
    "driver_fail": "POST only",
    "driver_proof": "POST only",
    "driver_proof_photo": "a photo file",
    "driver_stop_scan": "POST only",
    "driver_handover_confirm": "POST only",
    "driver_handover_pdf": "a PDF file",
    "merchant_handover_pdf": "a PDF file",
    "carrier_handover_pdf": "a PDF file",
    "carrier_handover_confirm": "POST only",
    "ops_handover_pdf": "a PDF file",
    "merchant_proof_photo": "a photo file",
    "carrier_proof_photo": "a photo file",
    "ops_proof_photo": "a photo file",
    "merchant_bundle_bind": "POST only",
    "merchant_bundle_unbind": "POST only",
    "merchant_bundle_close": "POST only",
    "merchant_bundle_cancel": "POST only",
    "merchant_bundle_label": "a PDF file",
    "merchant_bundle_label_zpl": "a ZPL file",
    "merchant_bundle_manifest": "a PDF file",
    "carrier_bundle_label": "a PDF file",
    "carrier_bundle_manifest": "a PDF file",
    "carrier_bundle_check_scan": "POST only",
    "carrier_bundle_check_finish": "POST only",
    "ops_bundle_manifest": "a PDF file",
}

# Pages only an organisation's admins may open: staff get the 403 page (which is walked too).
ADMIN_ONLY = {"merchant_people", "carrier_people", "ops_people"}


@dataclass(frozen=True)
class Role:
    username: str
    portal: str  # the URL prefix of its pages
    admin: bool


ROLES = [
    Role("dg_merchant", "merchant", True),
    Role("dg_staff", "merchant", False),
    Role("jt_admin", "carrier", True),
    Role("ws_dispatch", "carrier", False),
    Role("jt_driver", "driver", False),
    Role("ops", "ops", True),
    Role("ops_staff", "ops", False),
]


def _actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def add_walk_data() -> None:
    """What the demo lacks for a row behind every page: a switchover with a batch being pushed, a
    handover list, webhook deliveries and background jobs of each party."""
    ops, merchant = _actor("ops"), _actor("dg_merchant")
    switchover = switchover_create(actor=ops, name="深圳 极兔 → 万色", from_carrier="JT", to_carrier="WS")
    batch = batch_schedule(
        actor=ops,
        switchover_id=switchover.pk,
        name="深圳",
        cutover_at=now() + timedelta(days=7),
        division_codes=["440300"],
    )
    batch_push_start(actor=ops, batch_id=batch.pk)
    for username in ("dg_merchant", "jt_admin"):
        endpoint_create(actor=_actor(username), url="https://erp.example.com/firstmile", event_types=["*"])
    order_create(actor=merchant, order_no="TT-WALK-0001", warehouse_code="DG-HM-01", item_summary="台灯")
    task = PickupTask.objects.get(carrier__code="JT")
    waybill = Waybill.objects.filter(task_link__task=task, status="issued").first()
    scan_pickup(actor=_actor("jt_driver"), waybill_no=waybill.waybill_no, task_id=task.pk)
    reverse_export_start(actor=merchant, params={}, file_format="csv")
    # A headings-only file: the job exists (and its page renders) whatever the rows would do.
    reverse_import_start(
        actor=_actor("ws_dispatch"), filename="reverse.csv", content=",".join(TEMPLATE_HEADINGS).encode()
    )


def _first(rows, **scope):
    row = rows.filter(**scope).order_by("pk").first()
    return row.pk if row else None


def _params(name: str, actor: Actor) -> dict | None:
    """The path parameters of ``name`` for a row this actor may open, or None if it has none."""
    org = actor.organisation
    carrier_org = {"carrier__organisation": org}
    ids = {
        "merchant_warehouse": ("warehouse_id", Warehouse.objects, {"merchant": org}),
        "merchant_warehouse_edit": ("warehouse_id", Warehouse.objects, {"merchant": org}),
        "merchant_order": ("order_id", Order.objects, {"merchant": org}),
        "merchant_reverse_detail": ("reverse_order_id", ReverseOrder.objects, {"merchant": org}),
        "merchant_stop": ("task_id", PickupTask.objects, {"warehouse__merchant": org}),
        "carrier_stop": ("task_id", PickupTask.objects, carrier_org),
        "ops_stop": ("task_id", PickupTask.objects, {}),
        "carrier_sorting_centre": ("centre_id", None, None),
        "carrier_pickup_request": ("subscription_id", PickupSubscription.objects, carrier_org),
        "ops_organisation": ("organisation_id", None, None),
        "ops_switchover": ("switchover_id", Switchover.objects, {}),
        "ops_batch": ("batch_id", SwitchoverBatch.objects, {}),
        "merchant_job": ("job_id", Job.objects, {"organisation": org}),
        "carrier_job": ("job_id", Job.objects, {"organisation": org}),
        "ops_job": ("job_id", Job.objects, {"organisation": org}),
        "merchant_webhook_delivery": ("delivery_id", WebhookDelivery.objects, {"endpoint__organisation": org}),
        "carrier_webhook_delivery": ("delivery_id", WebhookDelivery.objects, {"endpoint__organisation": org}),
        "ops_webhook_delivery": ("delivery_id", WebhookDelivery.objects, {}),
        "merchant_handover": ("handover_id", HandoverList.objects, {"merchant": org}),
        "carrier_handover": ("handover_id", HandoverList.objects, carrier_org),
        "ops_handover": ("handover_id", HandoverList.objects, {}),
        "driver_stop_handover": ("task_id", PickupTask.objects, {"shift__driver__user": actor.user}),
        "merchant_bundle": ("bundle_id", Bundle.objects, {"merchant": org}),
        "carrier_bundle": ("bundle_id", Bundle.objects, carrier_org),
        "ops_bundle": ("bundle_id", Bundle.objects, {}),
    }
    if name in ("merchant_parcel", "carrier_parcel", "ops_parcel"):
        waybill = waybill_list(actor=actor).first()
        return {"waybill_no": waybill.waybill_no} if waybill else None
    if name == "carrier_sorting_centre":
        centre = org.carrier.sorting_centres.order_by("pk").first() if hasattr(org, "carrier") else None
        return {"centre_id": centre.pk} if centre else None
    if name == "ops_organisation":
        return {"organisation_id": User.objects.get(username="dg_merchant").organisation_id}
    key, rows, scope = ids[name]
    pk = _first(rows, **scope)
    return {key: pk} if pk else None


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    status: int


def pages_of(role: Role) -> list[Page]:
    """The role's portal's pages, with the status each should answer."""
    from django.urls import reverse

    actor = _actor(role.username)
    found = []
    for pattern in urlpatterns:
        if not isinstance(pattern, URLPattern) or pattern.name in NOT_PAGES:
            continue
        if not str(pattern.pattern).startswith(f"{role.portal}/"):
            continue
        kwargs = _params(pattern.name, actor) if pattern.pattern.converters else {}
        if kwargs is None:
            continue  # no such row for this role: another role of the portal walks it
        status = 403 if pattern.name in ADMIN_ONLY and not role.admin else 200
        found.append(Page(pattern.name, reverse(f"portals:{pattern.name}", kwargs=kwargs), status))
    return found


# Pages for anyone, walked without logging in.
PUBLIC_PAGES = [Page("login", "/login/", 200), Page("track", "/track/", 200)]


def portal_page_names() -> set[str]:
    """Every page name of the portals but the public ones (and home, which only redirects)."""
    public = {p.name for p in PUBLIC_PAGES}
    return {
        p.name
        for p in urlpatterns
        if isinstance(p, URLPattern) and p.name not in NOT_PAGES and p.name not in public and p.name != "home"
    }
