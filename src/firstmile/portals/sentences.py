"""History in sentences: what each event says to a person, in zh-Hans and English.

Every event kind of the catalogue (events/catalogue.py) has one sentence here,
with the event's facts filled in by name: who acted (the person's name and their
organisation, or the system, or an integration's token), carriers by their name
in the reader's language, regions by their full names, times in Beijing time, and
reasons by their labels. A test fails when a kind lacks a sentence or a
translation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstmile.accounts.models import Role
from firstmile.carriers.models import Carrier
from firstmile.core.clock import to_beijing
from firstmile.dispatch.models import ContactOutcome, FailureReason
from firstmile.events.models import Event
from firstmile.geo.models import Division
from firstmile.geo.selectors import division_full_name
from firstmile.pickup.models import RejectReason
from firstmile.reverse.models import Disposition, ExceptionKind, PickupMethod, ReverseType

SENTENCES: dict[str, Any] = {
    # pickup subscriptions
    "subscription.requested": gettext_lazy("%(actor)s asked %(carrier)s to collect from this address."),
    "subscription.approved": gettext_lazy(
        "%(actor)s approved pickup: %(carrier)s collects from this address (PICK UP)."
    ),
    "subscription.rejected": gettext_lazy(
        "%(actor)s declined pickup (%(reason)s): parcels from this address are dropped off."
    ),
    "subscription.cancelled": gettext_lazy("%(actor)s cancelled the pickup request to %(carrier)s."),
    "subscription.superseded": gettext_lazy("A newer address replaced this pickup request to %(carrier)s."),
    "warehouse.created": gettext_lazy("%(actor)s added warehouse %(code)s in %(division)s."),
    "warehouse.updated": gettext_lazy("%(actor)s changed the warehouse's %(changed)s."),
    "warehouse.not_covered": gettext_lazy(
        "No carrier collects in %(division)s: parcels from this address are dropped off."
    ),
    # shipping
    "order.created": gettext_lazy("%(actor)s added order %(order_no)s, to ship by %(ship_by)s."),
    "order.shipped": gettext_lazy("%(actor)s arranged shipment."),
    "waybill.issued": gettext_lazy("%(actor)s issued the waybill and its label."),
    "waybill.voided": gettext_lazy("%(actor)s voided waybill %(waybill_no)s."),
    "waybill.collected": gettext_lazy("Driver %(driver)s of %(carrier)s collected parcel %(waybill_no)s."),
    "waybill.received": gettext_lazy("The sorting centre %(sorting_centre)s received parcel %(waybill_no)s."),
    "waybill.pickup_failed": gettext_lazy(
        "%(actor)s could not collect the parcel (%(reason)s); it is tried again on %(retry_on)s."
    ),
    "waybill.handed_over": gettext_lazy("The parcel was signed for on handover list %(handover)s."),
    "waybill.proof_of_pickup": gettext_lazy("%(actor)s recorded a photo or location at the parcel's stop."),
    "waybill.bundled": gettext_lazy("%(actor)s put the parcel into bundle %(bundle)s."),
    "waybill.unbundled": gettext_lazy("%(actor)s took the parcel out of bundle %(bundle)s."),
    "waybill.missing_from_bundle": gettext_lazy(
        "%(actor)s opened bundle %(bundle)s and did not find the parcel in it."
    ),
    # bundles
    "bundle.created": gettext_lazy("%(actor)s opened bundle %(number)s."),
    "bundle.closed": gettext_lazy("%(actor)s closed the bundle: %(parcels)s parcels, %(weight_kg)s kg."),
    "bundle.cancelled": gettext_lazy("%(actor)s cancelled the bundle; its %(parcels)s parcels are free again."),
    "bundle.collected": gettext_lazy("Driver %(driver)s of %(carrier)s collected the bundle: %(parcels)s parcels."),
    "bundle.received": gettext_lazy("The sorting centre %(sorting_centre)s received the bundle: %(parcels)s parcels."),
    "bundle.checked": gettext_lazy(
        "%(actor)s opened the bundle and checked it against its manifest: %(missing_count)s parcels missing."
    ),
    # dispatch
    "dispatch.day_planned": gettext_lazy("%(actor)s planned the pickups of %(date)s: %(assigned)s stops assigned."),
    "pickup_task.assigned": gettext_lazy("%(actor)s sent driver %(driver)s to this pickup on %(date)s."),
    "pickup_task.contacted": gettext_lazy("Driver %(driver)s called the warehouse: %(outcome)s."),
    "pickup_task.closed": gettext_lazy("%(actor)s closed the stop: %(collected)s parcels collected, %(left)s left."),
    "pickup_task.proof_added": gettext_lazy("%(actor)s added a photo or location at the stop."),
    "pickup_task.failed": gettext_lazy(
        "%(actor)s could not collect (%(reason)s); the parcels are tried again on %(retry_on)s."
    ),
    "handover.confirmed": gettext_lazy(
        "%(actor)s confirmed handover list %(number)s: %(parcels)s parcels, %(missing)s missing."
    ),
    "pickup_window.published": gettext_lazy("%(actor)s published pickup windows %(from)s–%(until)s in %(division)s."),
    "pickup_window.withdrawn": gettext_lazy("%(actor)s withdrew a pickup window in %(division)s."),
    "pickup_closure.added": gettext_lazy("%(actor)s closed pickups on %(date)s in %(division)s (%(reason)s)."),
    "pickup_closure.removed": gettext_lazy("%(actor)s reopened pickups on %(date)s in %(division)s."),
    "waybill.pickup_slot_booked": gettext_lazy("%(actor)s booked pickup on %(date)s from %(from)s."),
    "waybill.pickup_slot_cancelled": gettext_lazy("%(actor)s cancelled the parcel's pickup window."),
    "driver.created": gettext_lazy("%(actor)s added a driver."),
    "route.created": gettext_lazy("%(actor)s created a route over %(areas)s areas."),
    "roster.set": gettext_lazy("%(actor)s set a driver's roster (%(capacity)s stops)."),
    "roster.removed": gettext_lazy("%(actor)s removed a driver's roster entry."),
    # switchover
    "switchover.created": gettext_lazy("%(actor)s planned a switchover from %(from_carrier)s to %(to_carrier)s."),
    "switchover_batch.scheduled": gettext_lazy("%(actor)s scheduled the batch to switch carrier at %(cutover_at)s."),
    "switchover_batch.postponed": gettext_lazy("%(actor)s moved the cutover from %(from_time)s to %(to_time)s."),
    "switchover_batch.cancelled": gettext_lazy(
        "%(actor)s cancelled the batch; %(withdrawn)s pushed requests were withdrawn."
    ),
    "switchover_batch.pushed": gettext_lazy(
        "%(actor)s pushed the batch's addresses: %(pushed)s pushed, %(failed)s failed."
    ),
    # reverse (seed 003)
    "reverse_order.created": gettext_lazy("%(actor)s raised reverse order %(reverse_no)s (%(type)s, %(disposition)s)."),
    "reverse_order.pickup_registered": gettext_lazy("%(actor)s registered pickup (%(method)s)."),
    "reverse_order.destruction_confirmed": gettext_lazy("%(actor)s confirmed the parcel may be destroyed."),
    "reverse_order.handed_over": gettext_lazy("%(actor)s handed the parcel over to %(person)s."),
    "reverse_order.forwarded": gettext_lazy("%(actor)s forwarded the parcel, tracking number %(tracking_no)s."),
    "reverse_order.destroyed": gettext_lazy("%(actor)s destroyed the parcel."),
    "reverse_order.exception_raised": gettext_lazy("%(actor)s raised an exception (%(exception)s): %(description)s"),
    "reverse_order.exception_closed": gettext_lazy("%(actor)s closed the exception: %(resolution)s"),
    "consolidation.agreed": gettext_lazy("%(actor)s agreed that %(carrier)s consolidates for %(merchant)s."),
    "consolidation.ended": gettext_lazy("%(actor)s ended the consolidation of %(carrier)s for %(merchant)s."),
    # carriers and coverage
    "carrier.created": gettext_lazy("%(actor)s registered carrier %(carrier)s."),
    "carrier.settings_changed": gettext_lazy("%(actor)s changed the hotline or service hours."),
    "sorting_centre.created": gettext_lazy("%(actor)s registered sorting centre %(code)s in %(division)s."),
    "coverage.assigned": gettext_lazy("%(actor)s assigned %(division)s to %(carrier)s from %(valid_from)s."),
    "coverage.rescheduled": gettext_lazy("%(actor)s moved the coverage of %(division)s to start at %(to_time)s."),
    "coverage.retracted": gettext_lazy("%(actor)s withdrew the scheduled coverage of %(division)s."),
    "coverage.ended": gettext_lazy("%(actor)s ended the coverage of %(division)s at %(valid_to)s."),
    "coverage_request.submitted": gettext_lazy("%(actor)s asked to cover %(division)s from %(valid_from)s."),
    "coverage_request.approved": gettext_lazy("%(actor)s approved covering %(division)s."),
    "coverage_request.rejected": gettext_lazy("%(actor)s declined covering %(division)s: %(reason)s"),
    # accounts
    "organisation.created": gettext_lazy("%(actor)s registered the organisation."),
    "user.created": gettext_lazy("%(actor)s added %(username)s as %(role)s."),
    "user.updated": gettext_lazy("%(actor)s changed %(username)s's role or access."),
    "user.password_reset": gettext_lazy("%(actor)s set a new password for %(username)s."),
    "api_token.issued": gettext_lazy("%(actor)s issued API token %(name)s (%(role)s)."),
    "api_token.revoked": gettext_lazy("%(actor)s revoked an API token."),
    "webhook_endpoint.created": gettext_lazy("%(actor)s registered webhook endpoint %(url)s."),
    "webhook_endpoint.updated": gettext_lazy("%(actor)s changed webhook endpoint %(url)s."),
    "webhook_endpoint.secret_rotated": gettext_lazy("%(actor)s rotated the signing secret of %(url)s."),
    "webhook_endpoint.disabled": gettext_lazy("Webhook endpoint %(url)s was switched off."),
    "webhook_endpoint.enabled": gettext_lazy("%(actor)s switched webhook endpoint %(url)s on again."),
    "webhook_endpoint.deleted": gettext_lazy("%(actor)s deleted webhook endpoint %(url)s."),
}

WAREHOUSE_FIELDS = {
    "name": gettext_lazy("name"),
    "code": gettext_lazy("code"),
    "contact_name": gettext_lazy("contact"),
    "phone": gettext_lazy("phone"),
    "division": gettext_lazy("region"),
    "address_detail": gettext_lazy("address"),
    "is_default": gettext_lazy("default warehouse"),
}
ROLES = dict(Role.choices)
_LABELS = {
    "reason": {**dict(RejectReason.choices), **dict(FailureReason.choices)},
    "outcome": dict(ContactOutcome.choices),
    "type": dict(ReverseType.choices),
    "disposition": dict(Disposition.choices),
    "method": dict(PickupMethod.choices),
}


class _Facts(dict):
    """A missing fact reads as a dash, never as a KeyError in a page."""

    def __missing__(self, key):
        return "—"


def _time(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M") if "T" in str(value) else str(value)
    return to_beijing(moment).strftime("%Y-%m-%d %H:%M")


def _carrier(code: str) -> str:
    # Not cached across requests: a carrier's names may be edited in the admin.
    carrier = Carrier.objects.filter(code=code).only("code", "name_zh", "name_en").first()
    if carrier is None:
        return code
    english = translation.get_language() and not translation.get_language().startswith("zh")
    return (carrier.name_en if english and carrier.name_en else carrier.name_zh) or carrier.code


def _division(code: str) -> str:
    try:
        return division_full_name(code)
    except (KeyError, Division.DoesNotExist):
        return code


def actor_name(event: Event) -> str:
    """Who acted, as a person reads it: 极兔速递 的 张三, an integration, or the system."""
    user, organisation = event.actor_user, event.actor_organisation
    if user is not None:
        person = user.first_name or user.username
        if organisation is not None:
            return _("%(person)s of %(organisation)s") % {"person": person, "organisation": organisation.name}
        return person
    label = event.actor_label or ""
    if label.startswith("token:"):
        prefix = label.split("@", 1)[0].removeprefix("token:")
        if organisation is not None:
            return _("%(organisation)s's integration (token %(prefix)s)") % {
                "organisation": organisation.name,
                "prefix": prefix,
            }
        return _("an integration (token %(prefix)s)") % {"prefix": prefix}
    return _("the system") if not label or label == "system" else label


def event_facts(event: Event) -> dict[str, Any]:
    payload = event.payload or {}
    facts = _Facts({key: value for key, value in payload.items() if isinstance(value, str | int | float)})
    facts["actor"] = actor_name(event)
    for key, labels in _LABELS.items():
        if payload.get(key):
            facts[key] = labels.get(payload[key], payload[key])
    if payload.get("carrier"):
        facts["carrier"] = _carrier(payload["carrier"])
    elif event.kind.startswith("carrier."):
        facts["carrier"] = _carrier(payload.get("code", ""))
    if payload.get("division"):
        facts["division"] = _division(payload["division"])
    elif "division" in payload:
        facts["division"] = _("every area")
    for key in ("ship_by", "cutover_at", "valid_from", "valid_to"):
        if payload.get(key):
            facts[key] = _time(payload[key])
    for key, name in (("from", "from_time"), ("to", "to_time")):
        if payload.get(key):
            facts[name] = _time(payload[key])
    if event.kind.startswith("waybill.pickup_slot") or event.kind.startswith("pickup_window"):
        facts["from"] = _time(payload["from"]).rsplit(" ", 1)[-1] if payload.get("from") else "—"
        facts["until"] = _time(payload["until"]).rsplit(" ", 1)[-1] if payload.get("until") else "—"
    if event.kind == "switchover.created":
        facts["from_carrier"], facts["to_carrier"] = _carrier(payload.get("from", "")), _carrier(payload.get("to", ""))
    if event.kind == "warehouse.updated":
        facts["changed"] = "、".join(str(WAREHOUSE_FIELDS.get(f, f)) for f in payload.get("changed", [])) or "—"
    if event.kind == "route.created":
        facts["areas"] = len(payload.get("areas", []))
    if event.kind == "reverse_order.exception_raised":
        facts["exception"] = dict(ExceptionKind.choices).get(payload.get("kind"), payload.get("kind", "—"))
    if event.kind == "handover.confirmed":
        facts["missing"] = payload.get("missing_count", 0)
    if event.kind == "switchover_batch.cancelled":
        facts["withdrawn"] = payload.get("withdrawn_requests", 0)
    if payload.get("role"):
        facts["role"] = ROLES.get(payload["role"], payload["role"])
    return facts


# A parcel collected or received with its bundle: the bundle's scan, not the parcel's own.
IN_BUNDLE: dict[str, Any] = {
    "waybill.collected": gettext_lazy("Driver %(driver)s of %(carrier)s collected the parcel in bundle %(bundle)s."),
    "waybill.received": gettext_lazy("The sorting centre %(sorting_centre)s received the parcel in bundle %(bundle)s."),
}


def event_sentence(event: Event) -> str:
    """The event as one sentence in the active language."""
    template = SENTENCES.get(event.kind)
    if event.kind in IN_BUNDLE and (event.payload or {}).get("bundle"):
        template = IN_BUNDLE[event.kind]
    if template is None:
        return event.kind
    return str(template) % event_facts(event)
