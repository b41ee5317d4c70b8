"""Firstmile settings: one module, driven by environment variables.

Development defaults are safe to run on a laptop; production sets
FIRSTMILE_SECRET_KEY, DATABASE_URL and FIRSTMILE_ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from firstmile.core.env import check_no_trailing_comments, env_bool, env_float, env_int

PACKAGE_DIR = Path(__file__).resolve().parent
# The SQLite file and collected static files live outside the package, in a
# directory git ignores, so a fresh clone never carries a database.
DATA_DIR = Path(os.environ.get("FIRSTMILE_DATA_DIR", Path.cwd() / "var"))


# Every value is read strictly (core/env.py): a flag that is neither on nor off, a
# number that is not one, or a value that kept an environment file's trailing
# comment stops the process here, with the variable named.
check_no_trailing_comments()


DEBUG = env_bool("FIRSTMILE_DEBUG")
# Only for development: it is public, so production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "firstmile-development-key-not-for-production-8c1f2e"
SECRET_KEY = os.environ.get("FIRSTMILE_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# FIRSTMILE_PRODUCTION=1: refuse the public key and DEBUG, HTTPS-only cookies, HSTS,
# redirect to HTTPS; `firstmile check --deploy` is clean in this mode.
PRODUCTION = env_bool("FIRSTMILE_PRODUCTION")
if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "FIRSTMILE_PRODUCTION is set but FIRSTMILE_SECRET_KEY is missing, the public development key, "
            "or shorter than 50 characters. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if DEBUG:
        raise ImproperlyConfigured("FIRSTMILE_PRODUCTION and FIRSTMILE_DEBUG cannot both be set.")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("FIRSTMILE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("FIRSTMILE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files, not a CDN (and so under the CSP)
    "django_tasks",
    "firstmile.core.vendor_apps.TaskResultsConfig",  # django_tasks_db, its admin section translated
    "firstmile.core.vendor_apps.AxesConfig",  # axes, likewise
    "csp",
    "firstmile.core",
    "firstmile.accounts",
    "firstmile.events",
    "firstmile.geo",
    "firstmile.carriers",
    "firstmile.pickup",
    "firstmile.shipping",
    "firstmile.bundles",
    "firstmile.dispatch",
    "firstmile.switchover",
    "firstmile.reverse",
    "firstmile.metrics",
    "firstmile.api",
    "firstmile.portals",
    "firstmile.demo",
]

MIDDLEWARE = [
    # /healthz and /readyz: answered before the host check and the HTTPS redirect,
    # as load balancers probe by address over plain HTTP (health.py).
    "firstmile.health.HealthProbeMiddleware",
    # Outermost: it times the whole request and logs the status the client gets.
    "firstmile.core.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "firstmile.core.middleware.ControlCharacterGuard",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication, so a session's key is its user's; before every view.
    "firstmile.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "firstmile.core.csp.ConstantCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "firstmile.portals.middleware.ApplicationErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes watches every login (portals and Django admin): after 5 failures for
# one username from one address, that pair waits 15 minutes. Locking a username
# everywhere would let anyone lock a merchant out; locking an address would lock
# out a whole warehouse behind one NAT.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("FIRSTMILE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a load balancer or proxy the socket's address is the proxy's: lock out
# by the client's (core/client_ip.py), with as many proxies trusted as there are.
FIRSTMILE_TRUSTED_PROXY_COUNT = env_int("FIRSTMILE_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "firstmile.core.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "portals/locked_out.html"
# Bad API tokens from one address: this many in the window, then 429 until it passes.
FIRSTMILE_TOKEN_FAILURE_LIMIT = env_int("FIRSTMILE_TOKEN_FAILURE_LIMIT", 20)
FIRSTMILE_TOKEN_FAILURE_WINDOW = 600
# Parcels due to be collected or at the sorting centre within this many hours show as at risk.
# Work the worker does on a timer besides tasks and deliveries: (dotted path, every n seconds).
FIRSTMILE_WORKER_PERIODIC = [
    ("firstmile.metrics.tasks.rollup_due", max(5, env_int("FIRSTMILE_METRICS_ROLLUP_EVERY", 60))),
]
FIRSTMILE_SLA_RISK_HOURS = max(1, env_int("FIRSTMILE_SLA_RISK_HOURS", 4))
# The public tracking page (/track/): lookups per client address per window, right or wrong.
FIRSTMILE_PUBLIC_TRACK_LIMIT = env_int("FIRSTMILE_PUBLIC_TRACK_LIMIT", 30)
FIRSTMILE_PUBLIC_TRACK_WINDOW = 600
# The portals' search box: searches per person per window.
FIRSTMILE_SEARCH_LIMIT = env_int("FIRSTMILE_SEARCH_LIMIT", 120)
FIRSTMILE_SEARCH_WINDOW = 60
# How long a web process trusts its last reading that an address is under the
# token failure limit (seconds; api/auth.py); 0 reads the counter on every request.
FIRSTMILE_TOKEN_FAILURE_RECHECK = env_float("FIRSTMILE_TOKEN_FAILURE_RECHECK", 5)

# Throttle counters live in the cache: per process by default, shared across
# processes and machines with FIRSTMILE_REDIS_URL (Django's own Redis backend).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["FIRSTMILE_REDIS_URL"]}
        if os.environ.get("FIRSTMILE_REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

ROOT_URLCONF = "firstmile.urls"
WSGI_APPLICATION = "firstmile.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firstmile.portals.context_processors.party",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'firstmile.sqlite3'}",
        conn_max_age=env_int("FIRSTMILE_DB_CONN_MAX_AGE", 60),
    )
}
if os.environ.get("DATABASE_REPLICA_URL"):
    # A streaming replica for the reads that say they tolerate lag (core/replica.py).
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["firstmile.core.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The hot reads of core/prepared.py bind their parameters on the server, and
    # psycopg keeps a statement prepared on the connection after its fifth run, so
    # PostgreSQL stops re-planning them. Other queries bind on the client as
    # Django's default and are never prepared. A transaction-mode pooler older
    # than PgBouncer 1.21 cannot carry prepared statements: set 0 there.
    _prepare = env_bool("FIRSTMILE_DB_PREPARED_STATEMENTS", True)
    for _alias in DATABASES:
        DATABASES[_alias].setdefault("OPTIONS", {})["prepare_threshold"] = 5 if _prepare else None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Writers wait for each other instead of failing with "database is locked";
    # WAL lets readers go on while one writer commits.
    # Tests use a file too (not :memory:), so concurrent connections in race
    # tests see each other's commits and queue on the write lock as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-firstmile.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portals:login"
LOGIN_REDIRECT_URL = "portals:home"
LOGOUT_REDIRECT_URL = "portals:login"

# Stored in UTC, shown and accepted in Beijing time.
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

USE_I18N = True
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("FIRSTMILE_STATIC_ROOT") or DATA_DIR / "staticfiles")
# WhiteNoise serves from the finders (no collectstatic needed) but expects the root to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Production serves what `firstmile collectstatic` wrote: names carrying a content
# hash (cached for a year by browsers and proxies), each with gzip and Brotli
# copies made once. Releases side by side share the folder safely: a new release
# adds its hashed files beside the old ones', which old processes keep serving.
# Until collectstatic has run, pages still work, served from the apps' folders
# uncompressed, and the start-up line says so (core/logs.py).
STATIC_COLLECTED = PRODUCTION and (STATIC_ROOT / "staticfiles.json").is_file()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "firstmile.core.static.CollectedStaticFilesStorage"
            if PRODUCTION
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Uploaded and generated files (job inputs and results, destruction photos) live
# on the local disk by default, which every web and worker process must share.
# With several machines, an S3-compatible store (AWS S3, MinIO, Aliyun OSS,
# Tencent COS, …) through django-storages: `pip install firstmile[s3]`, then
# FIRSTMILE_STORAGE=s3 and the bucket below. Files stay private: Firstmile
# streams them through its own permission checks, never by public URL.
if os.environ.get("FIRSTMILE_STORAGE", "local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["FIRSTMILE_S3_BUCKET"],
            "endpoint_url": os.environ.get("FIRSTMILE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("FIRSTMILE_S3_REGION") or None,
            "location": os.environ.get("FIRSTMILE_S3_PREFIX", "firstmile"),
            # credentials: the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
            # environment (or an instance role), read by boto3 itself
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": os.environ.get("FIRSTMILE_S3_ADDRESSING_STYLE") or None,
        },
    }
# Development and the demo serve straight from the apps' static folders: no collectstatic.
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("FIRSTMILE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# An order must ship within this many hours of its creation, plus any extension.
FIRSTMILE_BASE_HANDLING_HOURS = env_int("FIRSTMILE_BASE_HANDLING_HOURS", 48)

# Webhook endpoints on private, loopback or link-local addresses: refused in production
# (they would let a party make the server reach its own network), allowed for the demo
# and tests, whose receivers listen on 127.0.0.1.
FIRSTMILE_WEBHOOK_ALLOW_PRIVATE = env_bool("FIRSTMILE_WEBHOOK_ALLOW_PRIVATE", not PRODUCTION)

# A worker leases a webhook delivery for this long before sending it: longer than the
# connect and read timeouts together (5 + 15 s), so a slow send is never doubled; a
# killed worker's deliveries go out again once it runs out.
FIRSTMILE_WEBHOOK_LEASE_SECONDS = env_int("FIRSTMILE_WEBHOOK_LEASE_SECONDS", 60)
# Finished webhook deliveries stay in the receiving party's log this many days.
FIRSTMILE_WEBHOOK_LOG_DAYS = env_int("FIRSTMILE_WEBHOOK_LOG_DAYS", 30)
# /readyz reports not ready while no worker has been seen (set 0 for web-only tests).
FIRSTMILE_READY_REQUIRES_WORKER = env_bool("FIRSTMILE_READY_REQUIRES_WORKER", True)
# A worker whose heartbeat is older than this is dead: its running jobs read "interrupted".
FIRSTMILE_WORKER_DEAD_AFTER_SECONDS = env_int("FIRSTMILE_WORKER_DEAD_AFTER_SECONDS", 30)

# On PostgreSQL events and scans are partitioned by month (core/partitioning.py);
# months that ended this many months ago leave the working tables for the
# firstmile_archive schema. 0 keeps every month online; else at least 3, so no
# webhook delivery outlives its event.
FIRSTMILE_ARCHIVE_AFTER_MONTHS = env_int("FIRSTMILE_ARCHIVE_AFTER_MONTHS", 0)
if 0 < FIRSTMILE_ARCHIVE_AFTER_MONTHS < 3 or FIRSTMILE_ARCHIVE_AFTER_MONTHS < 0:
    raise ImproperlyConfigured("FIRSTMILE_ARCHIVE_AFTER_MONTHS must be 0 (keep every month) or at least 3.")

# Warehouses per transaction of a switchover push: each chunk commits with its checkpoint.
FIRSTMILE_PUSH_CHUNK = env_int("FIRSTMILE_PUSH_CHUNK", 20000)

# A parcel whose pickup failed this many times is flagged for the merchant and the platform.
FIRSTMILE_PICKUP_FAILURE_LIMIT = max(1, env_int("FIRSTMILE_PICKUP_FAILURE_LIMIT", 2))
# A PICK UP parcel not collected this many hours after its label was issued needs attention.
FIRSTMILE_STALE_PARCEL_HOURS = max(1, env_int("FIRSTMILE_STALE_PARCEL_HOURS", 48))

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION or env_bool("FIRSTMILE_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("FIRSTMILE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("FIRSTMILE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FIRSTMILE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("FIRSTMILE_HSTS_PRELOAD", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (nginx, a cloud load balancer).
    if env_bool("FIRSTMILE_BEHIND_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp): scripts and styles only from Firstmile itself,
# no inline script, no eval (htmx is configured without it), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # WebAssembly (no eval of text): the driver page's barcode reader (portals/scan.js).
        "script-src": [SELF, "'wasm-unsafe-eval'"],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Every line is one JSON object (core/logs.py): request lines, errors with their
# tracebacks, django-axes's lockouts, the worker's and gunicorn's own lines.
_LOG_LEVEL = os.environ.get("FIRSTMILE_LOG_LEVEL", "INFO").strip().upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "firstmile.core.logs.JsonFormatter", "fmt": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
    "loggers": {
        # One line per request: request id, method, path, status, duration, organisation.
        "firstmile.request": {
            "handlers": ["console"],
            "level": "INFO" if env_bool("FIRSTMILE_REQUEST_LOG", True) else "WARNING",
            "propagate": False,
        },
        "firstmile.startup": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Django's own "Not Found: /x" lines say less than ours.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # runserver's access line repeats each request our JSON line already logged.
        "django.server": {
            "handlers": ["console"],
            "level": "ERROR" if env_bool("FIRSTMILE_REQUEST_LOG", True) else "INFO",
            "propagate": False,
        },
    },
}

# SQLite ignores INCLUDE columns of covering indexes (they only serve PostgreSQL's
# index-only scans); the key columns are still indexed there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
