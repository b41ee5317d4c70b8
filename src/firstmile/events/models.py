from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One state change, written in the same transaction as the change itself.

    Timelines read these rows, and webhook delivery is fed from them (outbox),
    so a change that commits always has its event and one that rolls back never does.
    """

    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=64)
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.CharField(_("subject id"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32, blank=True)
    to_state = models.CharField(_("to"), max_length=32, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # No database constraints on the parties (db_constraint=False): every id here
    # is copied, in the same transaction, from a row that holds its own foreign
    # key (the subject's merchant, the carrier, the signed-in user), and Django
    # still applies on_delete. Checked by PostgreSQL, each event row cost four
    # index lookups and a FOR KEY SHARE lock at commit, and every merchant's
    # events locked the same carrier organisation row: 17 % of the database's
    # CPU in arrange-shipment (bench/arrange_cost.py, docs/benchmarks.md).
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("acting user"),
    )
    actor_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("acting organisation"),
    )
    actor_label = models.CharField(_("actor"), max_length=120, blank=True)
    # The parties who must hear of it: the subject's owner and the other side.
    # Both lead an (…, occurred_at) index below, which serves their lookups too.
    owner = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("owner"),
    )
    counterparty = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("other party"),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "occurred_at"]),
            models.Index(fields=["owner", "occurred_at"]),
            models.Index(fields=["counterparty", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
            # The figures look up a chunk of parcels' failed attempts (metrics.services): through
            # the subject index that read every event of 20,000 parcels to find the 5 % failed.
            models.Index(
                fields=["subject_id"],
                name="event_pickup_failed",
                condition=models.Q(kind="waybill.pickup_failed", subject_type="shipping.waybill"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id}"


class WebhookEndpoint(models.Model):
    """A URL of a merchant's or carrier's system that wants some kinds of events, signed.

    The signing secret is kept in clear because every delivery is signed with it;
    it is shown to the organisation once, at creation or rotation. After a rotation
    the previous secret signs too (a second signature) until it expires, so the
    receiver can switch without losing a message.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    # The current run of failed attempts: a long one disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["organisation", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return "*" in self.event_types or kind in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its (next) attempt
    SUCCEEDED = "succeeded", _("Delivered")  # the endpoint answered 2xx
    FAILED = "failed", _("Failed")  # refused (4xx), gone (410) or given up after the retry window


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row the worker sends until it lands or gives up.

    Written in the transaction of the change that made the event, so a committed
    change always has its deliveries. A worker leases a row (``leased_until``)
    before sending, so two workers never send it at once, and a killed worker's
    lease simply runs out.
    """

    # Looked up through the delivery_log index, whose first column it is.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    # No database constraint: on PostgreSQL events are partitioned by month, and a
    # partitioned table cannot back a foreign key on id alone. Django still
    # cascades deletes, and the log is purged long before an event's month is archived.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # subject_type:subject_id of the event, so one object's events go out in order.
    subject_key = models.CharField(max_length=130)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    # The JSON body, rendered at the first attempt so every retry sends the same bytes.
    body = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    replayed_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The worker's queue: what is due now.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status="pending"),
            ),
            # "Is an earlier delivery of this object to this endpoint still open?"
            models.Index(
                fields=["endpoint", "subject_key", "id"],
                name="delivery_open_by_subject",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}→{self.endpoint_id}"

    @property
    def message_id(self) -> str:
        """The Standard Webhooks `webhook-id`: the same for every attempt and replay of this event."""
        return f"msg_{self.event_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as the receiving party sees it in its log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    # What the worker concluded: delivered, will retry, or failed for good.
    outcome = models.CharField(max_length=16)
    worker_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "started_at"])]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome} {self.status_code or self.error}"


class WorkerHeartbeat(models.Model):
    """A running worker process, refreshed every loop; stale ones are dead."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # waiting for a worker
    RUNNING = "running", _("Running")  # a live worker is on it; progress moves
    DONE = "done", _("Done")  # finished; the report (and any file) is ready
    FAILED = "failed", _("Failed")  # stopped with a reason; nothing half-done is left unreported
    INTERRUPTED = "interrupted", _("Interrupted")  # its worker died; resume continues where it stopped


# The key under which a job's params keep its title's message and arguments (see job_start).
TITLE_KEY = "_title"


class Job(models.Model):
    """Long work done on the worker (a switchover push, an import, a batch of labels, an export).

    The party that started it watches its state and progress. Each kind of job
    keeps a checkpoint, written in the same transaction as the work it stands
    for, so a job resumed after its worker died continues after the last
    committed step and never repeats one.
    """

    kind = models.CharField(_("kind"), max_length=64)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    checkpoint = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    input_file = models.FileField(upload_to="jobs/input/%Y/%m/", blank=True)
    result_file = models.FileField(upload_to="jobs/result/%Y/%m/", blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)
    runs = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["organisation", "-id"], name="job_list"),
            models.Index(fields=["status", "heartbeat_at"], name="job_running"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, int(self.progress_done * 100 / self.progress_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def display_title(self) -> str:
        """The title in the reader's language (``title`` keeps the starter's)."""
        kept = (self.params or {}).get(TITLE_KEY)
        if not kept:
            return self.title
        message, arguments, suffix = kept
        try:
            return gettext(message) % arguments + suffix
        except (KeyError, TypeError, ValueError):  # a translation that no longer fits its arguments
            return self.title
