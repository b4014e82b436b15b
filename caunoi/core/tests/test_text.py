"""fold(): Vietnamese text without diacritics, lower-cased, with single spaces."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caunoi.core.text import fold, search_terms

# Every vowel with its six tones (none, huyền, sắc, hỏi, ngã, nặng), lower and upper case.
VOWELS = {
    "a": "aàáảãạ",
    "ă": "ăằắẳẵặ",
    "â": "âầấẩẫậ",
    "e": "eèéẻẽẹ",
    "ê": "êềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọ",
    "ô": "ôồốổỗộ",
    "ơ": "ơờớởỡợ",
    "u": "uùúủũụ",
    "ư": "ưừứửữự",
    "y": "yỳýỷỹỵ",
}
BASE = {"ă": "a", "â": "a", "ê": "e", "ô": "o", "ơ": "o", "ư": "u"}
VIETNAMESE_LETTERS = "".join(VOWELS.values()) + "bcdđghklmnpqrstvx"
VIETNAMESE_ALPHABET = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Trạm Y tế xã Lũng Cú", "tram y te xa lung cu"),
        ("Bệnh viện Trung ương Huế", "benh vien trung uong hue"),
        ("Đắk Lắk", "dak lak"),
        ("ĐIỆN BIÊN", "dien bien"),
        ("đường Nguyễn Chí Thanh", "duong nguyen chi thanh"),
        ("Sùng Thị Mai", "sung thi mai"),
        ("Straße", "strasse"),
        ("  Lũng\t\n Cú  ", "lung cu"),
        ("Lũng\u00a0Cú", "lung cu"),
        ("", ""),
        ("08305", "08305"),
    ],
)
def test_fold_examples(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("vowel", list(VOWELS))
def test_fold_removes_every_tone_and_vowel_mark(vowel):
    plain = BASE.get(vowel, vowel)
    tones = VOWELS[vowel]

    assert fold(tones) == plain * 6
    assert fold(tones.upper()) == plain * 6


def test_fold_treats_d_with_stroke_as_d():
    assert fold("đĐ") == "dd"
    assert unicodedata.normalize("NFD", "đ") == "đ"  # why fold needs its own rule


def test_fold_gives_the_same_answer_for_composed_and_decomposed_input():
    composed = "Trạm Y tế xã Lũng Cú"

    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed)


def test_search_terms_are_the_folded_words():
    assert search_terms("  Trạm   Y TẾ  Lũng Cú ") == ["tram", "y", "te", "lung", "cu"]
    assert search_terms("   ") == []


@given(st.text())
def test_fold_is_idempotent(text):
    once = fold(text)

    assert fold(once) == once


@given(st.text())
def test_fold_never_returns_nonspacing_marks_or_untidy_spaces(text):
    folded = fold(text)

    assert not any(unicodedata.category(ch) == "Mn" for ch in folded)
    assert folded == folded.strip()
    assert "  " not in folded
    assert folded == folded.casefold()


@given(st.text(alphabet=VIETNAMESE_ALPHABET + " \t\n", max_size=60))
def test_folded_vietnamese_is_plain_ascii(text):
    folded = fold(text)

    assert folded.isascii()
    assert set(folded) <= set("abcdefghijklmnopqrstuvwxyz ")
    assert len(folded.replace(" ", "")) == len("".join(text.split()))
