from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a state-changing API request sent with an Idempotency-Key.

    Kept 24 hours: a client that retries with the same key and body gets this
    answer again instead of a second effect.
    """

    # Whose key it is: a digest of the bearer token, or the session's user.
    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # method, path, query and body
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_age")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
