"""The row engine: the rows each source reads for a period and a place, grouped by a breakdown
into cells with the catalogue's computations, small cells suppressed, and the secondary
suppression (``protect``). ``compute_raw`` is the reference that the database aggregation
(``aggregate.py``) must match, and the path of the sources it does not aggregate (referrals,
video sessions, the staff's training and their CME standing, technique transfers and their
monthly reports, protocol reading, quality self-assessments).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from caunoi.consults.models import Consultation, Status
from caunoi.monitoring.catalogue import (
    AGE_BANDS,
    SMALL_CELL,
    VULNERABLE,
    Cell,
    Indicator,
    Place,
    age_band,
    vulnerable_groups_of,
)
from caunoi.monitoring.periods import (
    GRAINS,
    TZ,
    Period,
    parse_period,
    period_label,
    period_start,
)
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, FacilityKind, Membership, Profession
from caunoi.protocols.models import Acknowledgement, ProtocolVersion
from caunoi.quality.models import Assessment, AssessmentStatus
from caunoi.quality.selectors import overall_scores
from caunoi.referrals.models import Referral, ReferralStatus
from caunoi.training.models import Enrolment, EnrolmentStatus
from caunoi.training.selectors import cme_standings
from caunoi.transfers.models import STEPS, MonthlyReport, Transfer, TransferStatus
from caunoi.video.models import SessionKind, SessionStatus, VideoSession

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
    # Consultations sent with danger signs (caunoi/triage): the row engine reads them, few.
    "danger_signs": "submitted_at",
}


def _consult_rows(source: str, period: Period, place: Place) -> list[dict[str, Any]]:
    time_field = TIME_FIELD[source]
    qs: QuerySet[Consultation] = Consultation.objects.exclude(
        status__in=[Status.DRAFT, Status.CANCELLED]
    ).filter(**{f"{time_field}__gte": period.start_at, f"{time_field}__lt": period.end_at})
    qs = _place_filter(qs, place, "requester_facility", hub_field="hub")
    fields = CONSULT_FIELDS
    if source == "danger_signs":
        qs = qs.exclude(triage_urgency="")
        fields = [*CONSULT_FIELDS, "triage_urgency"]
    rows: list[dict[str, Any]] = [dict(r) for r in qs.values(*fields)]
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
        r["age_band"] = age_band(r["patient__birth_date"], r["submitted_at"])
        r["ethnicity"], r["household"] = r["patient__ethnicity"], r["patient__household"]
    return rows


def _place_filter(
    qs: QuerySet[Any], place: Place, facility_field: str, hub_field: str | None = None
) -> QuerySet[Any]:
    if place.kind == "province":
        return qs.filter(**{f"{facility_field}__province__code": place.province_code or 0})
    if place.kind == "scope":
        return qs.filter(
            Q(**{f"{facility_field}__province__code__in": sorted(place.province_codes)})
            | Q(**{f"{facility_field}__in": sorted(place.facility_ids)})
        )
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
        r["age_band"] = age_band(r["patient__birth_date"], r["sent_at"])
    return rows


def _video_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    # Consults and case conferences (hội chẩn); a course's teaching sessions are training,
    # counted by its attendance.
    qs: QuerySet[Any] = VideoSession.objects.filter(
        status=SessionStatus.ENDED, started_at__gte=period.start_at, started_at__lt=period.end_at
    ).exclude(kind=SessionKind.TEACHING)
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
    elif place.kind == "scope":
        facilities = facilities.filter(
            Q(province__code__in=sorted(place.province_codes))
            | Q(pk__in=sorted(place.facility_ids))
        )
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


# --- the network's staff: their training and their CME standing --------------------------------

# The sources whose rows are the network's own people, not patients. Their "patient_id" is the
# person's user id, so the same rule hides a cell of 1 to 4 people: a commune's two trained
# nurses, or the CME standing of a station's three staff, name them.
STAFF_SOURCES = ("training", "cme_staff")
STAFF_FIELDS = (
    "id",
    "user_id",
    "role",
    "profession",
    "facility_id",
    "facility__province__code",
    "facility__commune__code",
    "facility__public_id",
    "facility__name",
)


def staff_places(users: QuerySet[Any]) -> dict[int, dict[str, Any]]:
    """Where each person of ``users`` (a query of user ids) counts: one membership each, so that
    a person is counted once and in one place. Of their active memberships with a facility, the
    first clinical one (the oldest, as the network knows them longest there); without a
    clinical one, the first (an officer who took a course counts at their department).
    People with no active membership at a facility (donors, administrators, people who left)
    have no place and are not counted."""
    chosen: dict[int, dict[str, Any]] = {}
    memberships = (
        Membership.objects.active()
        .filter(facility__isnull=False, user_id__in=users)
        .order_by("user_id", "id")
        .values(*STAFF_FIELDS)
    )
    for m in memberships:
        held = chosen.get(m["user_id"])
        if held is None or (held["role"] not in CLINICAL_ROLES and m["role"] in CLINICAL_ROLES):
            chosen[m["user_id"]] = m
    return chosen


def _staff_in(place: Place, membership: dict[str, Any]) -> bool:
    if place.kind == "province":
        return bool(membership["facility__province__code"] == (place.province_code or 0))
    if place.kind == "facility" and place.facility is not None:
        # A hub's own staff, as any facility's (only for consultations is a hub's place what
        # it answers).
        return bool(membership["facility_id"] == place.facility.pk)
    if place.kind == "scope":
        return (
            membership["facility_id"] in place.facility_ids
            or membership["facility__province__code"] in place.province_codes
        )
    return True


def _staff_row(membership: dict[str, Any], user_id: int) -> dict[str, Any]:
    return {
        "patient_id": user_id,  # a person, for the small-cell rule
        "profession": membership["profession"],
        "facility_id": membership["facility_id"],
        "facility__province__code": membership["facility__province__code"],
        "facility__commune__code": membership["facility__commune__code"],
        "facility__public_id": membership["facility__public_id"],
        "facility__name": membership["facility__name"],
    }


def _training_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    """One row per course completed in the period, at the learner's facility
    (``staff_places``): a learner's completions all count where they work now."""
    completed = Enrolment.objects.filter(
        status=EnrolmentStatus.COMPLETED,
        completed_at__gte=period.start_at,
        completed_at__lt=period.end_at,
    )
    if place.kind != "network":
        # Those with a membership in the place, in the database; which of their memberships
        # counts is decided below, as for every place.
        members = _place_filter(Membership.objects.active(), place, "facility")
        completed = completed.filter(user_id__in=members.values("user_id"))
    places = staff_places(completed.values("user_id"))
    rows = []
    for e in completed.values(
        "user_id",
        "course_id",
        "completed_at",
        "course__specialty__code",
        "course__specialty__name_vi",
        "course__specialty__name_en",
    ):
        membership = places.get(e["user_id"])
        if membership is None or not _staff_in(place, membership):
            continue
        rows.append(
            {
                **_staff_row(membership, e["user_id"]),
                "when": e["completed_at"],
                "course_id": e["course_id"],
                "specialty__code": e["course__specialty__code"],
                "specialty__name_vi": e["course__specialty__name_vi"],
                "specialty__name_en": e["course__specialty__name_en"],
            }
        )
    return rows


def cme_as_of(period: Period) -> date:
    """The date a CME standing is read on: the period's last day, or today while it runs."""
    return min(period.end - timedelta(days=1), timezone.localdate())


def _cme_staff_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    """One row per person with an active clinical membership at a facility (the staff of
    ``training.selectors.cme_compliance``), placed as ``staff_places`` places them, with their
    standing against the 120-tiết rule on ``cme_as_of``. Who is staff is read as it is now:
    the network keeps no history of memberships."""
    clinical = _place_filter(
        Membership.objects.active().filter(facility__isnull=False, role__in=sorted(CLINICAL_ROLES)),
        place,
        "facility",
    )
    staff = {
        user_id: m
        for user_id, m in staff_places(clinical.values("user_id")).items()
        if _staff_in(place, m)
    }
    as_of = cme_as_of(period)
    statuses = cme_standings(clinical.values("user_id"), today=as_of)
    return [
        {
            **_staff_row(m, user_id),
            "when": period.start_at,
            "on_track": statuses[user_id].on_track,
        }
        for user_id, m in staff.items()
        if user_id in statuses
    ]


# --- technique transfer, protocols and quality (issue 15) ---------------------------------------


def _day_start(day: date) -> datetime:
    """A date as the moment its day begins in Vietnam's time, what ``period_start`` reads."""
    return datetime.combine(day, time.min, TZ)


def _hub_of(place: Place) -> Facility | None:
    if place.kind == "facility" and place.facility is not None and place.facility.is_hub:
        return place.facility
    return None


TRANSFER_FIELDS = (
    "status",
    "agreed_on",
    "authorised_on",
    "receiver__province__code",
    "receiver__public_id",
    "receiver__name",
    "hub__public_id",
    "hub__name",
)


def _transfer_rows(period: Period, place: Place, on: str) -> list[dict[str, Any]]:
    """One row per transfer, cancelled ones aside, whose date ``on`` (``agreed_on`` or
    ``authorised_on``) falls in the period, placed at the receiving facility. A hub's own
    place is the transfers it gives, as its consultations are those it answers (a hub that
    receives a technique counts it in its province and in a province's list of facilities)."""
    qs: QuerySet[Any] = Transfer.objects.exclude(status=TransferStatus.CANCELLED).filter(
        **{f"{on}__gte": period.start, f"{on}__lt": period.end}
    )
    qs = _place_filter(qs, place, "receiver", hub_field="hub")
    rows: list[dict[str, Any]] = [dict(r) for r in qs.values(*TRANSFER_FIELDS)]
    for r in rows:
        r["when"] = _day_start(r[on])
        r["patient_id"] = None  # a transfer is not a person
        r["days"] = (r["authorised_on"] - r["agreed_on"]).days if r["authorised_on"] else None
    return rows


def _transfer_report_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    """One row per monthly report after a transfer whose month lies wholly in the period, at
    the transfer's receiving facility (a hub's place: the transfers it gave). A day or a week
    holds no whole month, so no report: "—", not a misleading 0 or a month's figure put on the
    week of its first day."""
    if period.grain in ("day", "week"):
        return []
    qs: QuerySet[Any] = MonthlyReport.objects.filter(month__gte=period.start, month__lt=period.end)
    qs = _place_filter(qs, place, "transfer__receiver", hub_field="transfer__hub")
    return [
        {
            **{field: r[f"transfer__{field}"] for field in TRANSFER_FIELDS[3:]},
            "when": _day_start(r["month"]),
            "patient_id": None,
            "performed": r["performed"],
        }
        for r in qs.values("month", "performed", *(f"transfer__{f}" for f in TRANSFER_FIELDS[3:]))
    ]


READER_FIELDS = (
    "user_id",
    "facility_id",
    "facility__province__code",
    "facility__public_id",
    "facility__name",
)


def _protocol_reader_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    """One row per current protocol version and person who should read it, as of now: the
    people with an active clinical membership at a facility the version was published to.
    Each person counts once per version, at the audience facility of their oldest such
    membership, so a person working at two facilities of the audience is one reader (in one
    place), read or not — the protocols app's page lists them under each facility. A hub's own
    place is the readers of the protocols it publishes. Who is staff is read as it is now: the
    network keeps no history of memberships."""
    versions = ProtocolVersion.objects.filter(superseded_at__isnull=True)
    hub = _hub_of(place)
    if hub is not None:
        versions = versions.filter(protocol__publisher=hub)
    through = ProtocolVersion.audience.through.objects.filter(protocolversion__in=versions)
    clinical = Membership.objects.active().filter(
        facility__isnull=False, role__in=sorted(CLINICAL_ROLES)
    )
    in_audience: QuerySet[Any] = clinical.filter(facility_id__in=through.values("facility_id"))
    if hub is None:
        in_audience = _place_filter(in_audience, place, "facility")
    # Everyone of the place who reads something, with all their clinical memberships: where
    # each counts is chosen among all the version's facilities, inside the place or not.
    people = clinical.filter(user_id__in=in_audience.values("user_id"))
    audience: dict[int, set[int]] = defaultdict(set)
    for version_id, facility_id in through.filter(
        facility_id__in=people.values("facility_id")
    ).values_list("protocolversion_id", "facility_id"):
        audience[version_id].add(facility_id)
    held: dict[int, list[dict[str, Any]]] = defaultdict(list)  # a person's, oldest first
    members_at: dict[int, set[int]] = defaultdict(set)
    for m in people.order_by("user_id", "id").values(*READER_FIELDS):
        held[m["user_id"]].append(m)
        members_at[m["facility_id"]].add(m["user_id"])
    read = set(
        Acknowledgement.objects.filter(
            version__in=versions, user_id__in=people.values("user_id")
        ).values_list("version_id", "user_id")
    )
    rows = []
    for version_id, facilities in audience.items():
        for user_id in set().union(*(members_at[f] for f in facilities)):
            m = next(m for m in held[user_id] if m["facility_id"] in facilities)
            if hub is None and not _staff_in(place, m):
                continue
            rows.append(
                {
                    **m,
                    "patient_id": user_id,  # a person, for the small-cell rule
                    "when": period.start_at,
                    "read": (version_id, user_id) in read,
                }
            )
    return rows


def quality_year(period: Period) -> int:
    """The year whose self-assessments a period reads: the year that holds most of it. A day,
    a month, a quarter or a year lies in one year; a week across the new year belongs to the
    year of its Thursday, its ISO year, as its label (2026-W01) says."""
    return (period.start + timedelta(days=(period.end - period.start).days // 2)).year


def _quality_rows(period: Period, place: Place) -> list[dict[str, Any]]:
    """One row per submitted self-assessment of ``quality_year``, at the facility assessed (a
    hub's is its own), with its overall score as the quality pages give it."""
    submitted = _place_filter(
        Assessment.objects.filter(status=AssessmentStatus.SUBMITTED, year=quality_year(period)),
        place,
        "facility",
    )
    assessments = list(
        submitted.values(
            "id",
            "facility_id",
            "facility__province__code",
            "facility__public_id",
            "facility__name",
        )
    )
    scores = overall_scores([a["id"] for a in assessments])
    return [
        {
            **a,
            "patient_id": None,  # a facility, not a person
            "when": period.start_at,
            "score": scores[a["id"]],
        }
        for a in assessments
    ]


def rows_for(indicator: Indicator, period: Period, place: Place) -> list[dict[str, Any]]:
    if indicator.source in TIME_FIELD:
        return _consult_rows(indicator.source, period, place)
    if indicator.source == "referrals":
        return _referral_rows(period, place)
    if indicator.source == "video":
        return _video_rows(period, place)
    if indicator.source == "training":
        return _training_rows(period, place)
    if indicator.source == "cme_staff":
        return _cme_staff_rows(period, place)
    if indicator.source == "transfers_agreed":
        return _transfer_rows(period, place, "agreed_on")
    if indicator.source == "transfers_authorised":
        return _transfer_rows(period, place, "authorised_on")
    if indicator.source == "transfer_reports":
        return _transfer_report_rows(period, place)
    if indicator.source == "protocol_readers":
        return _protocol_reader_rows(period, place)
    if indicator.source == "quality":
        return _quality_rows(period, place)
    return facility_rows(period, place)


# --- grouping ----------------------------------------------------------------------------------------


def _keys(indicator: Indicator, row: dict[str, Any], by: str) -> list[tuple[str, str]]:
    """The (key, label) groups a row belongs to for breakdown ``by`` (several for vulnerability)."""
    if by in GRAINS:
        start = period_start(by, row["when"])
        label = period_label(by, start)
        return [(label, label)]
    prefix = {
        "referrals": "from_facility",
        "video": "consultation__requester_facility",
        "training": "facility",
        "cme_staff": "facility",
        "transfers_agreed": "receiver",
        "transfers_authorised": "receiver",
        "transfer_reports": "receiver",
        "protocol_readers": "facility",
        "quality": "facility",
    }.get(indicator.source, "requester_facility")
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
        if row["specialty__code"] is None:  # a course given no specialty
            return [("none", _("no specialty"))]
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
        return [(g, g) for g in vulnerable_groups_of(row)] or [("none", "none")]
    if by == "profession":
        key = row["profession"]
        return [(key, str(Profession(key).label) if key in Profession.values else key)]
    if by == "transfer_status":
        key = row["status"]
        return [(key, str(TransferStatus(key).label) if key in TransferStatus.values else key)]
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
    grassroots facility of the network or of a province is that facility's total (for the
    staff's training and standing, any facility, hubs too)."""
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
        # Its staff's training and standing are its own, as any facility's.
        hubs: set[str] = set()
        if result.indicator.source not in STAFF_SOURCES:
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
    "transfer_status": [str(step.value) for step in STEPS],  # the steps in order
}


def ordered(by: str, cells: Iterable[Cell]) -> list[Cell]:
    """Cells in reading order: age bands youngest first, urgency most urgent first, the
    vulnerable groups as the catalogue lists them, a transfer's steps in order; else by key."""
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
