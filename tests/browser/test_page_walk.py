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

from .walk import PUBLIC_PAGES, ROLES, Page, add_walk_data, pages_of, portal_page_names

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


class Walker:
    """Opens pages in one browser tab and writes down everything wrong with them."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.problems: list[str] = []
        self.console: list[str] = []
        self.foreign: list[str] = []
        host = urlsplit(base).netloc
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(str(e)))
        page.on(
            "request",
            lambda r: (
                self.foreign.append(r.url)
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss") and urlsplit(r.url).netloc != host
                else None
            ),
        )
        # axe-core from the npm package, fetched by the page from its own origin (the CSP allows 'self').
        page.route(f"{base}/__axe__.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))

    def check(self, target: Page, language: str, width: int, who: str) -> None:
        page, where = self.page, f"{target.path} [{language} {width}px]"
        self.console.clear()
        response = page.goto(self.base + target.path)
        if response.status != target.status:
            self.problems.append(f"{where}: status {response.status}, not {target.status}")
            return
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            self.problems.append(f"{where}: {overflow}px wider than the screen: {page.evaluate(WIDE_ELEMENTS)}")
        if width == WIDTHS[0]:
            page.add_script_tag(url=f"{self.base}/__axe__.js")
            self.problems += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]
            text = page.inner_text("body")
            if language == "en":
                self.problems += [f"{where}: Chinese interface text {t!r}" for t in CHINESE if t in text]
            else:
                self.problems += [f"{where}: English interface text {t!r}" for t in ENGLISH if t in text]
                self.problems += [f"{where}: untranslated {t!r}" for t in page.evaluate(ENGLISH_RUN)]
        # The browser reports the 403 page's own status as a failed load: that one is expected.
        expected = f"status of {target.status}"
        self.problems += [f"{where}: console {line}" for line in self.console if expected not in line]
        if SCREENSHOTS:
            folder = Path(SCREENSHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{who}-{target.name}-{language}-{width}.png"), full_page=True)

    def verdict(self) -> str:
        return "\n".join(self.problems + [f"request to another host: {u}" for u in sorted(set(self.foreign))])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.username)
def test_every_page_as_each_role(page, demo, role):
    add_walk_data()
    walker = Walker(page, demo.url)
    pages = pages_of(role)
    assert pages
    for language in LANGUAGES:
        _log_in(page, demo.url, role.username, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for target in pages:
                walker.check(target, language, width, role.username)
    assert not walker.verdict(), walker.verdict()


def test_public_pages_without_logging_in(page, demo):
    walker = Walker(page, demo.url)
    for language in LANGUAGES:
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": language, "url": demo.url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for target in PUBLIC_PAGES:
                walker.check(target, language, width, "public")
    assert not walker.verdict(), walker.verdict()
