"""Vietnamese first: every user-facing string is extracted, translated and compiled."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
VI_PO = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
VI_MO = VI_PO.with_suffix(".mo")


def test_every_vietnamese_entry_is_translated_and_not_fuzzy():
    po = polib.pofile(str(VI_PO))
    missing = [e.msgid for e in po if not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert missing == []
    assert fuzzy == []
    assert len(po) > 200


def test_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(VI_PO))
    with VI_MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for entry in po:
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert mo.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert mo.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_placeholders_survive_translation():
    po = polib.pofile(str(VI_PO))
    for entry in po:
        for placeholder in ("%(", "{{"):
            if placeholder in entry.msgid:
                source = sorted(part.split(")")[0] for part in entry.msgid.split("%(")[1:])
                target_text = entry.msgstr or entry.msgstr_plural.get(0, "")
                target = sorted(part.split(")")[0] for part in target_text.split("%(")[1:])
                assert source == target, entry.msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_no_user_facing_string_is_missing_from_the_catalogue(tmp_path):
    # Extract afresh from a copy of the package and compare with the committed catalogue.
    copy = tmp_path / "caunoi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-obsolete", "-v0"],
        cwd=copy,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "caunoi.config.test_settings", "PATH": "/usr/bin:/bin"},
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/vi/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(VI_PO))}
    assert sorted(fresh - committed) == [], "run `make messages` and translate the new entries"
