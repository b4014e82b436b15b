"""Django's own strings — forms, model fields, the admin and its JavaScript, auth — read in
Vietnamese: what Django's Vietnamese catalogue lacks, caunoi/locale_django supplies. A Django
upgrade that adds strings fails here with the list to translate."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import django
import polib
import pytest
from django.conf import settings
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils import translation

DJANGO = Path(django.__file__).parent
OURS = Path(settings.LOCALE_PATHS[1]) / "vi" / "LC_MESSAGES"
CATALOGUES = [
    ("conf/locale", "django"),
    ("contrib/admin/locale", "django"),
    ("contrib/admin/locale", "djangojs"),
    ("contrib/auth/locale", "django"),
    ("contrib/contenttypes/locale", "django"),
    ("contrib/humanize/locale", "django"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def _translated(path: Path) -> set[tuple[str | None, str]]:
    if not path.exists():
        return set()
    return {_key(e) for e in polib.pofile(str(path)) if e.translated() and "fuzzy" not in e.flags}


def test_locale_django_sits_after_our_own_catalogue():
    assert [Path(p).name for p in settings.LOCALE_PATHS] == ["locale", "locale_django"]


@pytest.mark.parametrize(("where", "domain"), CATALOGUES)
def test_every_django_string_has_vietnamese(where, domain):
    english = polib.pofile(str(DJANGO / where / "en" / "LC_MESSAGES" / f"{domain}.po"))
    vietnamese = _translated(DJANGO / where / "vi" / "LC_MESSAGES" / f"{domain}.po")
    vietnamese |= _translated(OURS / f"{domain}.po")
    missing = [e.msgid for e in english if _key(e) not in vietnamese]
    assert missing == [], f"translate these in {OURS / domain}.po"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_our_completion_is_whole_compiled_and_keeps_placeholders(domain):
    po = polib.pofile(str(OURS / f"{domain}.po"))
    assert len(po) > 40
    with (OURS / f"{domain}.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for entry in po:
        assert entry.translated(), entry.msgid
        assert "fuzzy" not in entry.flags, entry.msgid
        text = entry.msgstr or entry.msgstr_plural[0]
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(text))
        if entry.msgid_plural:
            assert mo.ngettext(entry.msgid, entry.msgid_plural, 1) == text
        elif entry.msgctxt:
            assert mo.pgettext(entry.msgctxt, entry.msgid) == text
        else:
            assert mo.gettext(entry.msgid) == text


def test_the_empty_choice_and_the_admin_error_summary_read_in_vietnamese():
    with translation.override("vi"):
        assert str(BLANK_CHOICE_LABEL) == "- Chọn một mục -"
        # Through variables: the literals would be extracted into our own catalogue.
        singular, plural = "Please correct the error below.", "Please correct the errors below."
        assert translation.ngettext(singular, plural, 2) == "Vui lòng sửa các lỗi dưới đây."
    with translation.override("en"):
        assert str(BLANK_CHOICE_LABEL) == "- Select an option -"
