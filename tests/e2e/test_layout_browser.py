"""The shared layout as a person sees it in Chromium: every button style is readable (WCAG AA,
4.5:1) at rest and under the pointer, wherever it stands; on a 360 px phone the header leaves
the screen to the page and its menu opens and folds; radio buttons sit beside their labels; a
form sent back with errors says so at the top of the screen and leads to each field."""

from __future__ import annotations

import pytest

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
AA = 4.5

# Every button style of caunoi.css, on a card (white) and on the page's grey.
SAMPLES = """
<div id="samples">
  <div class="card"><p>
    <button type="button">Default</button> <a class="button" href="#s">Link as button</a>
    <button type="button" class="primary">Primary</button> <a class="button primary" href="#s">Primary link</a>
    <button type="button" class="danger">Danger</button> <a class="button danger" href="#s">Danger link</a>
    <button type="button" class="link">Button as link</button>
    <button type="button" class="link"><strong>Bold button as link</strong></button>
  </p></div>
  <p>
    <button type="button">Default</button> <a class="button" href="#s">Link as button</a>
    <button type="button" class="primary">Primary</button> <a class="button primary" href="#s">Primary link</a>
    <button type="button" class="danger">Danger</button>
    <button type="button" class="link">Button as link</button>
  </p>
</div>
"""

# The contrast ratio of an element's text with the first opaque background behind it (WCAG 2).
CONTRAST = """
element => {
  const parse = value => {
    const [r, g, b, a = 1] = value.match(/[\\d.]+/g).map(Number);
    return {r, g, b, a};
  };
  const luminance = c => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  let background = {r: 255, g: 255, b: 255, a: 1};
  for (let e = element; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.a > 0.99) { background = c; break; }
  }
  const text = element.firstElementChild && element.firstElementChild.tagName === "STRONG"
    ? element.firstElementChild : element;
  const [light, dark] = [luminance(parse(getComputedStyle(text).color)), luminance(background)]
    .sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}
"""


@pytest.fixture
def patient(committed_db):
    worker = User.objects.get(username="worker")
    p = make_patient(worker, name="Hầu Thị Dua", age_years=29)
    yield p
    Consultation.objects.filter(patient=p).delete()
    p.consents.all().delete()
    p.delete()


def low_contrast(page, selector: str, where: str) -> list[str]:
    found = []
    for element in page.locator(selector).all():
        if not element.is_visible():
            continue
        for state in ("at rest", "under the pointer"):
            if state == "under the pointer":
                element.hover()
            ratio = element.evaluate(CONTRAST)
            if ratio < AA:
                label = element.inner_text().strip() or element.get_attribute("class")
                found.append(f"{where}: “{label}” {state} {ratio:.2f}:1")
        page.mouse.move(0, 0)
    return found


def test_every_button_style_is_readable_at_rest_and_under_the_pointer(new_page, sign_in):
    page = new_page()
    sign_in(page, "worker")
    page.goto("/")
    page.evaluate(
        "html => document.querySelector('main').insertAdjacentHTML('afterbegin', html)", SAMPLES
    )
    found = low_contrast(page, "#samples button, #samples a", "page")
    found += low_contrast(page, "header button, header a", "header, wide")
    page.set_viewport_size(PHONE)
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible():  # the menu button has its own test; here, what the menu shows
        toggle.click()
    found += low_contrast(page, "header button, header a", "header, phone")
    assert found == []


def test_the_phone_header_leaves_the_screen_to_the_page_and_its_menu_opens(new_page, sign_in):
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "worker")
    page.goto("/")
    header = page.locator("header.top")
    assert header.bounding_box()["height"] <= PHONE["height"] * 0.1
    # On the first row: the way to English and the bell; the menu waits behind its button.
    assert page.locator(".lang button", has_text="English").is_visible()
    assert page.locator(".bell").is_visible()
    menu = page.locator("header nav")
    toggle = page.locator(".menu-toggle")
    assert not menu.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"

    toggle.click()
    assert menu.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("header .account button", has_text="Đăng xuất").is_visible()
    page.keyboard.press("Escape")
    assert not menu.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")

    toggle.click()
    page.locator("header nav a", has_text="Người bệnh").click()
    page.wait_for_url("**/patients/")
    assert page.locator("header nav a[aria-current]").inner_text() == "Người bệnh"


def test_the_wide_header_shows_its_menu_without_a_button(new_page, sign_in):
    page = new_page()
    sign_in(page, "worker")
    page.goto("/consults/")
    assert page.locator("header nav").is_visible()
    assert not page.locator(".menu-toggle").is_visible()
    assert page.locator("header nav a[aria-current]").inner_text() == "Ca hội chẩn"


def test_radio_buttons_sit_beside_their_labels_on_a_phone(new_page, sign_in, patient):
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={patient.public_id}")
    radios = page.locator("input[name=urgency]").all()
    assert len(radios) == 3
    for radio in radios:
        box = radio.bounding_box()
        # Where the label's words are drawn: a range over the text after the radio button.
        text = radio.evaluate(
            """input => {
                const range = document.createRange();
                range.setStartAfter(input);
                range.setEndAfter(input.parentElement.lastChild);
                const r = range.getBoundingClientRect();
                return {x: r.x, y: r.y, height: r.height};
            }"""
        )
        assert text["x"] >= box["x"] + box["width"], "the label is not beside its radio button"
        # Same line: the radio button's middle within the first line of its words.
        middle = box["y"] + box["height"] / 2
        assert text["y"] <= middle <= text["y"] + min(text["height"], 30)


def test_a_form_sent_back_says_so_at_the_top_of_a_phone_screen_and_leads_to_each_field(
    new_page, sign_in, patient
):
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={patient.public_id}")
    with page.expect_navigation():
        page.click("button[name=submit]")
    summary = page.locator("#error-summary")
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the summary is not on the first screen"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = summary.locator("a").all()
    assert links, "the summary links to no field"
    question = summary.locator("a[href='#id_question']")
    assert question.count() == 1
    question.click()
    assert page.evaluate("document.activeElement.id") == "id_question"
    field = page.locator("#id_question").bounding_box()
    assert 0 <= field["y"] <= PHONE["height"] - field["height"]
    assert page.locator("#id_question_error").is_visible()
