"""Vietnamese typed as people type it, through a search field whose script asks the server as
the words come: an input method composing the letters (Telex on a phone, ibus-unikey, macOS:
the browser's composition events) and one that rewrites what was typed (Unikey on Windows: a
backspace, then the letter with its tone). The page's scripts — htmx fetching results while the
word is still being composed — must leave the field as typed, focused, and the results right."""

import re

import pytest
from playwright.sync_api import expect

from caunoi.accounts.models import User
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.browser


def _compose(page, cdp, steps):
    """An input method's composition: each step the word so far, shown underlined; the last
    one committed. Each step waits longer than the search's delay, so that the page fetches
    and swaps results in the middle of the word."""
    for text in steps[:-1]:
        cdp.send(
            "Input.imeSetComposition",
            {"text": text, "selectionStart": len(text), "selectionEnd": len(text)},
        )
        page.wait_for_timeout(450)
    cdp.send("Input.insertText", {"text": steps[-1]})


@pytest.fixture
def patient(committed_db):
    p = make_patient(User.objects.get(username="worker"), name="Giàng Thị Mỷ")
    yield p
    p.consents.all().delete()
    p.delete()


def test_a_name_composed_by_an_input_method_searches_the_patients(new_page, sign_in, patient):
    page = new_page()
    sign_in(page, "worker")
    page.goto("/patients/")
    field = page.locator("#id_q")
    field.click()
    cdp = page.context.new_cdp_session(page)
    # Telex: g-i-a-f-n-g → "giàng" (the tone typed after the vowel), then t-h-i-j → "thị".
    _compose(page, cdp, ["G", "Gi", "Gia", "Già", "Giàn", "Giàng"])
    page.keyboard.type(" ")
    _compose(page, cdp, ["T", "Th", "Thi", "Thị"])
    expect(field).to_have_value("Giàng Thị")
    expect(field).to_be_focused()
    # The search of the committed word, not of one still being composed ("Thi").
    expect(page).to_have_url(re.compile(r"q=Gi%C3%A0ng(%20|\+)Th%E1%BB%8B$"))
    expect(page.locator("#results")).to_contain_text("Giàng Thị Mỷ")
    assert page.locator("#results").count() == 1  # replaced, not nested in the old one


def test_a_name_rewritten_by_unikey_searches_the_facilities(new_page, sign_in):
    page = new_page()
    sign_in(page, "worker")
    page.goto("/network/facilities/")
    field = page.locator("#id_q")
    field.click()
    # Unikey on Windows: "Bao" typed, then "r" turns it into "Bảo" — a backspace and the letter
    # with its tone — while the page's search is already on its way.
    page.keyboard.type("Bao")
    page.wait_for_timeout(450)
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("ảo L")
    page.wait_for_timeout(450)
    page.keyboard.type("am")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("âm")
    expect(field).to_have_value("Bảo Lâm")
    expect(field).to_be_focused()
    expect(page.locator("#results")).to_contain_text("Bảo Lâm")
    expect(page.locator("#results")).not_to_contain_text("Lũng Cú")
    assert page.locator("#results").count() == 1
