"""No English reaches a page in Vietnamese, and no Vietnamese a page in English.

With the demo's consultations, video sessions, referrals and figures loaded, every persona's
pages are walked in Vietnamese by following the links from their home page (a few pages per URL
pattern, so a new page joins the walk when it is linked); the network administrator walks the
admin (index, every changelist, change and add form). Forms are also sent back with errors.
Every text a person reads — text nodes, and the title, aria-label, placeholder, alt, confirm
and button texts — is compared with the English of the translation catalogues (ours, and
Django's for forms, the admin and auth): a text equal to an English message whose Vietnamese
differs, or that has no Vietnamese at all, is a leak. Placeholders match any text
("Choose all %s" catches "Choose all chuyên khoa"). Text marked as another language (``lang``),
like the language switch's "English", is left out.

The reverse: the same walk in English against the Vietnamese of the catalogues (whole messages:
what people wrote stays Vietnamese), and notifications written for a Vietnamese reader read in
English by the same person (placeholders too).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.demo.consults import demo_consults_load
from caunoi.demo.referrals import demo_referrals_load
from caunoi.demo.video import demo_video_load
from caunoi.monitoring.facts import refresh as refresh_facts
from caunoi.network.models import Specialty
from caunoi.notifications.models import Notification
from caunoi.patients.models import Patient

DJANGO_DIR = Path(django.__file__).parent
PERSONAS = ["worker", "specialist", "coordinator", "receiver", "officer", "donor", "admin"]
# Pages each persona's walk must reach, so that a broken link cannot shrink the walk unseen.
MUST_REACH = {
    "worker": {
        "home",
        "patients:list",
        "patients:detail",
        "consults:list",
        "consults:detail",
        "referrals:list",
        "referrals:detail",
        "notifications:list",
        "video:list",
    },
    "specialist": {"home", "consults:list", "consults:detail", "notifications:list"},
    "coordinator": {"home", "consults:list", "consults:detail"},
    "receiver": {"home", "referrals:list", "referrals:detail"},
    "officer": {"home", "monitoring:dashboard"},
    "donor": {"home", "monitoring:dashboard"},
    "admin": {
        "admin:index",
        "admin:network_membership_changelist",
        "admin:network_membership_change",
        "admin:network_supportlink_change",
        "admin:network_facility_change",
        "admin:accounts_user_change",
        "admin:audit_auditevent_changelist",
    },
}
PER_VIEW = 2  # pages per URL pattern and persona
SKIP_PATHS = re.compile(
    r"^/(static|media|api|i18n|healthz)|/logout/|^/admin/(r|jsi18n|logout|login)/"
    r"|\.(pdf|ics|csv|xlsx|json)$|/files/|/export"
)
# Django evaluates these when it imports the models, in the site's language (Vietnamese), so
# every reader sees them in Vietnamese: the names of many-to-many link rows, which only the
# admin's delete confirmation shows.
EVALUATED_AT_IMPORT = {"%(from)s-%(to)s relationship", "%(from)s-%(to)s relationships"}
# The audit trail shows each row's object as it was named when the row was written, in the
# writer's language: the hash chain covers it, so it is evidence and never rewritten.
AS_WRITTEN_CLASSES = {"field-object_label"}
READABLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}
SEGMENTS = re.compile(r"\s*(?:·|—|\||\n|, )\s*")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}|\{\{ ?\w+ ?\}\}")


# --- what a person reads ------------------------------------------------------------------------


class ReadableText(HTMLParser):
    """The texts a person reads on a page, leaving out scripts, styles and anything marked as
    being in another language than the page's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = ""
        self.stack: list[tuple[str, str, bool]] = []  # (tag, language in force, not read)
        self.texts: list[str] = []

    def _language(self) -> str:
        return self.stack[-1][1] if self.stack else self.page_language

    def _quiet(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page_language = values.get("lang", "")
            return
        language = values.get("lang") or self._language()
        quiet = (
            self._quiet()
            or tag in ("script", "style", "template")
            or bool(AS_WRITTEN_CLASSES & set(values.get("class", "").split()))
        )
        if language == self.page_language and not quiet:
            for name in READABLE_ATTRIBUTES:
                if values.get(name):
                    self.texts.append(values[name])
            if tag == "input" and values.get("type") in ("submit", "button", "reset"):
                self.texts.append(values.get("value", ""))
        if tag not in VOID:
            self.stack.append((tag, language, quiet))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._quiet() and self._language() == self.page_language:
            self.texts.append(data)


def readable_texts(html: str) -> list[str]:
    parser = ReadableText()
    parser.feed(html)
    segments = []
    for text in parser.texts:
        whole = " ".join(text.split())
        segments.append(whole)
        segments += [part for part in SEGMENTS.split(text) if part and part != whole]
    return [" ".join(s.split()).strip(" .:;") for s in segments if s.strip(" .:;")]


# --- the catalogues -----------------------------------------------------------------------------


def _catalogues(language: str) -> list[Path]:
    """Our catalogue, our completion of Django's, and the Vietnamese or English catalogues of
    Django and of every installed app that has one (their msgids are the app's English)."""
    paths = [Path(p) / language / "LC_MESSAGES" / "django.po" for p in settings.LOCALE_PATHS]
    paths.append(DJANGO_DIR / "conf" / "locale" / language / "LC_MESSAGES" / "django.po")
    for app in apps.get_app_configs():
        locale = Path(app.path) / "locale"
        if not locale.is_dir() or app.name.startswith("caunoi."):
            continue
        own = locale / language / "LC_MESSAGES" / "django.po"
        # An app with no catalogue in this language: its msgids are still its English.
        paths.append(own if own.exists() else next(locale.glob("*/LC_MESSAGES/django.po")))
    return [p for p in paths if p.exists()]


def _is_leak_pattern(text: str) -> bool:
    """Worth matching: a word of its own (three letters or more), beyond placeholders and
    punctuation — not an ordinal's "{}st"."""
    return re.search(r"[^\W\d_]{3,}", PLACEHOLDER.sub(" ", text)) is not None


@cache
def english_messages() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The English a Vietnamese page must not show: every msgid (and plural) of the catalogues
    except those whose Vietnamese is the same words on purpose ("Email", "Camera")."""
    english: set[str] = set()
    same: set[str] = set()
    for path in _catalogues("vi") + _catalogues("en"):
        is_vietnamese = "/vi/" in str(path)
        for entry in polib.pofile(str(path)):
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                english.add(msgid)
                translated = entry.msgstr or entry.msgstr_plural.get(0, "")
                if is_vietnamese and translated == msgid:
                    same.add(msgid)
    return _exact_and_patterns(english - same)


@cache
def vietnamese_messages() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The Vietnamese an English page must not show: every translation that differs from its
    English."""
    vietnamese: set[str] = set()
    for path in _catalogues("vi"):
        if "/vi/" not in str(path):
            continue
        for entry in polib.pofile(str(path)):
            if entry.msgid in EVALUATED_AT_IMPORT:
                continue
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                if text and text not in (entry.msgid, entry.msgid_plural):
                    vietnamese.add(text)
    return _exact_and_patterns(vietnamese)


def _exact_and_patterns(texts: set[str]) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    exact = set()
    patterns = []
    for text in texts:
        if "<" in text:  # markup: not a text node as such
            continue
        if PLACEHOLDER.search(text):
            if _is_leak_pattern(text):
                parts = [re.escape(part) for part in PLACEHOLDER.split(text)]
                patterns.append(re.compile("^" + ".+?".join(parts).strip() + "$"))
        else:
            exact.add(" ".join(text.split()).strip(" .:;"))
    return frozenset(exact - {""}), tuple(patterns)


def leaks(html: str, messages: tuple[frozenset[str], tuple[re.Pattern[str], ...]]) -> set[str]:
    exact, patterns = messages
    found = set()
    for text in readable_texts(html):
        if text in exact or any(p.match(text) for p in patterns):
            found.add(text)
    return found - same_in_every_language()


@cache
def same_in_every_language() -> frozenset[str]:
    """Words that are data, not interface, yet spelt like a message: identifiers people chose
    (usernames such as "specialist", specialty codes such as "emergency"), and the language
    switch's endonyms ("English" on a Vietnamese page)."""
    return frozenset(
        {name for _code, name in settings.LANGUAGES}
        | set(User.objects.values_list("username", flat=True))
        | set(Specialty.objects.values_list("code", flat=True))
    )


# --- the demo and the walk ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_network: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo's activity over the demo network, loaded once for this module and rolled back
    after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_consults_load()
        demo_video_load()
        demo_referrals_load()
        refresh_facts(full=True)
        yield
        transaction.set_rollback(True)


def _client(username: str, language: str) -> Client:
    """Signed in as someone who reads in ``language`` (their choice, which signing in restores,
    and this browser's)."""
    User.objects.filter(username=username).update(language=language)
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _links(html: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(urljoin(base, href))
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP_PATHS.search(parts.path):
            found.append(url)
    return found


def walk(client: Client, start: str, *, limit: int = 160) -> dict[str, tuple[str, str]]:
    """Pages reached from ``start``: url → (view name, html)."""
    queue = deque([start])
    seen: set[str] = set()
    per_view: Counter[str] = Counter()
    pages: dict[str, tuple[str, str]] = {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            view = resolve(urlsplit(url).path).view_name
        except Resolver404:
            continue
        if per_view[view] >= PER_VIEW:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        per_view[view] += 1
        html = response.content.decode()
        pages[url] = (view, html)
        queue.extend(_links(html, url))
    return pages


def _start(username: str) -> str:
    return "/admin/" if username == "admin" else "/"


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_no_english_reaches_a_persona_s_pages_in_vietnamese(demo, username):
    pages = walk(_client(username, "vi"), _start(username))
    reached = {view for view, _html in pages.values()}
    assert MUST_REACH[username] <= reached, MUST_REACH[username] - reached
    found = {url: sorted(leaks(html, english_messages())) for url, (_v, html) in pages.items()}
    assert {url: texts for url, texts in found.items() if texts} == {}
    assert all('lang="vi"' in html for _view, html in pages.values())


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_no_vietnamese_reaches_a_persona_s_pages_in_english(demo, username):
    pages = walk(_client(username, "en"), _start(username))
    # Whole messages only: clinical notes are Vietnamese in every interface language, and
    # "Sốt 5 ngày" would match "%(num)d ngày".
    whole, _patterns = vietnamese_messages()
    found = {url: sorted(leaks(html, (whole, ()))) for url, (_v, html) in pages.items()}
    assert {url: texts for url, texts in found.items() if texts} == {}
    assert all('lang="en"' in html for _view, html in pages.values())


# --- forms sent back with errors, the error pages ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "url", "data"),
    [
        ("admin", "/admin/network/specialty/add/", {"code": "", "name_vi": "", "name_en": ""}),
        ("admin", "/admin/network/membership/add/", {"role": "", "specialties": []}),
        ("worker", "/patients/new/", {"full_name": ""}),
        ("worker", "/consults/new/?patient={patient}", {"reason": ""}),
    ],
)
def test_forms_sent_back_with_errors_stay_vietnamese(demo, username, url, data):
    patient = Patient.objects.filter(registered_by__username="worker").order_by("id").first()
    assert patient is not None
    response = _client(username, "vi").post(url.format(patient=patient.public_id), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error' in html  # field errors, or the admin's error note
    assert leaks(html, english_messages()) == set()


@pytest.mark.django_db
def test_the_admin_error_summary_is_vietnamese(demo):
    html = (
        _client("admin", "vi")
        .post("/admin/network/specialty/add/", {"code": "", "name_vi": "", "name_en": ""})
        .content.decode()
    )
    assert "Vui lòng sửa các lỗi dưới đây." in html
    assert "Please correct" not in html


@pytest.mark.django_db
def test_one_english_word_two_meanings_two_vietnamese_words(demo):
    """ "History" is the admin's change history and a patient's illness so far."""
    admin = _client("admin", "vi").get("/admin/network/specialty/1/change/").content.decode()
    assert "Lịch sử thay đổi</a>" in admin
    assert "Bệnh sử" not in admin
    consult = (
        Consultation.objects.exclude(history="")
        .exclude(status="draft")  # a draft opens its form
        .filter(requester__username="worker")
        .order_by("id")[0]
    )
    response = _client("worker", "vi").get(consult.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<dt>Bệnh sử</dt>" in page


@pytest.mark.django_db
def test_an_unknown_page_answers_in_vietnamese(demo):
    response = _client("worker", "vi").get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in html
    assert leaks(html, english_messages()) == set()


# --- the admin's JavaScript -------------------------------------------------------------------


def _js_catalogue(client: Client) -> dict[str, Any]:
    body = client.get("/admin/jsi18n/").content.decode()
    match = re.search(r"const newcatalog = (\{.*?\});\n", body, re.S)
    assert match, "no catalogue in the admin's jsi18n"
    return json.loads(match.group(1))


@pytest.mark.django_db
def test_the_admin_javascript_catalogue_is_vietnamese_for_every_message(demo):
    catalogue = _js_catalogue(_client("admin", "vi"))
    english = polib.pofile(str(DJANGO_DIR / "contrib/admin/locale/en/LC_MESSAGES/djangojs.po"))
    missing = [
        e.msgid
        for e in english
        if (f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid) not in catalogue
    ]
    assert missing == []
    # The filter_horizontal widget of a membership's specialties.
    assert catalogue["Choose all %s"] == "Chọn tất cả %s"
    assert catalogue["Chosen %s"] == "Các %s đã chọn"
    assert catalogue["Remove all %s"] == "Bỏ chọn tất cả %s"


@pytest.mark.django_db
def test_the_admin_javascript_catalogue_is_english_in_english(demo):
    body = _client("admin", "en").get("/admin/jsi18n/").content.decode()
    assert "django.gettext" in body
    assert '"Choose all %s"' not in body  # no catalogue: the English msgids show as they are


@pytest.mark.django_db
def test_an_empty_choice_reads_in_the_page_s_language(demo):
    vietnamese = _client("admin", "vi").get("/admin/network/membership/add/").content.decode()
    english = _client("admin", "en").get("/admin/network/membership/add/").content.decode()
    assert "- Chọn một mục -" in vietnamese
    assert "Select an option" not in vietnamese
    assert "- Select an option -" in english


# --- notifications, in the reader's language ------------------------------------------------------


@pytest.mark.django_db
def test_notifications_written_for_a_vietnamese_reader_read_in_english(demo):
    worker = User.objects.get(username="worker")
    notes = Notification.objects.filter(user=worker).exclude(message="")
    assert notes.count() >= 3
    english = _client("worker", "en").get("/notifications/").content.decode()
    vietnamese = _client("worker", "vi").get("/notifications/").content.decode()
    assert leaks(english, vietnamese_messages()) == set()
    assert leaks(vietnamese, english_messages()) == set()
    for note in notes[:30]:
        with translation.override("en"):
            shown = note.shown()
        assert shown.title in english
        assert shown.title != note.title  # stored in Vietnamese, read in English
