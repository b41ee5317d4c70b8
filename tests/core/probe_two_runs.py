"""Run twice at once by test_two_runs_from_one_folder.py: each run must see only its own rows."""

import os
import time

import pytest

from firstmile.accounts.models import Organisation

pytestmark = pytest.mark.django_db


def test_this_run_sees_only_its_own_rows():
    code = f"probe-{os.getpid()}"
    Organisation.objects.create(kind="merchant", code=code, name="probe")
    time.sleep(3)  # the other run is writing its row into its own database meanwhile
    assert list(Organisation.objects.filter(code__startswith="probe-").values_list("code", flat=True)) == [code]
