"""With a replica configured, only the reads that say so go to it, and never inside a transaction."""

import os
import subprocess
import sys

import pytest

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from firstmile.accounts.actor import Actor
from firstmile.reverse.selectors import ReverseFilters, tab_counts
from firstmile.events.selectors import delivery_list
from firstmile.pickup.models import Warehouse
call_command("migrate", verbosity=0)
from tests import factories
merchant = factories.actor()
with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connections["default"]) as primary:
    tab_counts(actor=merchant, filters=ReverseFilters())
    list(delivery_list(actor=merchant))
    list(Warehouse.objects.all())
    with transaction.atomic():
        tab_counts(actor=merchant, filters=ReverseFilters())
print(len(replica), len(primary))
"""


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs its own SQLite copy")
def test_lag_tolerant_reads_go_to_the_replica_and_the_rest_to_the_primary(tmp_path):
    url = f"sqlite:///{tmp_path / 'replica-test.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "firstmile.settings",
        "DATABASE_URL": url,
        "DATABASE_REPLICA_URL": url,  # the same file stands in for a streaming copy
        "FIRSTMILE_DATA_DIR": str(tmp_path),
    }
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, cwd=os.getcwd())
    assert out.returncode == 0, out.stderr[-2000:]
    replica, primary = map(int, out.stdout.split()[-2:])
    # the counts and the delivery log on the replica; the warehouse read and the counts
    # inside a transaction on the primary (plus the migration's own queries before)
    assert replica == 2
    assert primary >= 2
