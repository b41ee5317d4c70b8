"""Every message has its Simplified Chinese translation, and the compiled catalogue matches."""

from pathlib import Path

import polib
from django.utils import translation

import firstmile

PO = Path(firstmile.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue if not e.msgstr or "fuzzy" in e.flags]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    """A .po edited without running compilemessages shows up here."""
    with translation.override("zh-hans"):
        stale = [e.msgid for e in polib.pofile(str(PO)) if translation.gettext(e.msgid) != e.msgstr]
    assert stale == []
