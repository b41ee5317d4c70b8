#!/usr/bin/env bash
# The whole test suite: on SQLite (browser tests included), then again on a fresh
# PostgreSQL database. Extra arguments go to pytest.
#   FIRSTMILE_TEST_PG_URL   server to use (default postgres://postgres@127.0.0.1:5432)
#   FIRSTMILE_SKIP_PG=1     SQLite only (a laptop without PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
export DJANGO_ALLOW_ASYNC_UNSAFE=true  # Playwright's sync API beside Django's live_server
mkdir -p test-results

echo "== test suite on SQLite (with browser tests)"
env -u DATABASE_URL .venv/bin/pytest "$@"

if [[ "${FIRSTMILE_SKIP_PG:-0}" == "1" ]]; then
  echo "== PostgreSQL run skipped (FIRSTMILE_SKIP_PG=1)"
  exit 0
fi

server="${FIRSTMILE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}"
name="firstmile_ci_$(date +%s)_$$"
admin() { .venv/bin/python - "$server" "$1" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1] + "/postgres", autocommit=True) as conn:
    conn.execute(sys.argv[2])
PY
}
# The run's own database and the test databases made from it (test_<name>_<pid>, tests/conftest.py).
drop_all() { .venv/bin/python - "$server" "$name" <<'PY'
import sys, psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1] + "/postgres", autocommit=True) as conn:
    names = [r[0] for r in conn.execute(
        "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s", (sys.argv[2], f"test\\_{sys.argv[2]}%"))]
    for db in names:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db)))
PY
}
admin "CREATE DATABASE $name"
trap 'drop_all || true' EXIT

echo "== test suite on PostgreSQL ($name)"
DATABASE_URL="$server/$name" .venv/bin/pytest -m "not browser" "$@"
