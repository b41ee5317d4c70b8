"""Two test runs started from one folder at once each get a database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import _alive

PROBE = Path(__file__).with_name("probe_two_runs.py")


def test_two_runs_at_once_do_not_share_a_database(tmp_path):
    env = {**os.environ, "FIRSTMILE_DATA_DIR": str(tmp_path)}
    (tmp_path / "test-firstmile-999999999.sqlite3").write_bytes(b"left by a run that died")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PROBE)]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(outputs)
    if "DATABASE_URL" not in os.environ:
        assert not (tmp_path / "test-firstmile-999999999.sqlite3").exists()  # a dead run's file is cleared


@pytest.mark.parametrize(("pid", "alive"), [(os.getpid(), True), (999_999_999, False)])
def test_a_run_is_alive_while_its_process_is(pid, alive):
    assert _alive(pid) is alive
