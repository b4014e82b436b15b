"""The indicator catalogue: what each indicator counts, in both languages, and how it is
computed from its rows (numerator, denominator, value); the places and cells the figures are
given for; the small-cell threshold.

Definitions only: the rows are read by ``engine.py`` (one row per consultation, referral, video
session or facility; per course completed, and per clinical member of staff; per technique
transfer, monthly report after a transfer, reader of a current protocol version and submitted
quality self-assessment) and by ``aggregate.py`` (from the consultation facts); ``indicators.py``
chooses between them. ``minutes``, ``age_band`` and ``vulnerable_groups_of`` are the row values
the facts (``facts.py``) store, computed once here for both.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import get_language

from caunoi.monitoring.periods import GRAINS
from caunoi.network.models import Facility
from caunoi.patients.ethnicity import KINH
from caunoi.referrals.models import ReferralStatus

SMALL_CELL = 5
PLACE_BREAKDOWNS = ("province", "commune", "facility", "hub")
CLINICAL_BREAKDOWNS = ("specialty", "urgency", "sex", "age_band", "vulnerability", "specialist")
# The network's own staff as learners (``engine.py``: sources "training" and "cme_staff"): placed
# at their facility, grouped by the profession of their membership.
STAFF_PLACE_BREAKDOWNS = ("province", "commune", "facility")
# Technique transfer (``engine.py``: sources "transfers_agreed", "transfers_authorised",
# "transfer_reports"): placed at the receiving facility, grouped by the hub that transfers.
TRANSFER_PLACE_BREAKDOWNS = ("province", "facility", "hub")
AGE_BANDS = [(0, 6, "0-5"), (6, 16, "6-15"), (16, 60, "16-59"), (60, 200, "60+")]
VULNERABLE = ("ethnic_minority", "poor", "near_poor", "elderly", "child_under_6")


@dataclass
class Place:
    """Where: the whole network, a province, or one facility (a hub's place is what it answers),
    or a **scope** — some provinces and some facilities together, what a programme covers
    (``Place.scope``): a row counts there when its facility (the one that sent the
    consultation or the referral, received the transfer, employs the learner or was assessed)
    is one of the facilities or lies in one of the provinces. A hub in a scope is a facility
    like any other: its own staff and what it sends, not what it answers for others."""

    kind: str = "network"
    province_code: int | None = None
    facility: Facility | None = None
    province_codes: frozenset[int] = frozenset()
    facility_ids: frozenset[int] = frozenset()

    @classmethod
    def scope(cls, province_codes: Iterable[int], facility_ids: Iterable[int]) -> Place:
        return cls(
            kind="scope",
            province_codes=frozenset(province_codes),
            facility_ids=frozenset(facility_ids),
        )

    @property
    def key(self) -> str:
        if self.kind == "province":
            return str(self.province_code)
        if self.kind == "facility" and self.facility is not None:
            return str(self.facility.public_id)
        if self.kind == "scope":
            provinces = ",".join(str(c) for c in sorted(self.province_codes))
            facilities = ",".join(str(f) for f in sorted(self.facility_ids))
            return f"scope:{provinces};{facilities}"
        return "network"

    @property
    def province_of(self) -> int | None:
        if self.facility is not None:
            return int(self.facility.province.code)
        return self.province_code

    def contains(self, other: Place) -> bool:
        """Whether ``other`` lies within this place: what an export of this place may include.
        A reader allowed this place (``monitoring.access.resolve_place``) may see all of it."""
        if self.kind == "network":
            return True
        if self.kind == "province":
            return other.province_of == self.province_code
        if self.kind == "scope":
            if other.kind == "facility" and other.facility is not None:
                return (
                    other.facility.pk in self.facility_ids
                    or other.province_of in self.province_codes
                )
            return other.kind == "province" and other.province_code in self.province_codes
        return (
            other.kind == "facility"
            and other.facility is not None
            and self.facility is not None
            and other.facility.pk == self.facility.pk
        )


@dataclass
class Cell:
    key: str
    label: str
    numerator: float | None
    denominator: float | None
    value: float | None
    patients: int
    suppressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": self.value,
            "suppressed": self.suppressed,
        }


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    definition_vi: str
    definition_en: str
    numerator: str
    denominator: str
    unit: str  # count, percent, minutes, hours, days, ratio
    breakdowns: tuple[str, ...]
    compute: Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]] = (
        field(repr=False, compare=False)
    )
    source: str = "consults"
    counts_patients: bool = True

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi

    @property
    def definition(self) -> str:
        return (
            self.definition_en if (get_language() or "vi").startswith("en") else self.definition_vi
        )


# --- the computations ---------------------------------------------------------------------------


def _count(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    return len(rows), None, len(rows)


def _share(
    test: Callable[[dict[str, Any]], bool | None],
) -> Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]]:
    """Percentage of rows where ``test`` is True; rows where it is None are not counted."""

    def compute(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        judged = [test(r) for r in rows]
        denominator = sum(1 for j in judged if j is not None)
        numerator = sum(1 for j in judged if j)
        return (
            numerator,
            denominator,
            (round(100 * numerator / denominator, 1) if denominator else None),
        )

    return compute


def _quantile(
    q: float, get: Callable[[dict[str, Any]], float | None]
) -> Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]]:
    def compute(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        values = sorted(v for v in (get(r) for r in rows) if v is not None)
        if not values:
            return None, 0, None
        if q == 0.5:
            value = statistics.median(values)
        else:
            # Nearest rank: the smallest value with at least q of the values at or below it.
            value = values[max(0, math.ceil(q * len(values)) - 1)]
        return None, len(values), round(value, 1)

    return compute


def minutes(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def age_band(birth: date | None, on: datetime | None) -> str:
    if birth is None or on is None:
        return "?"
    day = on.date()
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    # A birth recorded after the visit (a typo, or a newborn registered later) counts as age 0.
    age = max(age, 0)
    return next((label for low, high, label in AGE_BANDS if low <= age < high), "?")


def vulnerable_groups_of(row: dict[str, Any]) -> list[str]:
    """The vulnerable groups a consult's patient belongs to (used for the reach breakdown)."""
    groups = []
    if row.get("ethnicity") and row["ethnicity"] != KINH:
        groups.append("ethnic_minority")
    if row.get("household") in ("poor", "near_poor"):
        groups.append(row["household"])
    band = row.get("age_band")
    if band == "60+":
        groups.append("elderly")
    if band == "0-5":
        groups.append("child_under_6")
    return groups


def _in_time(r: dict[str, Any]) -> bool | None:
    if r["deadline_at"] is None:
        return None
    if r["first_response_at"] is None:
        # Not answered: late once the deadline has passed, not yet judged before.
        return False if r["deadline_at"] < r["now"] else None
    return bool(r["first_response_at"] <= r["deadline_at"])


def _distinct(
    key: str,
) -> Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]]:
    """How many different ``key`` the rows have (people, facilities, courses)."""

    def compute(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        n = len({r[key] for r in rows if r[key] is not None})
        return n, None, n

    return compute


def _sum(
    key: str,
) -> Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]]:
    """The total of ``key`` over the rows (the numerator) and how many rows it adds (the
    denominator). No rows, no figure: a month nobody reported is not known to be zero."""

    def compute(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        if not rows:
            return None, 0, None
        total = sum(r[key] for r in rows)
        return total, len(rows), total

    return compute


def _mean(
    get: Callable[[dict[str, Any]], float | None],
) -> Callable[[list[dict[str, Any]]], tuple[float | None, float | None, float | None]]:
    """The mean of the rows' values (rows without one are left out); the denominator is how
    many it averages."""

    def compute(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        values = [v for v in (get(r) for r in rows) if v is not None]
        if not values:
            return None, 0, None
        return None, len(values), round(statistics.fmean(values), 1)

    return compute


def _ratio_per_facility(
    rows: list[dict[str, Any]],
) -> tuple[float | None, float | None, float | None]:
    consults = sum(r["consults"] for r in rows)
    return consults, len(rows), (round(consults / len(rows), 2) if rows else None)


def _active_share(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    active = sum(1 for r in rows if r["consults"] > 0)
    return active, len(rows), (round(100 * active / len(rows), 1) if rows else None)


def _video_minutes(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    total = sum(minutes(r["started_at"], r["ended_at"]) or 0 for r in rows)
    return round(total), None, round(total)


def _active_workers(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    people = {r["requester_id"] for r in rows} | {
        r["specialist_id"] for r in rows if r["specialist_id"] and r["answered_at"]
    }
    return len(people), None, len(people)


PERIOD_AND_PLACE = (*GRAINS, *PLACE_BREAKDOWNS)
ALL = (*PERIOD_AND_PLACE, *CLINICAL_BREAKDOWNS)
TRAINING = (*GRAINS, *STAFF_PLACE_BREAKDOWNS, "specialty", "profession")
# A standing on one date, not activity over the period: no period grains.
STAFF_STANDING = (*STAFF_PLACE_BREAKDOWNS, "profession")
TRANSFERS = (*GRAINS, *TRANSFER_PLACE_BREAKDOWNS)
# The reports after a transfer are monthly: no day or week holds one.
MONTHLY = ("month", "quarter", "year", *TRANSFER_PLACE_BREAKDOWNS)
# Consultations with danger signs: by period, place and what the clinical rows allow.
DANGER = (*PERIOD_AND_PLACE, "specialty", "urgency", "sex", "age_band")
URGENCY_RANK = {"routine": 0, "urgent": 1, "emergency": 2}
# A standing (today's reading, a year's self-assessments), not activity over the period.
FACILITY_STANDING = ("province", "facility")

CATALOGUE: list[Indicator] = [
    Indicator(
        "consults_submitted",
        "Số ca hội chẩn được gửi",
        "Consultations submitted",
        "Số ca hội chẩn từ xa được gửi đến bệnh viện hạt nhân trong kỳ.",
        "Teleconsultations sent to a hub in the period.",
        "ca gửi trong kỳ",
        "—",
        "count",
        ALL,
        _count,
    ),
    Indicator(
        "consults_answered",
        "Số ca hội chẩn được trả lời",
        "Consultations answered",
        "Số ca có ý kiến tư vấn của bác sĩ chuyên khoa trong kỳ.",
        "Consultations that received a specialist's advice in the period.",
        "ca có ý kiến tư vấn trong kỳ",
        "—",
        "count",
        ALL,
        _count,
        source="consults_answered",
    ),
    Indicator(
        "consults_closed",
        "Số ca hội chẩn đã kết thúc",
        "Consultations closed",
        "Số ca được trạm xác nhận và kết thúc trong kỳ.",
        "Consultations closed by the requesting station in the period.",
        "ca kết thúc trong kỳ",
        "—",
        "count",
        ALL,
        _count,
        source="consults_closed",
    ),
    Indicator(
        "response_time_median",
        "Thời gian phản hồi (trung vị)",
        "Time to first response (median)",
        "Trung vị số phút từ khi gửi đến phản hồi đầu tiên của tuyến trên.",
        "Median minutes from sending to the hub's first response.",
        "—",
        "ca có phản hồi",
        "minutes",
        ALL,
        _quantile(0.5, lambda r: minutes(r["submitted_at"], r["first_response_at"])),
    ),
    Indicator(
        "response_time_p90",
        "Thời gian phản hồi (bách phân vị 90)",
        "Time to first response (90th percentile)",
        "90% số ca được phản hồi trong chừng này phút.",
        "90% of consultations got a first response within this many minutes.",
        "—",
        "ca có phản hồi",
        "minutes",
        ALL,
        _quantile(0.9, lambda r: minutes(r["submitted_at"], r["first_response_at"])),
    ),
    Indicator(
        "answered_in_time",
        "Tỷ lệ phản hồi đúng hạn",
        "Answered within the deadline",
        "Tỷ lệ ca được phản hồi trước hạn trả lời theo mức độ khẩn.",
        "Share of consultations first answered before their urgency's deadline.",
        "ca phản hồi đúng hạn",
        "ca đã có phản hồi hoặc đã quá hạn",
        "percent",
        ALL,
        _share(_in_time),
    ),
    Indicator(
        "resolved_locally",
        "Tỷ lệ giải quyết tại tuyến dưới",
        "Resolved locally",
        "Tỷ lệ ca kết thúc mà không phải chuyển tuyến.",
        "Share of closed consultations that ended without a referral.",
        "ca kết thúc không chuyển tuyến",
        "ca kết thúc",
        "percent",
        ALL,
        _share(lambda r: not r["referred"] and r["recommended_outcome"] != "refer"),
        source="consults_closed",
    ),
    Indicator(
        "active_facilities",
        "Tỷ lệ cơ sở hoạt động",
        "Active facilities",
        "Tỷ lệ cơ sở tuyến dưới có ít nhất một ca hội chẩn trong kỳ.",
        "Share of grassroots facilities with at least one consultation in the period.",
        "cơ sở có ≥ 1 ca",
        "cơ sở tuyến dưới đang hoạt động",
        "percent",
        ("province", "commune", "facility"),
        _active_share,
        source="facilities",
        counts_patients=False,
    ),
    Indicator(
        "consults_per_facility",
        "Số ca hội chẩn trên một cơ sở",
        "Consultations per facility",
        "Số ca gửi trong kỳ chia cho số cơ sở tuyến dưới.",
        "Consultations sent in the period per grassroots facility.",
        "ca gửi",
        "cơ sở tuyến dưới",
        "ratio",
        ("province", "commune"),
        _ratio_per_facility,
        source="facilities",
        counts_patients=False,
    ),
    Indicator(
        "referrals",
        "Số ca chuyển tuyến",
        "Referrals",
        "Số ca chuyển tuyến được gửi trong kỳ (không tính ca hủy).",
        "Referrals sent in the period (cancelled ones excluded).",
        "ca chuyển tuyến",
        "—",
        "count",
        (*PERIOD_AND_PLACE, "urgency", "sex", "age_band"),
        _count,
        source="referrals",
    ),
    Indicator(
        "referral_acceptance",
        "Tỷ lệ tiếp nhận chuyển tuyến",
        "Referral acceptance rate",
        "Tỷ lệ ca chuyển tuyến được tiếp nhận trong số ca đã có quyết định.",
        "Share of decided referrals that were accepted.",
        "ca được tiếp nhận",
        "ca đã có quyết định",
        "percent",
        (*PERIOD_AND_PLACE, "urgency"),
        _share(
            lambda r: None if r["decided_at"] is None else r["status"] != ReferralStatus.DECLINED
        ),
        source="referrals",
    ),
    Indicator(
        "referral_arrival_time",
        "Thời gian đến nơi (trung vị)",
        "Time to arrival (median)",
        "Trung vị số giờ từ khi chuyển đi đến khi người bệnh đến nơi.",
        "Median hours from departure to arrival.",
        "—",
        "ca đã đến nơi",
        "hours",
        (*PERIOD_AND_PLACE, "urgency"),
        _quantile(
            0.5,
            lambda r: (
                (m / 60) if (m := minutes(r["departed_at"], r["arrived_at"])) is not None else None
            ),
        ),
        source="referrals",
    ),
    Indicator(
        "counter_referral_rate",
        "Tỷ lệ có phản hồi chuyển tuyến",
        "Counter-referral rate",
        "Tỷ lệ ca ra viện có phản hồi chuyển tuyến về trạm.",
        "Share of discharged referrals whose counter-referral came back.",
        "ca có phản hồi",
        "ca đã ra viện",
        "percent",
        PERIOD_AND_PLACE,
        _share(
            lambda r: None if r["discharged_at"] is None else r["counter_referred_at"] is not None
        ),
        source="referrals",
    ),
    Indicator(
        "counter_referral_time",
        "Thời gian phản hồi chuyển tuyến (trung vị)",
        "Time to counter-referral (median)",
        "Trung vị số ngày từ khi ra viện đến khi gửi phản hồi chuyển tuyến.",
        "Median days from discharge to the counter-referral.",
        "—",
        "ca có phản hồi",
        "days",
        PERIOD_AND_PLACE,
        _quantile(
            0.5,
            lambda r: (
                (m / 1440)
                if (m := minutes(r["discharged_at"], r["counter_referred_at"])) is not None
                else None
            ),
        ),
        source="referrals",
    ),
    Indicator(
        "video_sessions",
        "Số phiên hội chẩn video",
        "Video sessions",
        "Số phiên hội chẩn video đã diễn ra trong kỳ.",
        "Video sessions held in the period.",
        "phiên",
        "—",
        "count",
        PERIOD_AND_PLACE,
        _count,
        source="video",
    ),
    Indicator(
        "video_minutes",
        "Số phút hội chẩn video",
        "Video minutes",
        "Tổng thời lượng các phiên hội chẩn video trong kỳ.",
        "Total length of the video sessions held in the period.",
        "phút",
        "—",
        "count",
        PERIOD_AND_PLACE,
        _video_minutes,
        source="video",
    ),
    Indicator(
        "vulnerable_reach",
        "Tỷ lệ ca thuộc nhóm yếu thế",
        "Reach among vulnerable groups",
        "Tỷ lệ ca hội chẩn cho người dân tộc thiểu số, hộ nghèo, cận nghèo, người cao tuổi, trẻ dưới 6 tuổi.",
        "Share of consultations for ethnic-minority, poor or near-poor, elderly (60+) or under-6 patients.",
        "ca thuộc ≥ 1 nhóm",
        "ca gửi trong kỳ",
        "percent",
        ALL,
        _share(lambda r: bool(vulnerable_groups_of(r))),
    ),
    Indicator(
        "active_health_workers",
        "Số nhân viên y tế hoạt động",
        "Active health workers",
        "Số người đã gửi hoặc trả lời ít nhất một ca hội chẩn trong kỳ.",
        "People who sent or answered at least one consultation in the period.",
        "người",
        "—",
        "count",
        PERIOD_AND_PLACE,
        _active_workers,
        counts_patients=False,
    ),
    # Training coverage (issue 14, item 7). Counted from the completions of the period at the
    # learner's own facility (``engine._training_rows``). The cells count people: a cell of 1 to
    # 4 people trained is suppressed like a cell of 1 to 4 patients (in a commune it names them).
    Indicator(
        "training_courses",
        "Số khóa đào tạo có học viên hoàn thành",
        "Courses completed by learners",
        "Số khóa đào tạo liên tục có ít nhất một học viên của nơi này hoàn thành trong kỳ.",
        "Continuing-education courses that at least one learner of the place completed in "
        "the period.",
        "khóa học",
        "—",
        "count",
        TRAINING,
        _distinct("course_id"),
        source="training",
    ),
    Indicator(
        "workers_trained",
        "Số nhân viên y tế được đào tạo",
        "Health workers trained",
        "Số người hoàn thành ít nhất một khóa đào tạo trong kỳ, tính tại cơ sở nơi họ làm việc.",
        "People who completed at least one course in the period, counted at the facility they "
        "work in.",
        "người",
        "—",
        "count",
        TRAINING,
        _distinct("patient_id"),  # the learner's user id (the engine's "person" of a cell)
        source="training",
    ),
    Indicator(
        "facilities_trained",
        "Số cơ sở có nhân viên được đào tạo",
        "Facilities with staff trained",
        "Số cơ sở có ít nhất một nhân viên hoàn thành khóa đào tạo trong kỳ.",
        "Facilities with at least one member of staff who completed a course in the period.",
        "cơ sở",
        "—",
        "count",
        TRAINING,
        _distinct("facility_id"),
        source="training",
    ),
    Indicator(
        "cme_on_track",
        "Tỷ lệ nhân viên đạt tiến độ 120 tiết",
        "Staff on track for 120 tiết",
        "Tỷ lệ nhân viên lâm sàng đạt tiến độ đào tạo liên tục (ít nhất 120 tiết trong 5 năm, "
        "Thông tư 32/2023/TT-BYT): chưa thiếu tiết và còn hơn một năm mới đến hạn thiếu, tính "
        "vào ngày cuối kỳ (hôm nay nếu kỳ chưa kết thúc).",
        "Share of clinical staff on track for continuing education (at least 120 tiết in 5 "
        "years, Circular 32/2023/TT-BYT): not short, and more than a year before they would "
        "fall short, as of the last day of the period (today if it has not ended).",
        "nhân viên đạt tiến độ",
        "nhân viên lâm sàng",
        "percent",
        STAFF_STANDING,
        _share(lambda r: r["on_track"]),
        source="cme_staff",
    ),
    # Technique transfer, protocols and quality (issue 15, item 5), read row by row from the
    # transfers, protocols and quality apps (``engine.py``). Transfers are placed at the
    # receiving facility; a hub's own place is the transfers it gives and the protocols it
    # publishes. Facilities and transfers are not people: only protocol reading is suppressed.
    Indicator(
        "technique_transfers",
        "Số chuyển giao kỹ thuật được thỏa thuận",
        "Technique transfers agreed",
        "Số chuyển giao kỹ thuật từ bệnh viện hạt nhân cho cơ sở nhận có thỏa thuận ký trong kỳ "
        "(không tính chuyển giao đã hủy), tính tại cơ sở nhận, theo trạng thái hiện nay.",
        "Technique transfers from a hub to a receiving facility whose agreement was signed in "
        "the period (cancelled ones excluded), counted at the receiving facility, by their "
        "status today.",
        "chuyển giao",
        "—",
        "count",
        (*TRANSFERS, "transfer_status"),
        _count,
        source="transfers_agreed",
        counts_patients=False,
    ),
    Indicator(
        "transfer_time_to_authorisation",
        "Thời gian từ thỏa thuận đến cho phép thực hiện (trung vị)",
        "Time from agreement to authorisation (median)",
        "Trung vị số ngày từ ngày ký thỏa thuận chuyển giao đến ngày cơ sở nhận quyết định cho "
        "phép thực hiện kỹ thuật độc lập, của các chuyển giao được cho phép trong kỳ.",
        "Median days from the signing of a transfer's agreement to the receiving facility's "
        "decision to perform the technique independently, over the transfers authorised in "
        "the period.",
        "—",
        "chuyển giao được cho phép trong kỳ",
        "days",
        TRANSFERS,
        _quantile(0.5, lambda r: r["days"]),
        source="transfers_authorised",
        counts_patients=False,
    ),
    Indicator(
        "techniques_performed",
        "Số lần thực hiện kỹ thuật sau chuyển giao",
        "Techniques performed after transfer",
        "Tổng số lần cơ sở nhận tự thực hiện các kỹ thuật được chuyển giao, theo báo cáo tháng "
        "của mười hai tháng sau khi được cho phép, của các tháng nằm trọn trong kỳ. Không có "
        "báo cáo thì không có số liệu (không phải 0).",
        "Times the receiving facilities performed the transferred techniques on their own, "
        "from the monthly reports of the twelve months after authorisation, for the months "
        "that lie wholly in the period. No report, no figure (not zero).",
        "lần thực hiện",
        "báo cáo tháng",
        "count",
        MONTHLY,
        _sum("performed"),
        source="transfer_reports",
        counts_patients=False,
    ),
    Indicator(
        "protocol_read_share",
        "Tỷ lệ đã đọc phác đồ, quy trình hiện hành",
        "Current protocols read",
        "Tỷ lệ lượt nhân viên lâm sàng của các cơ sở được gửi phác đồ, quy trình chuẩn đã xác "
        "nhận đọc phiên bản hiện hành, tính đến hiện tại; mỗi phiên bản tính mỗi người một "
        "lượt, tại một cơ sở.",
        "Share of the clinical staff of the facilities a protocol or SOP was published to who "
        "have acknowledged its current version, as of now; each version counts each person "
        "once, at one facility.",
        "lượt đã đọc",
        "lượt cần đọc (phiên bản × nhân viên)",
        "percent",
        FACILITY_STANDING,
        _share(lambda r: r["read"]),
        source="protocol_readers",
    ),
    Indicator(
        "quality_score",
        "Điểm tự đánh giá chất lượng (trung bình)",
        "Quality self-assessment score (mean)",
        "Trung bình điểm chung (phần trăm số điểm tối đa, như trang chất lượng tính) của các "
        "bản tự đánh giá chất lượng đã nộp của năm, tính tại cơ sở tự đánh giá; một kỳ trong "
        "năm đọc bản của năm đó.",
        "Mean overall score (percent of the points possible, as the quality pages compute it) "
        "of the submitted quality self-assessments of the year, counted at the facility "
        "assessed; a period within a year reads that year's.",
        "—",
        "bản tự đánh giá đã nộp",
        "percent",
        FACILITY_STANDING,
        _mean(lambda r: r["score"]),
        source="quality",
        counts_patients=False,
    ),
    # Danger signs (issue 20): consultations sent in the period whose danger-sign check
    # (caunoi/triage) found at least one sign; the row carries the urgency the signs implied.
    Indicator(
        "danger_sign_consults",
        "Số ca hội chẩn có dấu hiệu nguy hiểm",
        "Consultations with danger signs",
        "Số ca gửi trong kỳ mà bộ quy tắc dấu hiệu nguy hiểm (IMCI, ETAT, IMPAC, NEWS2) phát "
        "hiện ít nhất một dấu hiệu.",
        "Consultations sent in the period in which the danger-sign rules (IMCI, ETAT, IMPAC, "
        "NEWS2) found at least one sign.",
        "ca có dấu hiệu nguy hiểm",
        "—",
        "count",
        DANGER,
        _count,
        source="danger_signs",
    ),
    Indicator(
        "danger_sent_emergency",
        "Tỷ lệ ca có dấu hiệu cấp cứu được gửi ở mức cấp cứu",
        "Emergency signs sent as emergency",
        "Trong các ca mà dấu hiệu nguy hiểm đòi hỏi mức cấp cứu, tỷ lệ ca được gửi ở mức cấp cứu.",
        "Of the consultations whose danger signs call for an emergency, the share sent as one.",
        "ca gửi ở mức cấp cứu",
        "ca có dấu hiệu đòi hỏi mức cấp cứu",
        "percent",
        DANGER,
        _share(
            lambda r: r["urgency"] == "emergency" if r["triage_urgency"] == "emergency" else None
        ),
        source="danger_signs",
    ),
    Indicator(
        "danger_downgraded",
        "Tỷ lệ ca có dấu hiệu nguy hiểm được hạ mức khẩn (có lý do)",
        "Danger signs sent less urgent, with a reason",
        "Tỷ lệ ca có dấu hiệu nguy hiểm được trạm gửi ở mức khẩn thấp hơn mức mà dấu hiệu đòi "
        "hỏi; mỗi ca như vậy có lý do được ghi lại.",
        "Share of the consultations with danger signs that the station sent less urgent than "
        "the signs call for; each has its written reason.",
        "ca hạ mức khẩn",
        "ca có dấu hiệu nguy hiểm",
        "percent",
        DANGER,
        _share(lambda r: URGENCY_RANK[r["urgency"]] < URGENCY_RANK[r["triage_urgency"]]),
        source="danger_signs",
    ),
    Indicator(
        "danger_response_median",
        "Thời gian phản hồi ca có dấu hiệu nguy hiểm (trung vị)",
        "Time to first response, danger signs (median)",
        "Trung vị số phút từ khi gửi đến phản hồi đầu tiên, với các ca có dấu hiệu nguy hiểm.",
        "Median minutes from sending to the hub's first response, for consultations with "
        "danger signs.",
        "—",
        "ca có phản hồi",
        "minutes",
        DANGER,
        _quantile(0.5, lambda r: minutes(r["submitted_at"], r["first_response_at"])),
        source="danger_signs",
    ),
]
BY_CODE = {i.code: i for i in CATALOGUE}
