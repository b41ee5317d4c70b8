#!/usr/bin/env bash
# Install what Firstmile needs on a fresh machine with Python 3.11: uv, the locked
# dependency set into .venv, and Debian's CJK font for labels (fonts-wqy-zenhei).
# With --browser, also Debian's Chromium for the end-to-end tests (never a
# downloaded browser), the ZPL renderer the label tests use and Redocly's OpenAPI
# linter (Node.js from Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv sync --frozen --quiet

debs=()
[[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc || -n "${FIRSTMILE_LABEL_FONT:-}" ]] || debs+=(fonts-wqy-zenhei)
if [[ "${1:-}" == "--browser" ]] && ! command -v chromium >/dev/null 2>&1; then
  debs+=(chromium)
fi
if [[ "${1:-}" == "--browser" ]] && ! command -v npm >/dev/null 2>&1; then
  debs+=(nodejs npm)  # the tests' ZPL renderer (tests/zpl)
fi
if (( ${#debs[@]} )); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${debs[@]}" >/dev/null
fi

# The tests render ZPL labels with a real ZPL engine (Zebrash in WebAssembly, from
# the npm registry, locked in tests/zpl/package-lock.json).
if [[ "${1:-}" == "--browser" && ! -d tests/zpl/node_modules/zpl-renderer-js ]]; then
  npm ci --prefix tests/zpl --no-audit --no-fund --silent
fi
# And lint the OpenAPI document with Redocly's CLI (locked in tests/openapi_lint).
if [[ "${1:-}" == "--browser" && ! -x tests/openapi_lint/node_modules/.bin/redocly ]]; then
  npm ci --prefix tests/openapi_lint --no-audit --no-fund --silent
fi
# And check every portal page for accessibility with axe-core (locked in tests/axe).
if [[ "${1:-}" == "--browser" && ! -f tests/axe/node_modules/axe-core/axe.min.js ]]; then
  npm ci --prefix tests/axe --no-audit --no-fund --silent
fi
