"""Quality self-assessments in the JSON API: the scores by section, for the facility's staff
and the province's officers."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import ListFilters, Pagination, SerializedPage
from caunoi.quality.access import visible_assessments
from caunoi.quality.models import Assessment
from caunoi.quality.selectors import overall, section_scores

router = Router(tags=["quality"])


class AssessmentFilters(ListFilters):
    facility: UUID | None = Field(None, description="A facility's id")
    year: int | None = Field(None, ge=2000, le=2100)


class SectionOut(Schema):
    code: str
    name: str
    criteria: int
    scored: int
    percent: int | None = Field(description="Points scored of the points possible")


class AssessmentOut(Schema):
    id: UUID
    facility: UUID
    facility_name: str
    year: int
    criteria_set: str
    criteria_version: str
    status: str
    submitted_at: str | None
    overall: int | None
    sections: list[SectionOut]
    url: str


def _out(a: Assessment) -> dict[str, object]:
    rows = section_scores(a)
    return {
        "id": a.public_id,
        "facility": a.facility.public_id,
        "facility_name": a.facility.name,
        "year": a.year,
        "criteria_set": a.criteria_set.code,
        "criteria_version": a.criteria_set.version,
        "status": a.status,
        "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
        "overall": overall(rows),
        "sections": [
            {
                "code": r.code,
                "name": r.name,
                "criteria": r.criteria,
                "scored": r.scored,
                "percent": r.percent,
            }
            for r in rows
        ],
        "url": a.get_absolute_url(),
    }


@router.get(
    "/quality-assessments",
    response=list[AssessmentOut],
    summary="Quality self-assessments (scores by section)",
)
@paginate(Pagination)
def list_assessments(request: HttpRequest, filters: Query[AssessmentFilters]) -> SerializedPage:
    """Your facility's, or — for an officer — those of the province's facilities; newest year
    first. `facility` and `year` narrow them."""
    qs = visible_assessments(request.user).select_related("facility", "criteria_set")
    if filters.facility is not None:
        qs = qs.filter(facility__public_id=filters.facility)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    return SerializedPage(
        qs.order_by("-year", "facility__name", "id"), lambda rows: [_out(a) for a in rows]
    )
