"""Finding an ICD-10 code as a commune worker types it: Vietnamese or English, with or without
diacritics, by code, and the everyday word for it; the best match first. Through the queryset
and through the consult page's search box (/consults/icd/, htmx)."""

from __future__ import annotations

import pytest

from caunoi.codes.models import IcdCode, TitleSource

pytestmark = pytest.mark.django_db


def codes(query: str, n: int = 20) -> list[str]:
    return [c.code for c in IcdCode.objects.search(query)[:n]]


@pytest.mark.parametrize("query", ["loét", "loet", "LOÉT", "  loét  "])
def test_loet_finds_ulcer_codes_with_or_without_diacritics(query):
    found = codes(query)
    assert {"K25", "K26", "K27", "L89", "L97"} <= set(found)
    # Every one of them is an ulcer ("loét") in Vietnamese.
    assert all("loét" in c.title_vi.lower() for c in IcdCode.objects.search(query)[:20])


@pytest.mark.parametrize("query", ["viem phoi", "viêm phổi", "Viêm Phổi"])
def test_viem_phoi_finds_pneumonia_titles_first(query):
    found = IcdCode.objects.search(query)[:20]
    assert "J18" in [c.code for c in found]
    assert all(c.title_vi.startswith("Viêm phổi") for c in found[:10])


def test_english_words_still_find_codes():
    assert "J18.9" in codes("pneumonia unspecified")
    assert "K25" in codes("gastric ulcer")


def test_words_may_come_in_any_order_and_each_must_match():
    assert "E11.9" in codes("típ 2 đái tháo đường")
    assert codes("loét xyzzy") == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("tieu duong", "E11"),  # the everyday word for đái tháo đường
        ("cao huyết áp", "I10"),
        ("ung thư phổi", "C34"),  # titles say "U ác"
        ("tay chân miệng", "B08.4"),
        ("sốt mò", "A75.3"),
        ("sốt xuất huyết", "A97"),
        ("lao phoi", "A16.2"),
        ("hắc lào", "B35.4"),
    ],
)
def test_everyday_words_find_the_code(query, code):
    assert code in codes(query, 40)


@pytest.mark.parametrize(
    ("query", "first"), [("I10", "I10"), ("e11.9", "E11.9"), ("J189", "J18.9"), ("j18", "J18")]
)
def test_a_code_or_its_beginning_finds_it_first(query, first):
    assert codes(query)[0] == first


def test_an_empty_query_finds_nothing():
    assert codes("   ") == []


# --- the consult page's search box -----------------------------------------------------------


def test_search_box_finds_loet_and_shows_vietnamese_titles(worker, page_in):
    html = page_in(worker, "vi").get("/consults/icd/", {"q": "loét"}).content.decode()
    assert 'data-code="K25"' in html
    assert "Loét dạ dày" in html
    assert "Gastric ulcer" not in html
    # The Vietnamese titles are the project's translation: the page says so.
    assert 'class="help"' in html


def test_search_box_in_english_shows_english_titles_and_no_translation_note(worker, page_in):
    html = page_in(worker, "en").get("/consults/icd/", {"q": "loet"}).content.decode()
    assert 'data-code="K25"' in html
    assert "Gastric ulcer" in html
    assert "Loét dạ dày" not in html
    assert 'class="help"' not in html


def test_search_box_marks_an_english_fallback_title_as_english(worker, page_in):
    # A00.0 has no Vietnamese title yet: on a Vietnamese page it is shown in English, said so.
    html = page_in(worker, "vi").get("/consults/icd/", {"q": "A00.0"}).content.decode()
    assert '<span lang="en">Cholera due to Vibrio cholerae 01, biovar cholerae</span>' in html


def test_search_box_does_not_call_the_ministrys_titles_a_translation(worker, page_in):
    IcdCode.objects.filter(code__startswith="K25").exclude(title_vi="").update(
        title_vi_source=TitleSource.MOH
    )
    html = page_in(worker, "vi").get("/consults/icd/", {"q": "K25"}).content.decode()
    assert "Loét dạ dày" in html
    assert 'class="help"' not in html
