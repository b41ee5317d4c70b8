"""Every log line a Firstmile process writes is one JSON object.

Django's, gunicorn's, django-axes's and our own records all go through the same
formatter (python-json-logger), so a log shipper reads one format: ``time`` (UTC,
ISO 8601), ``level``, ``logger``, ``message``, the process id, any fields passed
with ``extra=`` (the request log's), and ``exc_info`` with the traceback.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_record["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["pid"] = record.process
        super().add_fields(log_record, record, message_dict)


FORMATTER = {"()": "firstmile.core.logs.JsonFormatter", "fmt": "%(message)s"}


def gunicorn_logconfig(level: str) -> dict:
    """gunicorn's own lines (booting, signals, worker exits) in the same JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level.upper(), "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "formatters": {"json": FORMATTER},
    }


def log_start(process: str) -> None:
    """One line at start-up saying which mode is on, so a silently wrong environment shows."""
    from django.conf import settings

    logger = logging.getLogger("firstmile.startup")
    fields = {
        "component": process,
        "mode": "production" if settings.PRODUCTION else "development",
        "secure_cookies": settings.SESSION_COOKIE_SECURE,
        "https_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
        "hsts_seconds": getattr(settings, "SECURE_HSTS_SECONDS", 0),
        "behind_proxy": getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None,
        "allowed_hosts": settings.ALLOWED_HOSTS,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "static_files": "collected" if settings.STATIC_COLLECTED else "app folders",
    }
    if settings.PRODUCTION and not settings.STATIC_COLLECTED and process == "web":
        logger.warning(
            "Firstmile %s starting in production mode, but static files are served uncompressed from the apps' "
            "folders: run `firstmile collectstatic --noinput` (STATIC_ROOT %s) and restart",
            process,
            settings.STATIC_ROOT,
            extra=fields,
        )
    elif settings.PRODUCTION:
        logger.info("Firstmile %s starting in production mode", process, extra=fields)
    else:
        logger.warning(
            "Firstmile %s starting in DEVELOPMENT mode: public secret key allowed, no HTTPS redirect, "
            "no Secure cookies (set FIRSTMILE_PRODUCTION=1 for a real deployment)",
            process,
            extra=fields,
        )
