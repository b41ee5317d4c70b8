"""Every message has its Simplified Chinese translation, and the compiled catalogue matches."""

from pathlib import Path

import polib
from django.utils import translation

import firstmile

PO = Path(firstmile.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _translated(entry) -> bool:
    if "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural:
        return all(entry.msgstr_plural.values()) and bool(entry.msgstr_plural)
    return bool(entry.msgstr)


def test_every_message_is_translated():
    untranslated = [e.msgid for e in polib.pofile(str(PO)) if not _translated(e)]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    """A .po edited without running compilemessages shows up here."""
    stale = []
    with translation.override("zh-hans"):
        for e in polib.pofile(str(PO)):
            if e.msgid_plural:
                got, want = translation.ngettext(e.msgid, e.msgid_plural, 1), e.msgstr_plural[0]
            elif e.msgctxt:
                got, want = translation.pgettext(e.msgctxt, e.msgid), e.msgstr
            else:
                got, want = translation.gettext(e.msgid), e.msgstr
            if got != want:
                stale.append(e.msgid)
    assert stale == []
