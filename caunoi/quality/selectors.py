"""Reads of the quality self-assessments: scores by section, one facility across years, the
province's facilities side by side."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from caunoi.quality.models import Assessment, AssessmentStatus, Score, Section


@dataclass(frozen=True)
class SectionScore:
    code: str
    name: str
    scored: int
    criteria: int
    mean: Decimal | None  # mean level of the scored criteria
    percent: int | None  # points scored of the points possible, over the scored criteria


def section_scores(assessment: Assessment) -> list[SectionScore]:
    levels = assessment.criteria_set.levels
    by_criterion = {s.criterion_id: s.level for s in Score.objects.filter(assessment=assessment)}
    rows = []
    for section in Section.objects.filter(criteria_set=assessment.criteria_set).prefetch_related(
        "criteria"
    ):
        got = [by_criterion[c.pk] for c in section.criteria.all() if c.pk in by_criterion]
        rows.append(
            SectionScore(
                code=section.code,
                name=section.name,
                scored=len(got),
                criteria=len(section.criteria.all()),
                mean=(Decimal(sum(got)) / len(got)).quantize(Decimal("0.01")) if got else None,
                percent=sum(got) * 100 // (len(got) * levels) if got else None,
            )
        )
    return rows


def overall(rows: list[SectionScore]) -> int | None:
    scored = [r for r in rows if r.percent is not None]
    if not scored:
        return None
    return sum(r.percent * r.scored for r in scored if r.percent is not None) // sum(
        r.scored for r in scored
    )


def overall_scores(assessment_ids: list[int]) -> dict[int, int | None]:
    """``overall(section_scores(a))`` of many assessments, from one aggregate query: a
    section's points as a whole percent of its scored criteria's possible points, weighted by
    the criteria scored (the M&E indicator reads a province's assessments this way)."""
    levels = dict(
        Assessment.objects.filter(pk__in=assessment_ids).values_list("pk", "criteria_set__levels")
    )
    sections: dict[int, list[SectionScore]] = {pk: [] for pk in levels}
    for s in (
        Score.objects.filter(assessment_id__in=list(levels))
        .values("assessment_id", "criterion__section_id")
        .annotate(points=Sum("level"), scored=Count("id"))
        .order_by()
    ):
        sections[s["assessment_id"]].append(
            SectionScore(
                code=str(s["criterion__section_id"]),
                name="",
                scored=s["scored"],
                criteria=s["scored"],
                mean=None,
                percent=s["points"] * 100 // (s["scored"] * levels[s["assessment_id"]]),
            )
        )
    return {pk: overall(rows) for pk, rows in sections.items()}


@dataclass(frozen=True)
class YearScores:
    assessment: Assessment
    sections: dict[str, SectionScore]
    overall: int | None


def across_years(assessment: Assessment) -> list[YearScores]:
    """The facility's submitted self-assessments of the same standard (any version), by year,
    with this one: the sections compared by their codes."""
    others = Assessment.objects.filter(
        Q(
            facility_id=assessment.facility_id,
            criteria_set__code=assessment.criteria_set.code,
            status=AssessmentStatus.SUBMITTED,
        )
        | Q(pk=assessment.pk)
    )
    result = []
    for a in others.select_related("criteria_set").order_by("year"):
        rows = section_scores(a)
        result.append(YearScores(a, {r.code: r for r in rows}, overall(rows)))
    return result


def province_table(assessments: list[Assessment]) -> tuple[list[str], list[YearScores]]:
    """The facilities' submitted self-assessments side by side: the section codes, and one row
    per assessment (its sections' percentages and overall)."""
    codes: dict[str, None] = {}
    rows = []
    for a in assessments:
        scores = section_scores(a)
        for s in scores:
            codes.setdefault(s.code, None)
        rows.append(YearScores(a, {s.code: s for s in scores}, overall(scores)))
    return list(codes), sorted(rows, key=lambda r: (-(r.overall or 0), r.assessment.facility.name))
