"""Idempotency-Key for every state-changing API request.

A client that did not hear the answer (a dropped connection, a timeout) sends the
same request again with the same key and gets the first answer, with
``Idempotent-Replayed: true``, instead of a second effect. The same key with a
different request is refused (422); a repeat while the first is still running gets
409. Keys are kept 24 hours, per credential.

The first request's effect and its stored answer commit in one transaction, so a
process that dies in between leaves neither: the key is then free to be retried
once the unfinished marker is older than ``ABANDONED_AFTER``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from firstmile.core.clock import now

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)
MAX_STORED_BODY = 5 * 1024 * 1024
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Answers about the credentials or the rate, not the request: a retry must be free to do better.
_NOT_STORED = {401, 429}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "field": HEADER}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _scope(request: HttpRequest) -> str | None:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization.lower().startswith("bearer "):
        return "token:" + hashlib.sha256(authorization[7:].strip().encode()).hexdigest()[:64]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        # The boundary changes with every upload of the same file: compare what was sent, not how.
        fields = sorted((k, v) for k, values in request.POST.lists() for v in values)
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type or "application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in _METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not _KEY.match(key):
            return _error(
                400,
                "invalid_input",
                _("Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)."),
            )
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)  # unauthenticated: the API answers 401, nothing to remember
        fingerprint = _fingerprint(request)
        record, answer = self._claim(scope, key, fingerprint)
        if answer is not None:
            return answer
        try:
            with transaction.atomic():
                response = self.get_response(request)
                stored = self._complete(record, response)
                if not stored:
                    transaction.set_rollback(response.status_code >= 500)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
            raise
        if not stored:
            IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
        return response

    def _claim(self, scope: str, key: str, fingerprint: str):
        moment = now()
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        scope=scope, key=key, fingerprint=fingerprint, created_at=moment
                    ), None
            except IntegrityError:
                pass
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue  # removed meanwhile (the first request failed): try to claim again
            expired = existing.created_at < moment - KEEP
            abandoned = existing.completed_at is None and existing.created_at < moment - ABANDONED_AFTER
            if expired or abandoned:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
                continue
            if existing.fingerprint != fingerprint:
                return None, _error(
                    422,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used for a different request; use a new key for a new request."),
                )
            if existing.completed_at is None:
                return None, _error(
                    409,
                    "idempotency_request_in_flight",
                    _("A request with this Idempotency-Key is still being processed; retry in a moment."),
                )
            return None, _replay(existing)
        return None, _error(409, "idempotency_request_in_flight", _("Retry in a moment."))

    @staticmethod
    def _complete(record: IdempotencyRecord, response: HttpResponse) -> bool:
        """Store the answer beside the effect; False when this answer is not one to replay."""
        if response.status_code >= 500 or response.status_code in _NOT_STORED or response.streaming:
            return False
        body = response.content
        if len(body) > MAX_STORED_BODY:
            return False
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            completed_at=now(),
            status_code=response.status_code,
            content_type=response.get("Content-Type", "")[:100],
            body=body,
        )
        return True


def purge_expired() -> int:
    """Forget keys older than 24 hours (the worker calls this now and then)."""
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now() - KEEP).delete()
    return deleted
