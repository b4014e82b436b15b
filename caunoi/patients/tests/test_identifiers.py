"""Vietnamese identifiers: the citizen ID, the health-insurance card number and phone numbers.

Pure functions, so no database: examples for the rules, hypothesis for the ranges."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from caunoi.core.phone import phone_normalize
from caunoi.patients.identifiers import (
    BENEFIT_LEVELS,
    citizen_id_clean,
    citizen_id_warnings,
    insurance_clean,
    insurance_decode,
)

# The pre-2025 (63-province) codes, written out here rather than read from the library the
# code uses, so a wrong table in the code cannot make the test agree with it.
LEGACY_PROVINCE_CODES = frozenset(
    [
        *(1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34),
        *(35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67),
        *(68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96),
    ]
)
NOT_PROVINCE_CODES = sorted(set(range(1000)) - LEGACY_PROVINCE_CODES)
ASCII_DIGITS = "0123456789"

valid_prefix = st.sampled_from(sorted(LEGACY_PROVINCE_CODES)).map(lambda n: f"{n:03d}")
digits = st.text(alphabet=ASCII_DIGITS, min_size=9, max_size=9)


def _messages(exc_info: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc_info.value.messages)


# --- citizen ID ----------------------------------------------------------------------------------


def test_citizen_id_of_ha_giang_is_accepted():
    assert citizen_id_clean("002099012345") == "002099012345"


def test_citizen_id_loses_spaces_dots_and_dashes():
    assert citizen_id_clean(" 002 099.012-345 ") == "002099012345"


def test_empty_citizen_id_stays_empty():
    assert citizen_id_clean("") == ""
    assert citizen_id_clean("  ") == ""


def test_citizen_id_with_a_prefix_that_is_no_province_is_refused_naming_the_prefix():
    with pytest.raises(ValidationError) as exc_info:
        citizen_id_clean("003099012345")
    assert exc_info.value.code == "citizen_id_province"
    assert "003" in _messages(exc_info)


@pytest.mark.parametrize("raw", ["00209901234", "0020990123456", "00209901234x", "CCCD0020990"])
def test_citizen_id_without_exactly_twelve_digits_is_refused(raw):
    with pytest.raises(ValidationError) as exc_info:
        citizen_id_clean(raw)
    assert exc_info.value.code == "citizen_id"


@given(prefix=valid_prefix, rest=digits)
def test_any_twelve_digits_with_a_province_prefix_are_accepted_unchanged(prefix, rest):
    assert citizen_id_clean(prefix + rest) == prefix + rest


@given(prefix=valid_prefix, rest=digits, separator=st.sampled_from([" ", ".", "-", "  "]))
def test_separators_between_groups_do_not_matter(prefix, rest, separator):
    raw = separator.join([prefix, rest[:3], rest[3:6], rest[6:]])
    assert citizen_id_clean(raw) == prefix + rest


@given(prefix=st.sampled_from(NOT_PROVINCE_CODES).map(lambda n: f"{n:03d}"), rest=digits)
def test_any_prefix_that_is_no_pre_2025_province_is_refused(prefix, rest):
    with pytest.raises(ValidationError) as exc_info:
        citizen_id_clean(prefix + rest)
    assert exc_info.value.code == "citizen_id_province"
    assert prefix in _messages(exc_info)


@given(value=st.text(alphabet=ASCII_DIGITS, min_size=1, max_size=30).filter(lambda s: len(s) != 12))
def test_any_other_number_of_digits_is_refused(value):
    with pytest.raises(ValidationError) as exc_info:
        citizen_id_clean(value)
    assert exc_info.value.code == "citizen_id"


@pytest.mark.parametrize(
    "raw",
    ["\uff10\uff10\uff12\uff10\uff19\uff19\uff10\uff11\uff12\uff13\uff14\uff15", "٠٠٢٠٩٩٠١٢٣٤٥"],
    ids=["fullwidth", "arabic-indic"],
)
def test_citizen_id_in_non_ascii_digits_is_refused_or_made_ascii(raw):
    try:
        value = citizen_id_clean(raw)
    except ValidationError:
        return
    assert value == "002099012345"


# --- century-and-sex digit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sex", "birth"),
    [
        ("008060001234", "male", date(1960, 5, 2)),
        ("008160001234", "female", date(1960, 5, 2)),
        ("008205001234", "male", date(2005, 1, 1)),
        ("008305001234", "female", date(2005, 12, 31)),
    ],
)
def test_citizen_id_matching_sex_and_birth_year_gives_no_warning(value, sex, birth):
    assert citizen_id_warnings(value, sex=sex, birth_date=birth) == []


def test_citizen_id_of_a_man_given_to_a_woman_warns_about_the_sex_only():
    warnings = citizen_id_warnings("008060001234", sex="female", birth_date=date(1960, 5, 2))
    assert len(warnings) == 1
    with translation.override("en"):
        warnings = citizen_id_warnings("008060001234", sex="female", birth_date=date(1960, 5, 2))
    assert "sex" in warnings[0]


def test_citizen_id_of_another_birth_year_warns_about_the_year_only():
    with translation.override("en"):
        warnings = citizen_id_warnings("008060001234", sex="male", birth_date=date(1961, 5, 2))
    assert len(warnings) == 1
    assert "year of birth" in warnings[0]


def test_citizen_id_of_another_century_warns_about_the_year():
    # Digit 2 means born in the 2000s: 2060, not 1960.
    with translation.override("en"):
        warnings = citizen_id_warnings("008260001234", sex="male", birth_date=date(1960, 5, 2))
    assert len(warnings) == 1
    assert "year of birth" in warnings[0]


def test_both_mismatches_give_two_warnings():
    assert len(citizen_id_warnings("008160001234", sex="male", birth_date=date(1990, 1, 1))) == 2


def test_no_citizen_id_or_no_birth_date_gives_no_warning():
    assert citizen_id_warnings("", sex="male", birth_date=date(1960, 1, 1)) == []
    assert citizen_id_warnings("008160001234", sex="male", birth_date=None) == []


@given(
    prefix=valid_prefix,
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    sex=st.sampled_from(["male", "female"]),
    tail=st.text(alphabet=ASCII_DIGITS, min_size=6, max_size=6),
)
def test_a_citizen_id_built_from_sex_and_birth_year_never_warns(prefix, birth, sex, tail):
    digit = (0 if birth.year < 2000 else 2) + (1 if sex == "female" else 0)
    value = f"{prefix}{digit}{birth.year % 100:02d}{tail}"
    assert citizen_id_warnings(value, sex=sex, birth_date=birth) == []
    next_year = date(birth.year + 1, 1, 1)
    assert len(citizen_id_warnings(value, sex=sex, birth_date=next_year)) == 1


# --- health-insurance card -----------------------------------------------------------------------


def test_insurance_number_in_lower_case_with_spaces_is_normalised():
    assert insurance_clean(" hn2 08 0123-456.789 ") == "HN2080123456789"


def test_empty_insurance_number_stays_empty():
    assert insurance_clean("") == ""


@pytest.mark.parametrize(
    "raw",
    [
        "HN9080123456789",  # benefit level 9 does not exist
        "HN0080123456789",  # nor 0
        "H12080123456789",  # one letter only
        "HN208012345678",  # 11 digits after the level
        "HN20801234567890",  # 13 digits
        "2HN080123456789",
    ],
)
def test_malformed_insurance_numbers_are_refused(raw):
    with pytest.raises(ValidationError) as exc_info:
        insurance_clean(raw)
    assert exc_info.value.code == "insurance"


@given(
    group=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    level=st.sampled_from("12345"),
    rest=st.text(alphabet=ASCII_DIGITS, min_size=12, max_size=12),
)
def test_any_well_formed_insurance_number_is_accepted_in_either_case(group, level, rest):
    value = f"{group}{level}{rest}"
    assert insurance_clean(value) == value
    assert insurance_clean(value.lower()) == value
    card = insurance_decode(value)
    assert card is not None
    assert (card.group, card.benefit_level, card.province_code) == (group, level, int(rest[:2]))
    assert card.social_insurance_number == rest[2:]


def test_poor_household_card_is_decoded():
    with translation.override("en"):
        card = insurance_decode("HN2080123456789")
    assert card is not None
    assert card.group == "HN"
    assert card.group_label == "poor household"
    assert card.benefit_level == "2"
    assert card.benefit_label == "100%, with a ceiling for high-tech services"
    assert card.province_code == 8
    assert card.province_name == "Tỉnh Tuyên Quang"
    assert card.social_insurance_number == "0123456789"


def test_employee_card_of_ho_chi_minh_city_pays_eighty_percent():
    with translation.override("en"):
        card = insurance_decode("DN4791234567890")
    assert card is not None
    assert (card.group_label, card.benefit_label) == ("employee", "80%")
    assert (card.province_code, card.province_name) == (79, "Thành phố Hồ Chí Minh")


def test_unknown_group_and_province_decode_to_empty_labels():
    card = insurance_decode("ZZ1031234567890")
    assert card is not None
    assert card.group_label == ""
    assert card.province_code == 3
    assert card.province_name == ""
    assert card.benefit_label == str(BENEFIT_LEVELS["1"])


@pytest.mark.parametrize("value", ["", "hn2080123456789", "HN9080123456789", "garbage"])
def test_insurance_decode_of_anything_but_a_clean_number_is_none(value):
    assert insurance_decode(value) is None


def test_insurance_number_in_fullwidth_digits_is_refused_or_made_ascii():
    raw = "HN2" + "".join(chr(0xFF10 + int(d)) for d in "080123456789")
    try:
        value = insurance_clean(raw)
    except ValidationError:
        return
    assert value == "HN2080123456789"


# --- phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912 345 678", "+84912345678"),
        ("0912-345-678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("02343823456", "+842343823456"),  # a Huế landline
        ("(0234) 382 3456", "+842343823456"),
    ],
)
def test_vietnamese_phone_numbers_are_stored_in_e164(raw, e164):
    assert phone_normalize(raw) == e164


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty_phone_stays_empty(raw):
    assert phone_normalize(raw) == ""


def test_old_eleven_digit_mobile_number_is_refused_quoting_it():
    with pytest.raises(ValidationError) as exc_info:
        phone_normalize("0169 123 4567")
    assert exc_info.value.code == "phone"
    assert "0169 123 4567" in _messages(exc_info)


@pytest.mark.parametrize("raw", ["abc", "không có", "123", "09123456789", "++84"])
def test_garbage_is_not_a_phone_number(raw):
    with pytest.raises(ValidationError) as exc_info:
        phone_normalize(raw)
    assert exc_info.value.code == "phone"


@given(rest=st.text(alphabet=ASCII_DIGITS, min_size=7, max_size=7))
def test_any_viettel_mobile_number_is_accepted(rest):
    assert phone_normalize(f"098{rest}") == f"+8498{rest}"
