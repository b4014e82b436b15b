"""Vietnamese personal identifiers: the citizen ID (CCCD / căn cước) and the health-insurance
card number (thẻ BHYT). See ../shared/DOMAIN.md §2."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from vietnam_provinces.legacy import Province as LegacyProvince

# The first three digits of a citizen ID are the province where the birth was registered, by
# the pre-2025 (63-province) codes, so they stay valid after the merger.
_LEGACY_PROVINCES = {int(p.code): p.name for p in LegacyProvince.iter_all()}
# [0-9], not \d: \d also matches full-width and other scripts' digits, which no registry issues.
_CITIZEN_ID = re.compile(r"^[0-9]{12}$")
_INSURANCE = re.compile(r"^[A-Z]{2}[1-5][0-9]{12}$")

# Benefit level, the third character of the card (Decision 1351/2015, 1666/2020; recalled, see
# DOMAIN.md §2): what share of the cost the fund pays.
BENEFIT_LEVELS = {
    "1": gettext_lazy("100%, no ceiling"),
    "2": gettext_lazy("100%, with a ceiling for high-tech services"),
    "3": gettext_lazy("95%"),
    "4": gettext_lazy("80%"),
    "5": gettext_lazy("100%, including services outside the list"),
}
# A few group codes that also mark a vulnerable group (DOMAIN.md §4).
GROUPS = {
    "HN": gettext_lazy("poor household"),
    "CN": gettext_lazy("near-poor household"),
    "DT": gettext_lazy("ethnic minority in a difficult area"),
    "DK": gettext_lazy("extremely difficult area"),
    "XD": gettext_lazy("island commune"),
    "TE": gettext_lazy("child under 6"),
    "BT": gettext_lazy("social protection"),
    "CC": gettext_lazy("person with merit to the revolution"),
    "CK": gettext_lazy("person with merit to the revolution"),
    "HT": gettext_lazy("retired"),
    "DN": gettext_lazy("employee"),
    "GD": gettext_lazy("household member"),
    "HS": gettext_lazy("pupil"),
    "SV": gettext_lazy("student"),
}


def citizen_id_clean(raw: str) -> str:
    value = re.sub(r"[\s.-]", "", raw or "")
    if not value:
        return ""
    if not _CITIZEN_ID.match(value):
        raise ValidationError(_("A citizen ID has exactly 12 digits."), code="citizen_id")
    if int(value[:3]) not in _LEGACY_PROVINCES:
        raise ValidationError(
            _(
                "%(prefix)s is not a province code: a citizen ID starts with the code of the province where the birth was registered (001–096)."
            )
            % {"prefix": value[:3]},
            code="citizen_id_province",
        )
    return value


def citizen_id_warnings(value: str, *, sex: str, birth_date: date | None) -> list[str]:
    """Soft checks of the century-and-sex digit and the birth year. The digit table is recalled,
    not verified (DOMAIN.md §7), so a mismatch is a warning for the worker, not a refusal."""
    if not value or birth_date is None:
        return []
    digit = int(value[3])
    centuries = {
        0: 1900,
        1: 1900,
        2: 2000,
        3: 2000,
        4: 2100,
        5: 2100,
        6: 2200,
        7: 2200,
        8: 1800,
        9: 1800,
    }
    warnings = []
    if centuries[digit] + int(value[4:6]) != birth_date.year:
        warnings.append(_("The citizen ID suggests another year of birth; please check both."))
    expected_female = digit % 2 == 1
    if sex in ("male", "female") and (sex == "female") != expected_female:
        warnings.append(_("The citizen ID suggests the other sex; please check both."))
    return warnings


def insurance_clean(raw: str) -> str:
    value = re.sub(r"[\s.-]", "", raw or "").upper()
    if not value:
        return ""
    if not _INSURANCE.match(value):
        raise ValidationError(
            _(
                "A health-insurance card number has 15 characters: 2 letters, the benefit level 1–5, then 12 digits (e.g. DN4791234567890)."
            ),
            code="insurance",
        )
    return value


@dataclass(frozen=True)
class InsuranceCard:
    number: str
    group: str
    group_label: str
    benefit_level: str
    benefit_label: str
    province_code: int
    province_name: str
    social_insurance_number: str


def insurance_decode(value: str) -> InsuranceCard | None:
    if not value or not _INSURANCE.match(value):
        return None
    province = int(value[3:5])
    return InsuranceCard(
        number=value,
        group=value[:2],
        group_label=str(GROUPS.get(value[:2], "")),
        benefit_level=value[2],
        benefit_label=str(BENEFIT_LEVELS[value[2]]),
        province_code=province,
        province_name=_LEGACY_PROVINCES.get(province, ""),
        social_insurance_number=value[5:],
    )
