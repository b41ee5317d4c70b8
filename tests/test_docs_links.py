"""The README and docs link only to files that are in the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_relative_links_resolve_inside_the_repository():
    broken = []
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not files
            path = (document.parent / target).resolve()
            if not path.exists() or (ROOT not in path.parents and path != ROOT):
                broken.append(f"{document.relative_to(ROOT)} → {target}")
    assert broken == []
