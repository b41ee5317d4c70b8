"""Firstmile settings: one module, driven by environment variables.

Development defaults are safe to run on a laptop; production sets
FIRSTMILE_SECRET_KEY, DATABASE_URL and FIRSTMILE_ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
# The SQLite file and collected static files live outside the package, in a
# directory git ignores, so a fresh clone never carries a database.
DATA_DIR = Path(os.environ.get("FIRSTMILE_DATA_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("FIRSTMILE_DEBUG")
SECRET_KEY = os.environ.get(
    "FIRSTMILE_SECRET_KEY",
    # Only for development: production must set its own key.
    "firstmile-development-key-not-for-production-8c1f2e",
)
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
    "django_tasks",
    "django_tasks_db",
    "firstmile.core",
    "firstmile.accounts",
    "firstmile.events",
    "firstmile.geo",
    "firstmile.carriers",
    "firstmile.pickup",
    "firstmile.shipping",
    "firstmile.dispatch",
    "firstmile.switchover",
    "firstmile.reverse",
    "firstmile.api",
    "firstmile.portals",
    "firstmile.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "firstmile.core.middleware.ControlCharacterGuard",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "firstmile.portals.middleware.ApplicationErrorMiddleware",
]

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
        conn_max_age=int(os.environ.get("FIRSTMILE_DB_CONN_MAX_AGE", "60")),
    )
}
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
STATIC_ROOT = DATA_DIR / "staticfiles"
# WhiteNoise serves from the finders (no collectstatic needed) but expects the root to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders, so the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("FIRSTMILE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# An order must ship within this many hours of its creation, plus any extension.
FIRSTMILE_BASE_HANDLING_HOURS = int(os.environ.get("FIRSTMILE_BASE_HANDLING_HOURS", "48"))

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("FIRSTMILE_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FIRSTMILE_LOG_LEVEL", "INFO")},
}

# SQLite ignores INCLUDE columns of covering indexes (they only serve PostgreSQL's
# index-only scans); the key columns are still indexed there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
