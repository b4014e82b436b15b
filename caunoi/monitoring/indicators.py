"""The indicator catalogue and its computation from what happens on the platform.

Each indicator reads one kind of row (consultations, referrals, video sessions, facilities),
filters it to a period and a place, groups it by a breakdown and computes a numerator, a
denominator and a value per group. The same function serves the dashboards, the exports and the
API, so they always show the same numbers with the same suppression: a cell that counts between
1 and 4 patients is suppressed (Law 91/2025 treats health data as sensitive; small cells can
identify a person in a commune).
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language

from caunoi.consults.models import Consultation, Status
from caunoi.monitoring.periods import GRAINS, Period, parse_period, period_label, period_start
from caunoi.network.models import Facility, FacilityKind
from caunoi.patients.ethnicity import KINH
from caunoi.referrals.models import Referral, ReferralStatus
from caunoi.video.models import SessionStatus, VideoSession

SMALL_CELL = 5
PLACE_BREAKDOWNS = ("province", "commune", "facility", "hub")
CLINICAL_BREAKDOWNS = ("specialty", "urgency", "sex", "age_band", "vulnerability", "specialist")
AGE_BANDS = [(0, 6, "0-5"), (6, 16, "6-15"), (16, 60, "16-59"), (60, 200, "60+")]
VULNERABLE = ("ethnic_minority", "poor", "near_poor", "elderly", "child_under_6")


@dataclass
class Place:
    """Where: the whole network, a province, or one facility (a hub's place is what it answers)."""

    kind: str = "network"
    province_code: int | None = None
    facility: Facility | None = None

    @property
    def key(self) -> str:
        if self.kind == "province":
            return str(self.province_code)
        if self.kind == "facility" and self.facility is not None:
            return str(self.facility.public_id)
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


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() / 60 if a and b else None


def _age_band(birth: date | None, on: datetime | None) -> str:
    if birth is None or on is None:
        return "?"
    day = on.date()
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    # A birth recorded after the visit (a typo, or a newborn registered later) counts as age 0.
    age = max(age, 0)
    return next((label for low, high, label in AGE_BANDS if low <= age < high), "?")


def _groups(row: dict[str, Any]) -> list[str]:
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


def _ratio_per_facility(
    rows: list[dict[str, Any]],
) -> tuple[float | None, float | None, float | None]:
    consults = sum(r["consults"] for r in rows)
    return consults, len(rows), (round(consults / len(rows), 2) if rows else None)


def _active_share(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    active = sum(1 for r in rows if r["consults"] > 0)
    return active, len(rows), (round(100 * active / len(rows), 1) if rows else None)


def _video_minutes(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    total = sum(_minutes(r["started_at"], r["ended_at"]) or 0 for r in rows)
    return round(total), None, round(total)


def _active_workers(rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
    people = {r["requester_id"] for r in rows} | {
        r["specialist_id"] for r in rows if r["specialist_id"] and r["answered_at"]
    }
    return len(people), None, len(people)


PERIOD_AND_PLACE = (*GRAINS, *PLACE_BREAKDOWNS)
ALL = (*PERIOD_AND_PLACE, *CLINICAL_BREAKDOWNS)

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
        _quantile(0.5, lambda r: _minutes(r["submitted_at"], r["first_response_at"])),
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
        _quantile(0.9, lambda r: _minutes(r["submitted_at"], r["first_response_at"])),
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
                (m / 60) if (m := _minutes(r["departed_at"], r["arrived_at"])) is not None else None
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
                if (m := _minutes(r["discharged_at"], r["counter_referred_at"])) is not None
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
        _share(lambda r: bool(_groups(r))),
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
]
BY_CODE = {i.code: i for i in CATALOGUE}


# --- the rows each source reads ------------------------------------------------------------------

CONSULT_FIELDS = [
    "id",
    "patient_id",
    "submitted_at",
    "first_response_at",
    "deadline_at",
    "answered_at",
    "closed_at",
    "recommended_outcome",
    "urgency",
    "requester_id",
    "specialist_id",
    "requester_facility__province__code",
    "requester_facility__commune__code",
    "requester_facility__public_id",
    "requester_facility__name",
    "hub__public_id",
    "hub__name",
    "specialty__code",
    "specialty__name_vi",
    "specialty__name_en",
    "specialist__full_name",
    "patient__sex",
    "patient__birth_date",
    "patient__ethnicity",
    "patient__household",
]
TIME_FIELD = {
    "consults": "submitted_at",
    "consults_answered": "answered_at",
    "consults_closed": "closed_at",
}


def _consult_rows(source: str, period: Period, place: Place) -> list[dict[str, Any]]:
    time_field = TIME_FIELD[source]
    qs: QuerySet[Consultation] = Consultation.objects.exclude(
        status__in=[Status.DRAFT, Status.CANCELLED]
    ).filter(**{f"{time_field}__gte": period.start_at, f"{time_field}__lt": period.end_at})
    qs = _place_filter(qs, place, "requester_facility", hub_field="hub")
    rows: list[dict[str, Any]] = [dict(r) for r in qs.values(*CONSULT_FIELDS)]
    referred = set()
    if source == "consults_closed":
        referred = set(
            Referral.objects.filter(consultation_id__in=[r["id"] for r in rows]).values_list(
                "consultation_id", flat=True
            )
        )
    now = datetime.now(tz=period.start_at.tzinfo)
    for r in rows:
        r["when"] = r[time_field]
        r["now"] = now
        r["referred"] = r["id"] in referred
        r["age_band"] = _age_band(r["patient__birth_date"], r["submitted_at"])
        r["ethnicity"], r["household"] = r["patient__ethnicity"], r["patient__household"]
    return rows


def _place_filter(
    qs: QuerySet[Any], place: Place, facility_field: str, hub_field: str | None = None
) -> QuerySet[Any]:
    if place.kind == "province":
        return qs.filter(**{f"{facility_field}__province__code": place.province_code or 0})
    if place.kind == "facility" and place.facility is not None:
        if place.facility.is_hub and hub_field:
            return qs.filter(**{hub_field: place.facility})
        return qs.filter(**{facility_field: place.facility})
    return qs


def _referral_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    qs: QuerySet[Any] = Referral.objects.exclude(status=ReferralStatus.CANCELLED).filter(
        sent_at__gte=period.start_at, sent_at__lt=period.end_at
    )
    qs = _place_filter(qs, place, "from_facility")
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.values(
            "id",
            "patient_id",
            "status",
            "sent_at",
            "departed_at",
            "decided_at",
            "arrived_at",
            "discharged_at",
            "counter_referred_at",
            "urgency",
            "from_facility__province__code",
            "from_facility__commune__code",
            "from_facility__public_id",
            "from_facility__name",
            "patient__sex",
            "patient__birth_date",
        )
    ]
    for r in rows:
        r["when"] = r["sent_at"]
        r["age_band"] = _age_band(r["patient__birth_date"], r["sent_at"])
    return rows


def _video_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    qs: QuerySet[Any] = VideoSession.objects.filter(
        status=SessionStatus.ENDED, started_at__gte=period.start_at, started_at__lt=period.end_at
    )
    if place.kind != "network":
        qs = _place_filter(
            qs, place, "consultation__requester_facility", hub_field="consultation__hub"
        )
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.values(
            "id",
            "started_at",
            "ended_at",
            "consultation__patient_id",
            "consultation__requester_facility__province__code",
            "consultation__requester_facility__commune__code",
            "consultation__requester_facility__public_id",
            "consultation__requester_facility__name",
            "consultation__hub__public_id",
            "consultation__hub__name",
        )
    ]
    for r in rows:
        r["when"] = r["started_at"]
        r["patient_id"] = r["consultation__patient_id"]
    return rows


def grassroots_facilities(place: Place) -> QuerySet[Facility]:
    facilities = (
        Facility.objects.active().filter(is_hub=False).exclude(kind=FacilityKind.HEALTH_DEPARTMENT)
    )
    if place.kind == "province":
        facilities = facilities.filter(province__code=place.province_code or 0)
    elif place.kind == "facility" and place.facility is not None:
        facilities = facilities.filter(pk=place.facility.pk)
    return facilities


def facility_rows(
    period: Period, place: Place, sent: dict[int, int] | None = None
) -> list[dict[str, Any]]:
    """One row per grassroots facility of the place, with its number of consults sent (counted
    here from the consultations unless ``sent`` gives them)."""
    facilities = grassroots_facilities(place)
    if sent is not None:
        return _facility_dicts(period, facilities, sent)
    sent = defaultdict(int)
    for facility_id in (
        Consultation.objects.exclude(status__in=[Status.DRAFT, Status.CANCELLED])
        .filter(
            submitted_at__gte=period.start_at,
            submitted_at__lt=period.end_at,
            requester_facility__in=facilities,
        )
        .values_list("requester_facility_id", flat=True)
    ):
        sent[facility_id] += 1
    return _facility_dicts(period, facilities, sent)


def _facility_dicts(
    period: Period, facilities: QuerySet[Facility], sent: dict[int, int]
) -> list[dict[str, Any]]:
    return [
        {
            "consults": sent.get(f["id"], 0),
            "patient_id": None,
            "when": period.start_at,
            "requester_facility__province__code": f["province__code"],
            "requester_facility__commune__code": f["commune__code"],
            "requester_facility__public_id": f["public_id"],
            "requester_facility__name": f["name"],
        }
        for f in facilities.values("id", "province__code", "commune__code", "public_id", "name")
    ]


def rows_for(indicator: Indicator, period: Period, place: Place) -> list[dict[str, Any]]:
    if indicator.source in TIME_FIELD:
        return _consult_rows(indicator.source, period, place)
    if indicator.source == "referrals":
        return _referral_rows(period, place)
    if indicator.source == "video":
        return _video_rows(period, place)
    return facility_rows(period, place)


# --- grouping ----------------------------------------------------------------------------------------


def _keys(indicator: Indicator, row: dict[str, Any], by: str) -> list[tuple[str, str]]:
    """The (key, label) groups a row belongs to for breakdown ``by`` (several for vulnerability)."""
    if by in GRAINS:
        start = period_start(by, row["when"])
        label = period_label(by, start)
        return [(label, label)]
    prefix = {"referrals": "from_facility", "video": "consultation__requester_facility"}.get(
        indicator.source, "requester_facility"
    )
    if by == "province":
        code = row.get(f"{prefix}__province__code")
        return [(str(code), str(code))]
    if by == "commune":
        code = row.get(f"{prefix}__commune__code")
        return [(str(code), str(code))]
    if by == "facility":
        return [(str(row.get(f"{prefix}__public_id")), str(row.get(f"{prefix}__name")))]
    if by == "hub":
        hub = "consultation__hub" if indicator.source == "video" else "hub"
        return [(str(row.get(f"{hub}__public_id")), str(row.get(f"{hub}__name") or "—"))]
    if by == "specialty":
        name = (
            row["specialty__name_en"]
            if (get_language() or "vi").startswith("en")
            else row["specialty__name_vi"]
        )
        return [(row["specialty__code"], name)]
    if by == "urgency":
        return [(row["urgency"], row["urgency"])]
    if by == "specialist":
        return [(str(row["specialist_id"] or "none"), row["specialist__full_name"] or "—")]
    if by == "sex":
        return [(row["patient__sex"], row["patient__sex"])]
    if by == "age_band":
        return [(row["age_band"], row["age_band"])]
    if by == "vulnerability":
        return [(g, g) for g in _groups(row)] or [("none", "none")]
    raise ValueError(by)


def make_cell(
    indicator: Indicator,
    key: str,
    label: str,
    figures: tuple[float | None, float | None, float | None],
    patients: int,
) -> Cell:
    """A cell from its figures, suppressed when it counts 1 to 4 patients."""
    numerator, denominator, value = figures
    cell = Cell(key, label, numerator, denominator, value, patients)
    if indicator.counts_patients and 0 < patients < SMALL_CELL:
        cell.numerator = cell.denominator = cell.value = None
        cell.suppressed = True
    return cell


def _cell(indicator: Indicator, key: str, label: str, rows: list[dict[str, Any]]) -> Cell:
    patients = len({r["patient_id"] for r in rows if r.get("patient_id") is not None})
    return make_cell(indicator, key, label, indicator.compute(rows), patients)


@dataclass
class Result:
    indicator: Indicator
    period: Period
    place: Place
    by: str
    total: Cell
    cells: list[Cell]

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.code,
            "unit": self.indicator.unit,
            "period": self.period.label,
            "place": self.place.key,
            "by": self.by or None,
            "total": self.total.as_dict(),
            "values": [c.as_dict() for c in self.cells],
        }


def compute(indicator: Indicator, period: Period, place: Place, by: str = "") -> Result:
    """The indicator for a period and place, broken down by ``by`` (or only the total).

    Consultation and facility indicators are aggregated in the database from the consultation
    facts (``aggregate.py``); referrals and video sessions, far fewer, are read as rows here."""
    if by and by not in indicator.breakdowns:
        raise ValueError(by)
    from caunoi.monitoring import aggregate

    if indicator.source in aggregate.SOURCES:
        return protect(aggregate.compute(indicator, period, place, by))
    return compute_raw(indicator, period, place, by)


def compute_raw(indicator: Indicator, period: Period, place: Place, by: str = "") -> Result:
    """The indicator computed from the rows themselves: the reference the facts must match."""
    if by and by not in indicator.breakdowns:
        raise ValueError(by)
    return protect(
        result_from_rows(indicator, period, place, by, rows_for(indicator, period, place))
    )


def published_alone(result: Result, cells: list[Cell]) -> set[str]:
    """The keys of the cells of this breakdown that are also published on their own, as the
    total of a query the same reader may ask: a whole month (week, quarter, year, day) of the
    period is that period's total, a province of the network is that province's total, a
    grassroots facility of the network or of a province is that facility's total."""
    by, place, period = result.by, result.place, result.period
    keys: set[str] = set()
    if by in GRAINS:
        for c in cells:
            try:
                own = parse_period(c.key)
            except ValueError:
                continue
            if own.grain == by and period.start <= own.start and own.end <= period.end:
                keys.add(c.key)
    elif by == "age_band" and "vulnerability" in result.indicator.breakdowns:
        # The youngest and the oldest bands are the vulnerable groups "child under 6" and
        # "elderly (60+)", published for the same place and period beside them.
        keys = {c.key for c in cells if c.key in ("0-5", "60+")}
    elif by == "province" and place.kind == "network":
        keys = {c.key for c in cells}
    elif by == "facility" and place.kind in ("network", "province"):
        # A hub's own dashboard counts what it answers, not what it sends: not the same cell.
        hubs = {
            str(public_id)
            for public_id in Facility.objects.filter(
                public_id__in=[c.key for c in cells if _is_uuid(c.key)], is_hub=True
            ).values_list("public_id", flat=True)
        }
        keys = {c.key for c in cells if _is_uuid(c.key) and c.key not in hubs}
    return keys


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def protect(result: Result) -> Result:
    """Secondary suppression: when a breakdown hides exactly one cell but shows its total, the
    hidden cell could be found by subtracting the others from the total; hide the smallest other
    cell too.

    Only among cells that are not published on their own (``published_alone``): hiding a month
    of a trend, or a province of the network, would protect nothing, since each is also the
    total that the API and the dashboards give for that month or that province — and it made a
    trend show "•" for a month of 46 consultations because another month counted 2 patients."""
    if result.total.suppressed or not result.indicator.counts_patients:
        return result
    if result.by == "vulnerability":
        # The groups overlap (a poor H'Mông child counts in three): the total minus the others
        # does not give a hidden group, so there is nothing to protect by hiding another.
        return result
    hidden = [c for c in result.cells if c.suppressed]
    shown = [c for c in result.cells if not c.suppressed and c.patients]
    if len(hidden) != 1 or not shown:
        return result
    alone = published_alone(result, shown)
    shown = [c for c in shown if c.key not in alone]
    if not shown:
        return result

    def size(c: Cell) -> tuple[float, str]:
        figure = next((f for f in (c.denominator, c.numerator, c.value) if f is not None), 0)
        return figure, c.key

    partner = min(shown, key=size)
    partner.numerator = partner.denominator = partner.value = None
    partner.suppressed = True
    return result


# The order people read a breakdown in; other breakdowns sort by key (periods in time order).
ORDER = {
    "age_band": [*(label for _low, _high, label in AGE_BANDS), "?"],
    "urgency": ["emergency", "urgent", "routine"],
    "vulnerability": [*VULNERABLE, "none"],
}


def ordered(by: str, cells: Iterable[Cell]) -> list[Cell]:
    """Cells in reading order: age bands youngest first, urgency most urgent first, the
    vulnerable groups as the catalogue lists them; else by key."""
    rank = {key: n for n, key in enumerate(ORDER.get(by, []))}
    return sorted(cells, key=lambda c: (rank.get(c.key, len(rank)), c.key, c.label))


def result_from_rows(
    indicator: Indicator, period: Period, place: Place, by: str, rows: list[dict[str, Any]]
) -> Result:
    total = _cell(indicator, "total", "total", rows)
    cells: list[Cell] = []
    if by:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            for key in _keys(indicator, row, by):
                groups[key].append(row)
        cells = ordered(
            by, [_cell(indicator, key, label, members) for (key, label), members in groups.items()]
        )
    return Result(indicator, period, place, by, total, cells)


def compute_many(codes: Iterable[str], period: Period, place: Place, by: str = "") -> list[Result]:
    return [
        compute(BY_CODE[code], period, place, by)
        for code in codes
        if by in ("", *BY_CODE[code].breakdowns)
    ]
