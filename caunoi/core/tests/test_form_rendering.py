"""The shared rendering of forms and of the page header: a form that comes back with errors is
summarised at the top of the page with a link to each field; every field names its help and
its errors by ids that exist; a choice of options is a fieldset named by its legend; the
header offers the other language by its own name."""

from __future__ import annotations

import re
import uuid
from html import unescape
from unicodedata import normalize

import pytest
from django import forms
from django.template import Context, Template
from django.utils.functional import SimpleLazyObject

from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', re.S)


def in_english(user, login):
    """A page client of a person who chose English (the account's choice wins over a cookie)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return login(user)


def summary_items(html: str) -> list[str]:
    found = SUMMARY.search(html)
    assert found, "no error summary on the page"
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def test_a_form_that_comes_back_lists_every_error_at_the_top_linking_to_its_field(worker, login):
    patient = make_patient(worker)
    client = in_english(worker, login)
    response = client.post(
        "/consults/new/",
        {"client_id": str(uuid.uuid4()), "patient": str(patient.public_id), "submit": "1"},
    )
    html = response.content.decode()
    form = response.context["form"]
    assert form.errors, "the empty form should have been refused"
    items = summary_items(html)
    expected_links = {
        f"#{form[name].id_for_label or form[name].auto_id + '_0'}" for name in form.errors
    }
    links = set(re.findall(r'<a href="(#[^"]+)">', "".join(items)))
    assert links == expected_links
    assert len(items) == sum(len(errors) for errors in form.errors.values())
    # At the top of the page: before the page's heading, and said in the title.
    assert html.index('id="error-summary"') < html.index("<h1>")
    assert re.search(r"<title>Error: Ask a specialist", html)
    # Each field carries its own message too, under the id its input names.
    for name in form.errors:
        assert f'id="{form[name].auto_id}_error"' in html


def test_a_page_whose_form_is_fine_has_no_error_summary(worker, login):
    patient = make_patient(worker)
    html = login(worker).get(f"/consults/new/?patient={patient.public_id}").content.decode()
    assert "error-summary" not in html
    assert "<title>Error" not in html


def test_a_message_about_the_whole_form_is_shown_once(client):
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/", {"username": "worker", "password": "wrong"})
    html = unescape(response.content.decode())
    items = summary_items(html)
    assert len(items) == 1
    assert "password" in items[0]
    assert html.count(items[0]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/consults/new/?patient={patient}",
        "/patients/new/",
        "/referrals/new/?patient={patient}",
        "/accounts/profile/",
        "/accounts/password/change/",
    ],
)
def test_every_aria_describedby_names_an_element_of_the_page(worker, login, path):
    patient = make_patient(worker)
    client = login(worker)
    pages = [client.get(path.format(patient=patient.public_id)).content.decode()]
    if "profile" not in path and "{patient}/" not in path:
        # The same form sent back empty: the errors join the help.
        pages.append(client.post(path.format(patient=patient.public_id), {}).content.decode())
    named_anywhere = set()
    for html in pages:
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        named = {
            token
            for value in re.findall(r'aria-describedby="([^"]+)"', html)
            for token in value.split()
        }
        assert named <= ids, f"{path}: aria-describedby names missing ids {named - ids}"
        named_anywhere |= named
    assert named_anywhere, f"no field of {path} names its help or errors"


def test_a_choice_of_options_is_a_fieldset_named_by_its_legend(worker, login):
    patient = make_patient(worker)
    html = in_english(worker, login).get(f"/consults/new/?patient={patient.public_id}")
    html = html.content.decode()
    groups = re.finditer(
        r'<fieldset class="group">\s*<legend>(.*?)</legend>(.*?)</fieldset>', html, re.S
    )
    group = next((g for g in groups if "Urgency" in g.group(1)), None)
    assert group, "the urgency choice is not a fieldset"
    radios = re.findall(r'<label for="id_urgency_\d">\s*<input type="radio"', group.group(2))
    assert len(radios) == 3
    # Only the options have labels: no label points at the group as a whole.
    assert 'for="id_urgency"' not in html


def test_the_summary_reads_forms_without_waking_lazy_values(rf):
    class Question(forms.Form):
        text = forms.CharField(label="Question")

    def explode() -> None:
        raise AssertionError("a lazy value was evaluated")

    template = Template(
        "{% load form_errors %}{% form_problems as p %}{% for x in p %}[{{ x.label }}|{{ x.target }}]{% endfor %}"
    )
    context = Context(
        {"lazy": SimpleLazyObject(explode), "form": Question({"text": ""}), "other": Question()}
    )
    assert template.render(context) == "[Question|id_text]"


def test_the_header_offers_the_other_language_by_its_own_name(worker, login):
    client = login(worker)
    vietnamese = client.get("/").content.decode()
    assert re.search(
        r'<button type="submit" name="language" value="en" lang="en">English</button>', vietnamese
    )
    assert 'value="vi"' not in vietnamese
    english_page = in_english(worker, login).get("/").content.decode()
    offered = re.search(r'value="vi" lang="vi">([^<]+)</button>', english_page)
    assert offered
    assert normalize("NFC", offered.group(1)) == normalize("NFC", "Tiếng Việt")
    assert 'value="en"' not in english_page


def test_the_phone_menu_button_controls_the_menu_of_a_signed_in_page(worker, login):
    html = login(worker).get("/").content.decode()
    toggle = re.search(
        r'<button type="button" class="menu-toggle" aria-expanded="false" aria-controls="([^"]+)"',
        html,
    )
    assert toggle, "no menu button"
    menu = re.search(
        rf'<div class="site-menu" id="{toggle.group(1)}">(.*?)</div></div>', html, re.S
    )
    assert menu, "the menu button controls nothing"
    assert "<nav" in menu.group(1)
    assert "/accounts/logout/" in menu.group(1)
