"""Every portal page as every role, at 1366 px and 390 px, in Chinese and English: it answers as it
should, nothing overflows sideways, the console stays clean, nothing is fetched from another host,
axe-core finds nothing serious or critical, and each language shows no interface text of the other.

With FIRSTMILE_SCREENSHOTS=<folder> (`make screenshots`) each page is also saved as a PNG there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest

from firstmile.demo.data import DEMO_PASSWORD

from .walk import ROLES, add_walk_data, pages_of, portal_page_names

AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PO = Path(__file__).resolve().parents[2] / "src" / "firstmile" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SCREENSHOTS = os.environ.get("FIRSTMILE_SCREENSHOTS")
WIDTHS = (1366, 390)
LANGUAGES = ("zh-hans", "en")
CJK = re.compile(r"[\u3400-\u9fff]")
# What sticks out past the right edge (tables scroll inside their card, so they are left out).
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('table, pre'))
  .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
# Four or more lowercase English words in a row in a Chinese page's text: a sentence nobody translated
# (the catalogue check below only knows the messages makemessages has extracted).
ENGLISH_RUN = """() => {
  const found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('script, style, code, pre, .code, [translate=no]')) continue;
    const match = node.textContent.match(/\\b[A-Za-z][a-z]+(?: [a-z]+){3,}\\b/);
    if (match) found.push(match[0]);
  }
  return found;
}"""
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""


def _catalogue() -> tuple[list[str], list[str]]:
    """Interface text to look for: English sentences a Chinese page must not show, and Chinese
    translations an English page must not show (short or shared words would match user data)."""
    english, chinese = [], []
    for entry in polib.pofile(str(PO)):
        words = entry.msgid
        if "%" in words or "{" in words or entry.msgstr == words or entry.msgctxt:
            continue
        if len(words) >= 12 and " " in words and re.fullmatch(r"[A-Za-z ,.'’()?:;&/-]+", words):
            english.append(words)
        if entry.msgstr and len(CJK.findall(entry.msgstr)) >= 5 and "%" not in entry.msgstr:
            chinese.append(entry.msgstr)
    return english, chinese


ENGLISH, CHINESE = _catalogue()


def _log_in(page, base, username, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_every_portal_page_is_walked_by_some_role(demo):
    add_walk_data()
    walked = {p.name for role in ROLES for p in pages_of(role)}
    assert portal_page_names() - walked == set()


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.username)
def test_every_page_as_each_role(page, demo, role):
    add_walk_data()
    base = demo.url
    host = urlsplit(base).netloc
    problems: list[str] = []
    console: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https", "ws", "wss") and urlsplit(r.url).netloc != host
            else None
        ),
    )
    # axe-core from the npm package, fetched by the page from its own origin (the CSP allows 'self').
    page.route(f"{base}/__axe__.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    pages = pages_of(role)
    assert pages
    for language in LANGUAGES:
        _log_in(page, base, role.username, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for target in pages:
                where = f"{target.path} [{language} {width}px]"
                console.clear()
                response = page.goto(base + target.path)
                if response.status != target.status:
                    problems.append(f"{where}: status {response.status}, not {target.status}")
                    continue
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 1:
                    wide = page.evaluate(WIDE_ELEMENTS)
                    problems.append(f"{where}: {overflow}px wider than the screen: {wide}")
                if width == WIDTHS[0]:
                    page.add_script_tag(url=f"{base}/__axe__.js")
                    violations = page.evaluate(AXE_RUN)
                    problems += [f"{where}: axe {v}" for v in violations]
                    text = page.inner_text("body")
                    if language == "en":
                        problems += [f"{where}: Chinese interface text {t!r}" for t in CHINESE if t in text]
                    else:
                        problems += [f"{where}: English interface text {t!r}" for t in ENGLISH if t in text]
                        problems += [f"{where}: untranslated {t!r}" for t in page.evaluate(ENGLISH_RUN)]
                # The browser reports the 403 page's own status as a failed load: that one is expected.
                expected = f"status of {target.status}"
                problems += [f"{where}: console {line}" for line in console if expected not in line]
                if SCREENSHOTS:
                    folder = Path(SCREENSHOTS)
                    folder.mkdir(parents=True, exist_ok=True)
                    page.screenshot(
                        path=str(folder / f"{role.username}-{target.name}-{language}-{width}.png"), full_page=True
                    )
    problems += [f"request to another host: {url}" for url in sorted(set(foreign))]
    assert not problems, "\n".join(problems)
