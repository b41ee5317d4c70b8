#!/usr/bin/env bash
# Install what Firstmile needs on a fresh machine with Python 3.11: uv, the locked
# dependency set into .venv, and Debian's CJK font for labels (fonts-wqy-zenhei).
# With --browser, also Debian's Chromium for the end-to-end tests (never a
# downloaded browser).
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
if (( ${#debs[@]} )); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${debs[@]}" >/dev/null
fi
