"""Carrier switchover (seed 000, questions 1–4, 8, 9, 11).

Scheduling a batch writes everything the cutover needs ahead of time, as data:
the incoming carrier's coverage rows starting at the cutover (the outgoing ones
end there), and the ship-by extensions for orders created around it. Nothing has
to run at the cutover instant. Pushing the batch asks the incoming carrier to
review every warehouse that has pickup with the outgoing one, effective from the
cutover, in set-based SQL, chunk by chunk so its progress shows while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from firstmile.accounts.actor import Actor
from firstmile.accounts.permissions import Operation, require
from firstmile.carriers.models import CoverageArea, SortingCentre
from firstmile.carriers.selectors import carrier_get, coverage_serving
from firstmile.carriers.services import coverage_assign, coverage_reschedule, coverage_retract
from firstmile.core import error_codes as core_codes
from firstmile.core.clock import beijing_day_bounds, now, to_beijing
from firstmile.core.errors import ApplicationError, Conflict, NotFound
from firstmile.events.jobs import job_start
from firstmile.events.models import Job, JobStatus
from firstmile.events.services import event_record, event_record_bulk
from firstmile.geo.models import Division
from firstmile.geo.selectors import ancestor_codes
from firstmile.pickup.models import PickupSubscription, SubscriptionStatus
from firstmile.pickup.services import REVIEW_WINDOW
from firstmile.shipping.models import ShipByExtension

from . import error_codes
from .models import BatchArea, BatchStatus, Switchover, SwitchoverBatch

PUSH_CHUNK = 20_000


def _invalid(field: str, message) -> ApplicationError:
    return ApplicationError(core_codes.INVALID_INPUT, message, field=field)


@transaction.atomic
def switchover_create(*, actor: Actor | None, name: str, from_carrier: str, to_carrier: str) -> Switchover:
    """Plan moving areas from one carrier to another; batches come next."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    if not (name or "").strip():
        raise _invalid("name", _("Name is required."))
    outgoing = carrier_get(from_carrier)
    incoming = carrier_get(to_carrier)
    if outgoing.pk == incoming.pk:
        raise _invalid("to_carrier", _("The incoming carrier must differ from the outgoing one."))
    if not incoming.is_active:
        raise ApplicationError(error_codes.CARRIER_INACTIVE, _("The carrier is not active."), field="to_carrier")
    if not SortingCentre.objects.filter(carrier=incoming, is_active=True).exists():
        raise ApplicationError(
            error_codes.NO_SORTING_CENTRE,
            _("%(carrier)s has no sorting centre, so it cannot take over pickup.") % {"carrier": incoming.display_name},
            field="to_carrier",
        )
    switchover = Switchover.objects.create(name=name.strip(), from_carrier=outgoing, to_carrier=incoming)
    event_record(
        actor=actor,
        kind="switchover.created",
        subject=switchover,
        payload={"from": outgoing.code, "to": incoming.code},
        owner=incoming.organisation,
        counterparty=outgoing.organisation,
    )
    return switchover


def extension_window(cutover_at: datetime, days_before: int, days_after: int) -> tuple[datetime, datetime]:
    """Orders created in these Beijing days get the extension: [day − before, day + after] inclusive."""
    day = to_beijing(cutover_at).date()
    start, _end = beijing_day_bounds(day - timedelta(days=days_before))
    _start, end = beijing_day_bounds(day + timedelta(days=days_after))
    return start, end


def _overlapping(codes: list[str], exclude_batch: int | None = None) -> list[str]:
    """Which of ``codes`` already sit, or have a parent or child, in a live batch."""
    live = BatchArea.objects.exclude(batch__status=BatchStatus.CANCELLED)
    if exclude_batch:
        live = live.exclude(batch_id=exclude_batch)
    taken = set(live.values_list("division_id", flat=True))
    clashes = []
    for code in codes:
        family = {code, *ancestor_codes(code)}
        if family & taken or any(code in {t, *ancestor_codes(t)} for t in taken):
            clashes.append(code)
    return clashes


# Areas are named at the level that fits (a county rather than its towns), so a
# batch of more than this is a list gone wrong.
BATCH_MAX_AREAS = 2000


@transaction.atomic
def batch_schedule(
    *,
    actor: Actor | None,
    switchover_id: int,
    name: str,
    cutover_at: datetime,
    division_codes: list[str],
    extension_days_before: int = 1,
    extension_days_after: int = 0,
    extension_days: int = 3,
) -> SwitchoverBatch:
    """Schedule a batch: its areas change carrier at the cutover (Beijing time)."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    switchover = Switchover.objects.select_related("from_carrier", "to_carrier").filter(pk=switchover_id).first()
    if switchover is None:
        raise NotFound(error_codes.SWITCHOVER_NOT_FOUND, _("No such switchover."), field="switchover_id")
    if not (name or "").strip():
        raise _invalid("name", _("Name is required."))
    if timezone.is_naive(cutover_at):
        raise _invalid("cutover_at", _("The time must carry its time zone."))
    if cutover_at <= now():
        raise ApplicationError(error_codes.CUTOVER_IN_PAST, _("The cutover must be in the future."), field="cutover_at")
    if not 0 <= extension_days <= 30 or not 0 <= extension_days_before <= 7 or not 0 <= extension_days_after <= 7:
        raise _invalid(
            "extension_days", _("Extension: 0–30 extra days, for orders of up to 7 days around the cutover.")
        )
    codes = sorted({c.strip() for c in division_codes if c and c.strip()})
    if not codes:
        raise ApplicationError(error_codes.NO_AREAS, _("Pick at least one area."), field="division_codes")
    if len(codes) > BATCH_MAX_AREAS:
        raise _invalid("division_codes", _("A batch covers at most %(n)s areas.") % {"n": BATCH_MAX_AREAS})
    known = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFound(
            "division_unknown",
            _("Unknown administrative division code: %(code)s.") % {"code": ", ".join(unknown)},
            field="division_codes",
        )
    clashes = _overlapping(codes)
    if clashes:
        raise Conflict(
            error_codes.AREAS_OVERLAP,
            _("Already in another live batch: %(codes)s.") % {"codes": ", ".join(clashes)},
            field="division_codes",
        )
    outgoing, incoming = switchover.from_carrier, switchover.to_carrier
    serving = {c: coverage_serving(c, cutover_at) for c in codes}
    not_served = [c for c in codes if serving[c] is None or serving[c].carrier_id != outgoing.pk]
    if not_served:
        raise ApplicationError(
            error_codes.AREA_NOT_SERVED_BY_FROM_CARRIER,
            _("Not served by %(carrier)s at the cutover: %(codes)s.")
            % {"carrier": outgoing.display_name, "codes": ", ".join(not_served)},
            field="division_codes",
        )
    batch = SwitchoverBatch.objects.create(
        switchover=switchover,
        name=name.strip(),
        cutover_at=cutover_at,
        extension_days_before=extension_days_before,
        extension_days_after=extension_days_after,
        extension_days=extension_days,
    )
    BatchArea.objects.bulk_create([BatchArea(batch=batch, division_id=c) for c in codes])
    for code in codes:
        coverage_assign(actor=actor, division_code=code, carrier=incoming, valid_from=cutover_at)
    if extension_days:
        start, end = extension_window(cutover_at, extension_days_before, extension_days_after)
        ShipByExtension.objects.bulk_create(
            [
                ShipByExtension(
                    division_id=code,
                    created_from=start,
                    created_to=end,
                    extra_hours=24 * extension_days,
                    reason=f"{switchover.name} · {batch.name}",
                    source=batch.origin,
                )
                for code in codes
            ]
        )
    event_record(
        actor=actor,
        kind="switchover_batch.scheduled",
        subject=batch,
        to_state=BatchStatus.SCHEDULED,
        payload={"areas": codes, "cutover_at": cutover_at.isoformat(), "extension_days": extension_days},
        owner=incoming.organisation,
        counterparty=outgoing.organisation,
    )
    return batch


def _live_batch(batch_id: int, *, lock: bool = True) -> SwitchoverBatch:
    batches = SwitchoverBatch.objects.select_related("switchover__from_carrier", "switchover__to_carrier")
    if lock:
        batches = batches.select_for_update()
    batch = batches.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(error_codes.BATCH_NOT_FOUND, _("No such switchover batch."), field="batch_id")
    if batch.status == BatchStatus.CANCELLED:
        raise Conflict(error_codes.BATCH_CANCELLED, _("This batch is cancelled."))
    return batch


def _before_cutover(batch: SwitchoverBatch) -> None:
    if batch.cutover_at <= now():
        raise Conflict(
            error_codes.BATCH_ALREADY_CUT_OVER,
            _("This batch has already cut over at %(when)s; it can no longer be changed.")
            % {"when": to_beijing(batch.cutover_at).strftime("%Y-%m-%d %H:%M")},
        )


def _codes(batch: SwitchoverBatch) -> list[str]:
    return list(batch.areas.values_list("division_id", flat=True))


@transaction.atomic
def batch_postpone(*, actor: Actor | None, batch_id: int, cutover_at: datetime) -> SwitchoverBatch:
    """Move a batch's cutover (before it has happened); everything scheduled moves with it."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    batch = _live_batch(batch_id)
    _before_cutover(batch)
    if timezone.is_naive(cutover_at):
        raise _invalid("cutover_at", _("The time must carry its time zone."))
    if cutover_at <= now():
        raise ApplicationError(error_codes.CUTOVER_IN_PAST, _("The cutover must be in the future."), field="cutover_at")
    old = batch.cutover_at
    incoming, outgoing = batch.switchover.to_carrier, batch.switchover.from_carrier
    codes = _codes(batch)
    for code in codes:
        coverage_reschedule(
            actor=actor, division_code=code, carrier=incoming, valid_from=old, new_valid_from=cutover_at
        )
    start, end = extension_window(cutover_at, batch.extension_days_before, batch.extension_days_after)
    ShipByExtension.objects.filter(source=batch.origin).update(created_from=start, created_to=end, updated_at=now())
    PickupSubscription.objects.filter(origin=batch.origin, effective_from=old).update(effective_from=cutover_at)
    _outgoing_of(batch).filter(ended_at=old).update(ended_at=cutover_at, updated_at=now())
    batch.cutover_at = cutover_at
    batch.save(update_fields=["cutover_at", "updated_at"])
    event_record(
        actor=actor,
        kind="switchover_batch.postponed",
        subject=batch,
        from_state=batch.status,
        to_state=batch.status,
        payload={"from": old.isoformat(), "to": cutover_at.isoformat()},
        owner=incoming.organisation,
        counterparty=outgoing.organisation,
    )
    return batch


def _outgoing_of(batch: SwitchoverBatch):
    """The outgoing carrier's subscriptions that approvals of this batch's requests set to end at its cutover."""
    pushed = PickupSubscription.objects.filter(origin=batch.origin).values("warehouse_id")
    return PickupSubscription.objects.filter(
        carrier=batch.switchover.from_carrier, status=SubscriptionStatus.ACTIVE, warehouse_id__in=pushed
    )


@transaction.atomic
def batch_cancel(*, actor: Actor | None, batch_id: int) -> SwitchoverBatch:
    """Call a batch off before its cutover: the outgoing carrier simply goes on."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    batch = _live_batch(batch_id)
    _before_cutover(batch)
    incoming, outgoing = batch.switchover.to_carrier, batch.switchover.from_carrier
    moment = now()
    for code in _codes(batch):
        coverage_retract(actor=actor, division_code=code, carrier=incoming, valid_from=batch.cutover_at)
    # Orders already created keep the deadline they were given; no new order gets it.
    ShipByExtension.objects.filter(source=batch.origin, created_to__gt=moment).update(
        created_to=moment, updated_at=moment
    )
    ShipByExtension.objects.filter(source=batch.origin, created_from__gt=F("created_to")).update(
        created_from=F("created_to")
    )
    withdrawn = PickupSubscription.objects.filter(
        origin=batch.origin, status__in=[SubscriptionStatus.PENDING_REVIEW, SubscriptionStatus.ACTIVE]
    )
    withdrawn_ids = list(withdrawn.values_list("pk", flat=True))
    withdrawn.update(status=SubscriptionStatus.CANCELLED, ended_at=moment, updated_at=moment)
    # Only once the incoming requests are withdrawn can the outgoing pickup run open-ended again.
    _outgoing_of(batch).filter(ended_at=batch.cutover_at).update(ended_at=None, updated_at=moment)
    if withdrawn_ids:
        event_record_bulk(
            actor=actor,
            kind="subscription.cancelled",
            subjects=PickupSubscription.objects.filter(pk__in_array=withdrawn_ids),
            to_state=SubscriptionStatus.CANCELLED,
            payload={"reason": "switchover_cancelled", "batch": batch.pk},
            owner_field="warehouse__merchant_id",
            counterparty_field="carrier__organisation_id",
            occurred_at=moment,
        )
    before = batch.status
    batch.status = BatchStatus.CANCELLED
    batch.cancelled_at = moment
    batch.save(update_fields=["status", "cancelled_at", "updated_at"])
    event_record(
        actor=actor,
        kind="switchover_batch.cancelled",
        subject=batch,
        from_state=before,
        to_state=BatchStatus.CANCELLED,
        payload={"withdrawn_requests": len(withdrawn_ids)},
        owner=incoming.organisation,
        counterparty=outgoing.organisation,
    )
    return batch


# -- the address push ---------------------------------------------------------------------

_AREA_PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "town": 9}


def _area_clause(batch: SwitchoverBatch) -> tuple[str, list[str]]:
    """SQL matching warehouses whose division lies in the batch's areas (codes nest by prefix)."""
    prefixes = []
    for code, level in batch.areas.values_list("division_id", "division__level"):
        prefixes.append(code[: _AREA_PREFIX_LENGTH.get(level, len(code))] + "%")
    return "(" + " OR ".join(["w.division_id LIKE %s"] * len(prefixes)) + ")", prefixes


@dataclass
class PushReport:
    batch: SwitchoverBatch
    pushed: int
    failed: int


def _candidates(batch: SwitchoverBatch, ids: tuple[int, int] | None = None) -> tuple[str, list]:
    """Warehouses in the areas whose current pickup is with the outgoing carrier and not yet pushed.

    With ``ids`` = (after, upto), only warehouses with id in (after, upto], and every
    table joined is bounded to that range too: a chunk then reads its own rows, not
    every subscription the push has written so far (which made a 1M push grow
    faster than linearly).
    """
    clause, params = _area_clause(batch)
    bound = [] if ids is None else list(ids)

    def within(alias: str) -> str:
        return f" AND {alias} > %s AND {alias} <= %s" if ids is not None else ""

    sql = f"""
        FROM pickup_warehouse w
        JOIN pickup_pickupsubscription a
          ON a.warehouse_id = w.id AND a.carrier_id = %s AND a.status = 'active' AND a.ended_at IS NULL
         AND a.address_version = w.address_version{within("a.warehouse_id")}
        WHERE {clause}{within("w.id")}
          AND NOT EXISTS (SELECT 1 FROM pickup_pickupsubscription b
                          WHERE b.warehouse_id = w.id AND b.origin = %s AND b.status IN ('pending_review', 'active')
                          {within("b.warehouse_id")})
    """
    return sql, [batch.switchover.from_carrier_id, *bound, *params, *bound, batch.origin, *bound]


def batch_push(*, actor: Actor | None, batch_id: int, chunk: int = PUSH_CHUNK) -> PushReport:
    """Push the batch's addresses to the incoming carrier (地址推送), or re-push the failed ones, now.

    Each chunk of warehouses is its own transaction, so progress (push_done of
    push_total) is visible while a large push runs. The portals and the API run
    this as a job on the worker (:func:`batch_push_start`), which also resumes
    a push whose worker died after the last chunk that committed.
    """
    _total, low, high = _push_begin(actor, batch_id)
    pushed = failed = 0
    after = (low or 1) - 1
    while after < (high or 0):
        done = _push_chunk(actor, _live_batch(batch_id, lock=False), after, after + chunk)
        pushed, failed, after = pushed + done[0], failed + done[1], after + chunk
    batch = _push_end(actor, batch_id, pushed, failed)
    return PushReport(batch, pushed, failed)


PUSH_JOB = "switchover.push"


@transaction.atomic
def batch_push_start(*, actor: Actor | None, batch_id: int) -> Job:
    """Queue the push (or re-push) of a batch on the worker; its progress shows in the job and the batch."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    batch = _live_batch(batch_id)
    _before_cutover(batch)
    running = Job.objects.filter(
        kind=PUSH_JOB,
        params__batch_id=batch.pk,
        status__in=(JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.INTERRUPTED),
    ).first()
    if running is not None:
        raise Conflict(
            error_codes.PUSH_IN_PROGRESS,
            _("A push of this batch is already %(status)s (job %(job)s); wait for it or resume it.")
            % {"status": running.get_status_display(), "job": running.pk},
            extra={"job_id": running.pk},
        )
    return job_start(
        actor=actor,
        kind=PUSH_JOB,
        title=gettext_noop("Address push of batch %(name)s"),
        title_args={"name": batch.name},
        params={"batch_id": batch.pk},
    )


def run_push_job(job: Job, progress) -> dict:
    """The worker's side of :func:`batch_push_start`: begin, chunks, end, each step with its checkpoint."""
    actor = Actor.for_job(job)
    batch_id = job.params["batch_id"]
    checkpoint = dict(job.checkpoint)
    if not checkpoint:
        with transaction.atomic():
            total, low, high = _push_begin(actor, batch_id)
            checkpoint = {"after": (low or 1) - 1, "high": high or 0, "pushed": 0, "failed": 0}
            progress(done=0, total=total or 0, checkpoint=checkpoint)
    while checkpoint["after"] < checkpoint["high"]:
        upto = checkpoint["after"] + settings.FIRSTMILE_PUSH_CHUNK
        with transaction.atomic():
            pushed, failed = _push_chunk(actor, _live_batch(batch_id, lock=False), checkpoint["after"], upto)
            checkpoint = {
                **checkpoint,
                "after": upto,
                "pushed": checkpoint["pushed"] + pushed,
                "failed": checkpoint["failed"] + failed,
            }
            progress(done=checkpoint["pushed"] + checkpoint["failed"], checkpoint=checkpoint)
    if not checkpoint.get("ended"):
        with transaction.atomic():
            _push_end(actor, batch_id, checkpoint["pushed"], checkpoint["failed"])
            checkpoint = {**checkpoint, "ended": True}
            progress(done=checkpoint["pushed"] + checkpoint["failed"], checkpoint=checkpoint)
    return {"pushed": checkpoint["pushed"], "failed": checkpoint["failed"], "batch_id": batch_id}


def _push_begin(actor, batch_id: int) -> tuple[int, int | None, int | None]:
    """Check the batch may be pushed, count the candidates and start its progress: (total, lowest, highest id)."""
    require(actor, Operation.SWITCHOVER_MANAGE)
    with transaction.atomic():
        batch = _live_batch(batch_id)
        _before_cutover(batch)
        moment = now()
        from_sql, params = _candidates(batch)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), MIN(w.id), MAX(w.id) {from_sql}", params)
            total, low, high = cursor.fetchone()
        # From now on a re-saved address in these areas asks the incoming carrier.
        CoverageArea.objects.filter(
            division_id__in=_codes(batch), carrier=batch.switchover.to_carrier, valid_from=batch.cutover_at
        ).update(requests_from=moment)
        batch.push_total, batch.push_done = total or 0, 0
        batch.push_started_at, batch.push_finished_at = moment, None
        batch.save(update_fields=["push_total", "push_done", "push_started_at", "push_finished_at", "updated_at"])
    return total or 0, low, high


def _push_end(actor, batch_id: int, pushed: int, failed: int) -> SwitchoverBatch:
    if pushed and connection.vendor == "postgresql":
        # Tens of thousands of new requests make the planner's statistics stale, and the
        # incoming carrier's bulk review comes next: refresh them now, not at autovacuum's leisure.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE pickup_pickupsubscription")
    with transaction.atomic():
        batch = _live_batch(batch_id)
        before = batch.status
        batch.status = BatchStatus.PUSHED
        batch.push_finished_at = now()
        batch.save(update_fields=["status", "push_finished_at", "updated_at"])
        event_record(
            actor=actor,
            kind="switchover_batch.pushed",
            subject=batch,
            from_state=before,
            to_state=BatchStatus.PUSHED,
            payload={"pushed": pushed, "failed": failed},
            owner=batch.switchover.to_carrier.organisation,
            counterparty=batch.switchover.from_carrier.organisation,
        )
    return batch


@transaction.atomic
def _push_chunk(actor, batch: SwitchoverBatch, after: int, upto: int) -> tuple[int, int]:
    """Push the warehouses with id in (after, upto]: three set-based statements and the events."""
    moment = now()
    # Raw SQL gets the database's own form of an instant (SQLite stores naive UTC text).
    at, cutover, due = (
        connection.ops.adapt_datetimefield_value(v) for v in (moment, batch.cutover_at, moment + REVIEW_WINDOW)
    )
    origin = batch.origin
    incoming = batch.switchover.to_carrier
    from_sql, params = _candidates(batch, (after, upto))
    pending = (
        "SELECT 1 FROM pickup_pickupsubscription p WHERE p.warehouse_id = w.id AND p.status = 'pending_review'"
        " AND p.warehouse_id > %s AND p.warehouse_id <= %s"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each chunk adds thousands of rows the planner's statistics have not seen: it
            # then takes the "already pushed" anti-joins for one row and nests a loop over
            # tens of thousands per warehouse (a 5,000-warehouse chunk took minutes at 80 %
            # of a 100k push). Hash joins are the right plan for a chunk at any size.
            cursor.execute("SET LOCAL enable_nestloop = off")
        # A warehouse with a request of its own pending cannot take a second one.
        cursor.execute(
            f"""INSERT INTO switchover_pushfailure (batch_id, warehouse_id, reason, attempted_at)
                SELECT %s, w.id, 'pending_request', %s {from_sql} AND EXISTS ({pending})
                ON CONFLICT (batch_id, warehouse_id) DO UPDATE SET attempted_at = EXCLUDED.attempted_at""",
            [batch.pk, at, *params, after, upto],
        )
        failed = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO pickup_pickupsubscription
                  (created_at, updated_at, warehouse_id, carrier_id, status, address_version, division_id,
                   address_detail, contact_name, phone, requested_at, review_due_at, decided_at, decided_by_id,
                   reject_reason, reject_note, effective_from, ended_at, origin)
                SELECT %s, %s, w.id, %s, 'pending_review', w.address_version, w.division_id,
                   w.address_detail, w.contact_name, w.phone, %s, %s, NULL, NULL,
                   '', '', %s, NULL, %s {from_sql} AND NOT EXISTS ({pending})""",
            [at, at, incoming.pk, at, due, cutover, origin, *params, after, upto],
        )
        pushed = cursor.rowcount
        # Warehouses that failed an earlier push and went through now.
        cursor.execute(
            """DELETE FROM switchover_pushfailure WHERE batch_id = %s AND warehouse_id IN
                 (SELECT warehouse_id FROM pickup_pickupsubscription WHERE origin = %s AND requested_at = %s)""",
            [batch.pk, origin, at],
        )
    event_record_bulk(
        actor=actor,
        kind="subscription.requested",
        subjects=PickupSubscription.objects.filter(origin=origin, requested_at=moment),
        to_state=SubscriptionStatus.PENDING_REVIEW,
        payload={
            "carrier": incoming.code,
            "switchover_batch": batch.pk,
            "effective_from": batch.cutover_at.isoformat(),
        },
        owner_field="warehouse__merchant_id",
        counterparty_field="carrier__organisation_id",
        occurred_at=moment,
    )
    SwitchoverBatch.objects.filter(pk=batch.pk).update(push_done=F("push_done") + pushed + failed)
    return pushed, failed
