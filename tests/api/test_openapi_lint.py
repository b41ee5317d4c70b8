"""Redocly's linter (npm @redocly/cli, locked in tests/openapi_lint) finds nothing in the OpenAPI document."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from firstmile.api.api import api

LINT = Path(__file__).resolve().parents[1] / "openapi_lint"
REDOCLY = LINT / "node_modules" / ".bin" / "redocly"


def test_redocly_lint_finds_no_error_and_no_warning(tmp_path):
    assert REDOCLY.exists(), "run scripts/bootstrap.sh --browser (npm ci --prefix tests/openapi_lint)"
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(api.get_openapi_schema(), ensure_ascii=False))
    run = subprocess.run(
        [str(REDOCLY), "lint", str(document), "--config", str(LINT / "redocly.yaml"), "--format", "stylish"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Your API description is valid" in output, output
    assert "warning" not in output.replace("Deprecation warning", ""), output
