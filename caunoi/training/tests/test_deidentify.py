"""De-identification of a consultation's free text before it becomes a teaching case: what is
hidden (names, identifiers, phones, places, dates), what must stay (the clinical story), and
the age bands and relative days that stand in for exact dates. No database."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from caunoi.core.text import fold
from caunoi.training import deidentify
from caunoi.training.deidentify import Known, Redaction, age_band, find_identifiers, redact

PATIENT = Known(names=["Giàng Thị Dợ"], identifiers=[])

CONSULT = (
    "Bệnh nhân Giàng Thị Dợ, 45 tuổi, ở bản Pá Hu, xã Trạm Tấu. "
    "Hôm nay giang thi do đến trạm y tế; bà Dợ kêu mệt, chị Dợ nói ho nhiều. "
    "Con gái là Lò Thị Mai, chồng: Vàng A Páo. "
    "CCCD 001234567890, BHYT DN4010123456789 (thẻ cũ DN 401 0123456789). "
    "Điện thoại 0912 345 678, của chồng +84 912.345.678. "
    "Khám ngày 03/05/2026: Thị lực giảm, huyết áp 150/90 mmHg, SpO2 92%, sốt 38,5 °C, "
    "mạch 120 lần/phút."
)
SECRETS = [
    "Giàng Thị Dợ",
    "giang thi do",
    "Dợ",
    "Lò Thị Mai",
    "Mai",
    "Vàng A Páo",
    "Páo",
    "001234567890",
    "DN4010123456789",
    "DN 401 0123456789",
    "0912 345 678",
    "+84 912.345.678",
    "Pá Hu",
    "Trạm Tấu",
    "03/05/2026",
]
CLINICAL = [
    "Thị lực giảm",
    "huyết áp 150/90 mmHg",
    "SpO2 92%",
    "38,5 °C",
    "120 lần/phút",
    "45 tuổi",
    "kêu mệt",
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"), timezone.override("Asia/Ho_Chi_Minh"):
        yield


def still_there(secret: str, text: str) -> bool:
    """Whether ``secret`` is still in ``text`` as a whole word, whatever the case and the
    diacritics."""
    return re.search(rf"(?<!\w){re.escape(fold(secret))}(?!\w)", fold(text)) is not None


def rebuild(text: str, found: list[Redaction]) -> str:
    """``text`` with each span replaced by its kind's token, put together independently."""
    tokens = deidentify._tokens()
    pieces, at = [], 0
    for r in found:
        pieces += [text[at : r.start], tokens[r.kind]]
        at = r.end
    return "".join(pieces) + text[at:]


def spans(text: str, known: Known = PATIENT) -> list[tuple[str, str]]:
    return [(r.text, r.kind) for r in find_identifiers(text, known)]


# --- The whole consultation ------------------------------------------------------------------


def test_the_leak_check_would_see_every_secret_in_the_original_text():
    assert all(still_there(secret, CONSULT) for secret in SECRETS)


def test_no_name_number_place_or_date_of_the_consult_remains_after_redaction():
    redacted, _ = redact(CONSULT, PATIENT)
    assert [secret for secret in SECRETS if still_there(secret, redacted)] == []


def test_the_clinical_story_stays_word_for_word_around_the_tokens():
    redacted, _ = redact(CONSULT, PATIENT)
    assert redacted == (
        "Bệnh nhân [patient], 45 tuổi, ở bản [address], xã [address]. "
        "Hôm nay [patient] đến trạm y tế; bà [patient] kêu mệt, chị [patient] nói ho nhiều. "
        "Con gái là [relative], chồng: [relative]. "
        "CCCD [ID number], BHYT [ID number] (thẻ cũ [ID number]). "
        "Điện thoại [phone], của chồng [phone]. "
        "Khám ngày [date]: Thị lực giảm, huyết áp 150/90 mmHg, SpO2 92%, sốt 38,5 °C, "
        "mạch 120 lần/phút."
    )
    assert all(phrase in redacted for phrase in CLINICAL)


def test_redact_returns_the_spans_it_replaced_with_positions_in_the_original():
    redacted, found = redact(CONSULT, PATIENT)
    assert found == find_identifiers(CONSULT, PATIENT)
    assert [r.kind for r in found] == [
        "patient", "address", "address", "patient", "patient", "patient", "relative",
        "relative", "id", "id", "id", "phone", "phone", "date",
    ]  # fmt: skip
    assert all(CONSULT[r.start : r.end] == r.text for r in found)
    assert all(a.end <= b.start for a, b in pairwise(found))
    assert rebuild(CONSULT, found) == redacted


def test_a_text_with_nothing_identifying_comes_back_unchanged():
    text = (
        "Thị lực giảm. Do sốt cao nên đo nhiệt độ mỗi 4 giờ; da đỏ. Văn bản chuyển viện. "
        "Bà có HA 150/90 mmHg, chụp ảnh CT ngực, đặt ống NKQ, Bộ Y tế hướng dẫn. "
        "SpO2 92%, sốt 38,5 °C, mạch 120 lần/phút, uống 1/2 viên x 2 lần, đau 7/10, "
        "GCS 15/15, đường huyết 7,2 mmol/l, khối u to 5 cm, tổ chức y tế, từ tháng 05/2026, "
        "bé 3 tháng 5 ngày tuổi, họ Giàng ở gần."
    )
    assert redact(text, PATIENT) == (text, [])


# --- The patient's name ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["Giàng Thị Dợ", "giang thi do", "GIÀNG THỊ DỢ", "Giang Thi Do", "Giàng Dợ", "giàng  thị\ndợ"],
)
def test_the_full_name_is_found_in_any_case_with_or_without_diacritics(written):
    assert spans(f"Khám cho {written} hôm nay.") == [(written, "patient")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hôm nay bà Dợ mệt.", "Dợ"),
        ("Chị Dợ nói ho nhiều.", "Dợ"),
        ("Em hỏi chị dợ đã uống thuốc chưa.", "dợ"),
        ("Hỏi lại, Dợ nói không đau.", "Dợ"),
        ("Hỏi lại, Do nói không đau.", "Do"),
        ("Hôm nay Thị Dợ đến khám.", "Thị Dợ"),
    ],
)
def test_the_given_name_alone_is_found_capitalised_or_after_a_form_of_address(text, name):
    assert spans(text) == [(name, "patient")]


def test_words_that_fold_like_the_given_name_are_not_the_patient():
    # "Dợ" folds to "do", as do "do" (because), "đo" (measure), "độ" (degree), "đỏ" (red).
    text = "Do sốt cao nên đo nhiệt độ; da đỏ, do tiêu chảy, Độ bão hòa oxy thấp."
    assert spans(text) == []


def test_a_bare_given_name_opening_a_sentence_is_the_name_only_in_text_without_diacritics():
    assert spans("Hom nay kham lan 2. Do khong sot, an duoc.") == [("Do", "patient")]
    assert spans("Hôm nay khám lần 2. Do không sốt, ăn được.") == []


def test_the_given_name_is_matched_as_a_whole_word_only():
    assert spans("Dợn sóng, Đoàn kết, Dợt, SDợ, Dợ2") == []


def test_common_middle_names_and_the_family_name_alone_are_never_redacted():
    known = Known(names=["Nguyễn Văn Thị"], identifiers=[])
    assert spans("Thị lực kém. Văn bản của bác sĩ Nguyễn gửi lên.", known) == []
    assert spans("Thị lực kém, Giàng A Sử là trưởng bản.", PATIENT) == []


def test_a_name_in_decomposed_unicode_is_found_at_its_original_positions():
    text = unicodedata.normalize("NFD", "Bà Giàng Thị Dợ ở bản Pá Hu.")
    redacted, found = redact(text, PATIENT)
    assert [(r.kind, unicodedata.normalize("NFC", r.text)) for r in found] == [
        ("patient", "Giàng Thị Dợ"),
        ("address", "Pá Hu"),
    ]
    assert all(text[r.start : r.end] == r.text for r in found)
    assert unicodedata.normalize("NFC", redacted) == "Bà [patient] ở bản [address]."


def test_a_name_after_a_name_label_is_the_patients_even_when_not_known():
    assert spans("Họ và tên: VÀNG THỊ SÚA\nTuổi: 30", Known()) == [("VÀNG THỊ SÚA", "patient")]


# --- Relatives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Con gái là Lò Thị Mai đưa đến.", ["Lò Thị Mai"]),
        ("chồng: Vàng A Páo, làm nương.", ["Vàng A Páo"]),
        ("Mẹ: LÒ THỊ MAI.", ["LÒ THỊ MAI"]),
        ("Chồng bệnh nhân là Vàng A Chư.", ["Vàng A Chư"]),
        ("Bố mẹ: Vàng A Páo và Lò Thị Xuân.", ["Vàng A Páo", "Lò Thị Xuân"]),
        ("con gai la Lo Thi Mai", ["Lo Thi Mai"]),
        ("Người nhà tên là Sùng Seo Lử.", ["Sùng Seo Lử"]),
    ],
)
def test_the_capitalised_words_after_a_kinship_word_are_a_relative(text, expected):
    assert spans(text, Known()) == [(name, "relative") for name in expected]


def test_the_patient_addressed_with_a_kinship_word_stays_the_patient():
    assert spans("Chồng chị Dợ là Vàng A Sử.") == [("Dợ", "patient"), ("Vàng A Sử", "relative")]


def test_abbreviations_and_look_alike_words_are_not_relatives():
    # "có" is not "cô", "ảnh" is not "anh", "ống" is not "ông"; capitals alone are abbreviations.
    text = "Có HA cao, chụp ảnh CT, đặt ống NKQ, anh HA đo lại, Bộ Y tế, mẹ THA."
    assert spans(text, Known()) == []


def test_a_relative_named_once_is_hidden_wherever_else_they_are_named():
    text = "Con gái là Lò Thị Mai. Hôm sau, Mai gọi lại; lò thị mai nói mẹ đỡ."
    assert spans(text, Known()) == [
        ("Lò Thị Mai", "relative"),
        ("Mai", "relative"),
        ("lò thị mai", "relative"),
    ]


# --- Identifiers and phones ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("001234567890", "id"),
        ("001 234 567 890", "id"),
        ("123456789", "id"),
        ("DN4010123456789", "id"),
        ("DN 401 0123456789", "id"),
        ("dn-401-0123456789", "id"),
        ("0912 345 678", "phone"),
        ("0912345678", "phone"),
        ("091.234.5678", "phone"),
        ("+84 912.345.678", "phone"),
        ("+84912345678", "phone"),
        ("84 912 345 678", "phone"),
        ("(024) 3826 4321", "phone"),
    ],
)
def test_identity_numbers_and_phone_numbers_are_found_whole(number, kind):
    assert spans(f"Ghi chú: {number}, đã xác minh.", Known()) == [(number, kind)]


def test_a_phone_number_ends_where_its_digits_do():
    assert spans("Gọi 0912 345 678 120 lần", Known()) == [("0912 345 678", "phone")]


def test_known_identifiers_are_found_however_they_are_spaced():
    # Neither a record number nor a phone written with slashes is found without being known.
    text = "Hồ sơ BN 2026 00123, gọi 0912/000/111 hoặc bn 2026.00123."
    assert spans(text, Known()) == []
    for phone in ["+84912000111", "+84 0912 000 111", "0912000111"]:
        known = Known(names=[], identifiers=["BN-2026-00123", phone])
        assert spans(text, known) == [
            ("BN 2026 00123", "id"),
            ("0912/000/111", "phone"),
            ("bn 2026.00123", "id"),
        ]


def test_a_known_identifier_too_short_to_be_one_is_ignored():
    assert spans("Mạch 120 lần/phút.", Known(names=[], identifiers=["120"])) == []


def test_measurements_are_not_identifiers_or_phones():
    text = "Mạch 84 lần/phút, SpO2 92%, bạch cầu 12,5 G/L, tiểu cầu 150.000, cân nặng 52 kg."
    assert spans(text, Known()) == []


# --- Places --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ở bản Pá Hu, xã Trạm Tấu", ["Pá Hu", "Trạm Tấu"]),
        ("thôn Nà Sản, tổ 5, ấp 3", ["Nà Sản", "5", "3"]),
        ("số nhà 12, ngõ 4 phố Huế", ["12", "4", "Huế"]),
        ("số 12 đường Lê Lợi", ["12", "Lê Lợi"]),
        ("ở 12/3 Nguyễn Trãi", ["12/3 Nguyễn Trãi"]),
        (
            "Địa chỉ: 12 Lê Lợi, phường Bến Nghé, Quận 1\nBệnh sử: ho",
            ["12 Lê Lợi, phường Bến Nghé, Quận 1"],
        ),
        ("ban Pa Hu, xa Tram Tau", ["Pa Hu", "Tram Tau"]),
        ("xã A Lù, Tổ Y tế xã", ["A Lù"]),
    ],
)
def test_place_names_and_house_numbers_after_place_words_are_addresses(text, expected):
    assert spans(text, Known()) == [(place, "address") for place in expected]


def test_a_place_found_once_is_hidden_in_the_district_name_too():
    assert spans("bản Pá Hu, xã Trạm Tấu, huyện Trạm Tấu, tỉnh Yên Bái", Known()) == [
        ("Pá Hu", "address"),
        ("Trạm Tấu", "address"),
        ("Trạm Tấu", "address"),
    ]


def test_words_that_only_look_like_place_words_are_left():
    text = "huyết áp 150/90, huyet ap 150/90, khối u to 5 cm, tổ chức tốt, Tổ Y tế, đường huyết 7"
    assert spans(text, Known()) == []


# --- Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "03/05/2026",
        "3/5/2026",
        "3-5-2026",
        "3.5.26",
        "2026-05-03",
        "ngày 3 tháng 5 năm 2026",
        "ngày 03 tháng 05",
        "3 tháng 5 năm 2026",
        "03/05",
    ],
)
def test_exact_dates_are_found_whole(written):
    assert spans(f"Khám {written}, ổn.", Known()) == [(written, "date")]


def test_a_short_day_and_month_is_a_date_after_a_date_word():
    assert spans("Vào viện ngày 3/5, từ 4/5 hết sốt.", Known()) == [
        ("3/5", "date"),
        ("4/5", "date"),
    ]


@pytest.mark.parametrize(
    "text",
    ["huyết áp 150/90", "uống 1/2 viên", "đau 10/10 điểm", "GCS 15/15", "tháng 05/2026", "7/10"],
)
def test_fractions_scores_pressures_and_months_are_not_dates(text):
    assert spans(text, Known()) == []


PIECES = st.sampled_from(
    [
        "bà ", "Dợ", "Giàng ", "Thị ", "con gái là ", "Lò ", "Mai", "bản ", "Pá Hu", "xã ",
        "ngày ", "03/05/2026", "3/5", "0912 345 678", "+84 ", "001234567890", "DN 401 ",
        "Địa chỉ: ", "12 ", ", ", ". ", "\n", " ", "ê", "\u0301", "\u0323", "1", "/", "-",
    ]
)  # fmt: skip


@given(st.lists(PIECES, max_size=40), st.booleans())
def test_spans_are_always_sorted_disjoint_slices_of_the_original_text(pieces, decomposed):
    text = "".join(pieces)
    if decomposed:
        text = unicodedata.normalize("NFD", text)
    redacted, found = redact(text, PATIENT)
    assert all(a.end <= b.start for a, b in pairwise(found))
    assert all(r.start < r.end and text[r.start : r.end] == r.text for r in found)
    assert all(r.kind in deidentify.KINDS for r in found)
    assert redacted == rebuild(text, found)


# --- Tokens ----------------------------------------------------------------------------------


def test_the_tokens_are_translated_when_redact_is_called(monkeypatch):
    monkeypatch.setattr(deidentify, "_", lambda message: f"<{message.upper()}>")
    redacted, _ = redact("Bà Dợ gọi 0912 345 678.", PATIENT)
    assert redacted == "Bà <[PATIENT]> gọi <[PHONE]>."


def test_each_kind_has_its_own_token():
    assert deidentify._tokens() == {
        "patient": "[patient]",
        "relative": "[relative]",
        "id": "[ID number]",
        "phone": "[phone]",
        "address": "[address]",
        "date": "[date]",
    }


def test_overlapping_finds_merge_into_one_span_of_the_stronger_kind():
    # "Dợ" is both the patient (known name) and a relative (after "bà"): one patient span.
    assert find_identifiers("bà Dợ", PATIENT) == [Redaction(3, 5, "patient", "Dợ")]


# --- Age bands and relative days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "band"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), "< 1 month"),
        (date(2026, 1, 15), date(2026, 2, 14), "< 1 month"),
        (date(2026, 1, 15), date(2026, 2, 15), "1–11 months"),
        (date(2026, 1, 31), date(2026, 2, 27), "< 1 month"),
        (date(2026, 1, 31), date(2026, 2, 28), "1–11 months"),
        (date(2025, 1, 15), date(2026, 1, 14), "1–11 months"),
        (date(2025, 1, 15), date(2026, 1, 15), "1–4 years"),
        (date(2024, 2, 29), date(2025, 2, 27), "1–11 months"),
        (date(2024, 2, 29), date(2025, 2, 28), "1–4 years"),
        (date(2021, 3, 10), date(2026, 3, 9), "1–4 years"),
        (date(2021, 3, 10), date(2026, 3, 10), "5–14 years"),
        (date(2011, 3, 10), date(2026, 3, 9), "5–14 years"),
        (date(2011, 3, 10), date(2026, 3, 10), "15–24 years"),
        (date(2001, 3, 10), date(2026, 3, 9), "15–24 years"),
        (date(2001, 3, 10), date(2026, 3, 10), "25–44 years"),
        (date(1981, 3, 10), date(2026, 3, 9), "25–44 years"),
        (date(1981, 3, 10), date(2026, 3, 10), "45–64 years"),
        (date(1961, 3, 10), date(2026, 3, 9), "45–64 years"),
        (date(1961, 3, 10), date(2026, 3, 10), "65+ years"),
        (date(1926, 3, 10), date(2026, 3, 10), "65+ years"),
    ],
)
def test_age_bands_change_on_the_birthday_itself(birth, on, band):
    assert age_band(birth, on) == band


def test_an_age_on_a_moment_counts_by_its_date_in_vietnam():
    # 17:30 UTC on 9 March is 00:30 on 10 March in Hà Nội: the fifth birthday.
    assert age_band(date(2021, 3, 10), datetime(2026, 3, 9, 17, 30, tzinfo=UTC)) == "5–14 years"
    assert age_band(date(2021, 3, 10), datetime(2026, 3, 9, 16, 30, tzinfo=UTC)) == "1–4 years"


def test_an_age_before_birth_is_refused():
    with pytest.raises(ValueError, match="before the birth"):
        age_band(date(2026, 5, 3), date(2026, 5, 2))


@pytest.mark.parametrize(
    ("moment", "anchor", "label"),
    [
        (date(2026, 5, 3), date(2026, 5, 3), "day 0"),
        (date(2026, 5, 6), date(2026, 5, 3), "day 3"),
        (date(2026, 5, 1), date(2026, 5, 3), "day \u22122"),
        (date(2027, 5, 3), date(2026, 5, 3), "day 365"),
        (datetime(2026, 5, 4, 23, 59), date(2026, 5, 3), "day 1"),
        (datetime(2026, 5, 3, 17, 30, tzinfo=UTC), date(2026, 5, 3), "day 1"),
        (date(2026, 5, 3), datetime(2026, 5, 3, 17, 30, tzinfo=UTC), "day \u22121"),
    ],
)
def test_relative_days_count_calendar_days_from_the_anchor(moment, anchor, label):
    assert deidentify.relative_day(moment, anchor) == label
