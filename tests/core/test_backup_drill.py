"""The backup and restore drill of docs/deploy.md, performed on a small database with real rows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.pickup.services import warehouse_create

from .. import factories
from ..shipping.conftest import HONGMEI
from ..workerproc import database_url

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backup_restore_drill.py"


def test_a_backup_restores_into_a_whole_copy(divisions, tmp_path):
    if connection.vendor == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    carrier = factories.carrier("JT")
    coverage_assign(actor=None, division_code="441900", carrier=carrier, valid_from=beijing(2023, 1, 1))
    warehouse_create(actor=factories.actor(), **HONGMEI)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path / "backup")],
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the restored copy is whole" in result.stdout
    assert (tmp_path / "backup").stat().st_size > 0
