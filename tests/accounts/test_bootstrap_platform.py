"""Day one: `firstmile bootstrap-platform` makes the platform organisation and the first admin, once."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from firstmile.accounts.models import Organisation, OrganisationKind, Role, User
from firstmile.events.models import Event

from ..workerproc import database_url

pytestmark = pytest.mark.django_db

PASSWORD = "Kuaidi-2026-first-login"


def _bootstrap(*args: str, password: str = PASSWORD) -> str:
    out = io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.StringIO(password + "\n")
    try:
        call_command("bootstrap_platform", *args, "--password-stdin", stdout=out)
    finally:
        sys.stdin = stdin
    return out.getvalue()


def test_the_first_admin_signs_in_to_the_platform_portal_and_may_add_people():
    said = _bootstrap("--username", "ops-admin", "--email", "ops@example.com", "--name", "Firstmile 平台")
    assert "ops-admin" in said
    platform = Organisation.objects.get(kind=OrganisationKind.PLATFORM)
    assert (platform.code, platform.name) == ("platform", "Firstmile 平台")
    admin = User.objects.get(username="ops-admin")
    assert admin.organisation == platform and admin.role == Role.ADMIN and admin.email == "ops@example.com"
    assert admin.is_staff and admin.is_superuser  # the platform's admins use Django admin too
    assert set(Event.objects.filter(owner_id=platform.pk).values_list("kind", flat=True)) == {
        "organisation.created",
        "user.created",
    }
    client = Client()
    assert client.post("/login/", {"username": "ops-admin", "password": PASSWORD}).status_code == 302
    home = client.get("/", follow=True)
    assert home.status_code == 200 and home.redirect_chain[-1][0] == "/ops/"
    assert client.get("/ops/people/").status_code == 200


def test_a_second_run_changes_nothing():
    _bootstrap("--username", "ops-admin")
    with pytest.raises(CommandError, match="already exists"):
        _bootstrap("--username", "someone-else", "--code", "platform-2")
    assert User.objects.filter(username="someone-else").count() == 0
    assert Organisation.objects.filter(kind=OrganisationKind.PLATFORM).count() == 1


@pytest.mark.parametrize(
    ("args", "password", "says"),
    [
        (["--username", "ops-admin"], "123", "password"),
        (["--username", "ops admin"], PASSWORD, "username"),
        (["--username", "ops-admin", "--code", "Bad Code"], PASSWORD, "code"),
        (["--username", "ops-admin", "--email", "not-an-email"], PASSWORD, "email"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(args, password, says):
    with pytest.raises(CommandError, match=says):
        _bootstrap(*args, password=password)
    assert not Organisation.objects.filter(kind=OrganisationKind.PLATFORM).exists()
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_command_as_an_operator_types_it(settings):
    # The command hashes with the real hasher; the suite's fast one alone could not read it.
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    env = {**os.environ, "DATABASE_URL": database_url()}
    ran = subprocess.run(
        [sys.executable, "-m", "firstmile.cli", "bootstrap-platform", "--username", "ops-admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert User.objects.get(username="ops-admin").check_password(PASSWORD)
    without_terminal = subprocess.run(
        [sys.executable, "-m", "firstmile.cli", "bootstrap-platform", "--username", "x"],
        stdin=subprocess.DEVNULL,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert without_terminal.returncode != 0 and "--password-stdin" in without_terminal.stderr
