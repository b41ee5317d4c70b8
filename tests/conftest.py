import os
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.geo import addresses
from firstmile.geo.loader import load_divisions
from firstmile.geo.models import Division

from . import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each test run its own test database, so two runs from one folder never share one.

    SQLite: ``test-firstmile-<pid>.sqlite3`` beside the development database, and
    files left by runs that died (their process is gone) are removed. PostgreSQL:
    ``test_<name>_<pid>``, dropped at the end of the run as usual.
    """
    from django.conf import settings

    run = os.getpid()
    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = Path(test.get("NAME") or database["NAME"]).parent
        for left in folder.glob("test-firstmile-*.sqlite3*"):
            pid = left.name.removeprefix("test-firstmile-").split(".", 1)[0]
            if pid.isdigit() and int(pid) != run and not _alive(int(pid)):
                left.unlink(missing_ok=True)
        test["NAME"] = str(folder / f"test-firstmile-{run}.sqlite3")
    else:
        test["NAME"] = f"test_{database['NAME']}_{run}"[:63]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def divisions(transactional_db):
    """Reference divisions for tests whose database is flushed between tests.

    The data migration loads them once; a flush (live_server, transactional_db)
    empties the table, so those tests load them again.
    """
    if not Division.objects.exists():
        load_divisions(Division)
    addresses.clear_cache()


@pytest.fixture
def platform_actor(db):
    return factories.actor(kind=OrganisationKind.PLATFORM)


@pytest.fixture
def merchant_actor(db):
    return factories.actor(kind=OrganisationKind.MERCHANT)


@pytest.fixture
def jt(db):
    return factories.carrier("JT")


@pytest.fixture
def ws(db):
    return factories.carrier("WS")


@pytest.fixture
def carrier_actor(jt):
    return factories.actor(jt.organisation, kind=OrganisationKind.CARRIER, role=Role.ADMIN)


class ApiClient:
    """A Django test client speaking JSON to /api/v1 with a bearer token."""

    def __init__(self, token: str | None = None, language: str | None = None) -> None:
        self.client = Client()
        self.headers = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if language:
            self.headers["Accept-Language"] = language

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def db_vendor():
    return connection.vendor
