"""The quality self-assessment: a criteria file loaded (and a wrong one refused whole), scored
with evidence, submitted only when complete and planned, compared across years, and read by
the province's officers."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Profession, Role
from caunoi.quality.loader import criteria_load
from caunoi.quality.models import AssessmentStatus, CriteriaSet, Criterion, Score
from caunoi.quality.selectors import across_years, overall, section_scores
from caunoi.quality.services import (
    ScoreInput,
    action_add,
    assessment_start,
    assessment_submit,
    score_record,
)

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-criteria.json"


def _small(**changes: Any) -> bytes:
    data: dict[str, Any] = {
        "code": "TEST-CL",
        "version": "1",
        "name_vi": "Bộ tiêu chí thử",
        "levels": 5,
        "facility_kinds": ["provincial_hospital"],
        "sections": [
            {
                "code": "A",
                "name_vi": "Người bệnh",
                "criteria": [
                    {"code": "A1", "text_vi": "Đón tiếp"},
                    {"code": "A2", "text_vi": "Quyền lợi"},
                ],
            },
            {
                "code": "B",
                "name_vi": "Nhân lực",
                "criteria": [{"code": "B1", "text_vi": "Đào tạo"}],
            },
        ],
    }
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
def hospital(receiver):
    return receiver.memberships.get(role=Role.CLINICIAN).facility


@pytest.fixture
def director(hospital):
    user = User.objects.create_user(username="giamdoc-cl", full_name="Nông Văn Giám")
    Membership.objects.create(
        user=user,
        facility=hospital,
        role=Role.CLINICIAN,
        profession=Profession.DOCTOR,
        is_head=True,
    )
    return user


def test_the_sample_file_loads_once_by_the_command(capsys):
    call_command("quality_criteria", str(SAMPLE))
    call_command("quality_criteria", str(SAMPLE))
    out = capsys.readouterr().out
    assert "MAU-CL-BV 2026.1: loaded, 12 criteria" in out
    assert "already loaded" in out
    criteria_set = CriteriaSet.objects.get()
    assert criteria_set.is_sample
    assert [s.code for s in criteria_set.sections.all()] == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        _small(sections=[]),
        _small(facility_kinds=["castle"]),
        _small(levels=1),
        _small(
            sections=[
                {
                    "code": "A",
                    "name_vi": "x",
                    "criteria": [{"code": "A1", "text_vi": "a"}, {"code": "A1", "text_vi": "b"}],
                }
            ]
        ),
        _small(sections=[{"code": "A", "name_vi": "x", "criteria": [{"code": "A1"}]}]),
    ],
)
def test_a_wrong_file_is_refused_with_what_is_wrong_and_nothing_is_loaded(content):
    with pytest.raises(ValidationError) as refused:
        criteria_load(content)
    assert refused.value.messages[0]
    assert not CriteriaSet.objects.exists()
    assert not Criterion.objects.exists()


def _score_all(a, actor, levels):
    for code, level in levels.items():
        score_record(
            assessment=a,
            criterion=Criterion.objects.get(section__criteria_set=a.criteria_set, code=code),
            actor=actor,
            data=ScoreInput(level=level, note="Có biên bản kiểm tra"),
        )


def test_scored_submitted_when_complete_and_planned_then_compared_across_years(
    hospital, receiver, director
):
    criteria_load(_small())
    last_year = timezone.localdate().year - 1
    before, created = assessment_start(facility=hospital, year=last_year, actor=receiver)
    assert created
    _score_all(before, receiver, {"A1": 2, "A2": 3, "B1": 4})
    with pytest.raises(ValidationError) as refused:  # A1 at 2 needs a step in the plan
        assessment_submit(assessment=before, actor=director)
    assert "A1" in refused.value.messages[0]
    action_add(
        assessment=before,
        actor=receiver,
        action="Bố trí bàn hướng dẫn ở khoa khám bệnh",
        owner=receiver,
        due_on=timezone.localdate() + timedelta(days=90),
        criterion=Criterion.objects.get(code="A1"),
    )
    with pytest.raises(PermissionDenied):  # the head submits
        assessment_submit(assessment=before, actor=receiver)
    assessment_submit(assessment=before, actor=director)
    before.refresh_from_db()
    assert before.status == AssessmentStatus.SUBMITTED
    with pytest.raises(ValidationError):  # submitted: final
        _score_all(before, receiver, {"A1": 5})
    assert Score.objects.get(assessment=before, criterion__code="A1").level == 2

    now, _ = assessment_start(facility=hospital, year=last_year + 1, actor=receiver)
    with pytest.raises(ValidationError) as refused:
        assessment_submit(assessment=now, actor=director)
    assert "A1, A2, B1" in refused.value.messages[0]
    _score_all(now, receiver, {"A1": 4, "A2": 5})
    rows = {r.code: r for r in section_scores(now)}
    assert (rows["A"].percent, rows["A"].mean, rows["B"].percent) == (90, Decimal("4.50"), None)
    years = across_years(now)
    assert [y.assessment.year for y in years] == [last_year, last_year + 1]
    assert years[0].sections["A"].percent == 50  # (2 + 3) of 10
    assert years[0].sections["B"].percent == 80
    assert years[0].overall == 60  # 9 of 15 points
    assert overall(section_scores(now)) == 90


def test_a_level_outside_the_scale_and_evidence_that_is_not_a_document_are_refused(
    hospital, receiver
):
    criteria_load(_small())
    a, _ = assessment_start(facility=hospital, year=timezone.localdate().year, actor=receiver)
    criterion = Criterion.objects.get(code="A1")
    for data, field in [
        (ScoreInput(level=6), "level"),
        (ScoreInput(level=0), "level"),
        (ScoreInput(level=3, evidence=b"MZ\x90\x00 not a document"), "evidence"),
    ]:
        with pytest.raises(ValidationError) as refused:
            score_record(assessment=a, criterion=criterion, actor=receiver, data=data)
        assert field in refused.value.message_dict
    assert not Score.objects.exists()


def test_only_the_facilitys_staff_assess_and_officers_of_the_province_read(
    hospital, receiver, director, worker, officer, donor, login, api_client
):
    criteria_load(_small())
    with pytest.raises(PermissionDenied):
        assessment_start(facility=hospital, year=timezone.localdate().year, actor=worker)
    a, _ = assessment_start(facility=hospital, year=timezone.localdate().year, actor=receiver)
    _score_all(a, receiver, {"A1": 3, "A2": 3, "B1": 5})
    assessment_submit(assessment=a, actor=director)
    same_province = officer.memberships.get().facility.province_id == hospital.province_id
    assert same_province
    page = login(officer).get(f"/quality/?year={a.year}").content.decode()
    assert hospital.name in page
    assert "73%" in page  # 11 of 15 points
    answer = api_client(officer).get(f"/api/quality-assessments?year={a.year}").json()["items"]
    assert [
        (i["facility_name"], i["overall"], [s["percent"] for s in i["sections"]]) for i in answer
    ] == [(hospital.name, 73, [60, 100])]
    for outsider in (worker, donor):
        assert login(outsider).get(a.get_absolute_url()).status_code == 404
    assert api_client(worker).get("/api/quality-assessments").json()["items"] == []


def test_the_batched_overall_scores_are_the_pages_own(hospital, receiver, director):
    from caunoi.quality.selectors import overall_scores

    criteria_load(_small())
    year = timezone.localdate().year
    a, _ = assessment_start(facility=hospital, year=year - 1, actor=receiver)
    b, _ = assessment_start(facility=hospital, year=year, actor=receiver)
    _score_all(a, receiver, {"A1": 2, "A2": 3, "B1": 4})
    _score_all(b, receiver, {"A1": 5})
    assert overall_scores([a.pk, b.pk]) == {
        a.pk: overall(section_scores(a)),
        b.pk: overall(section_scores(b)),
    }
    assert overall_scores([a.pk, b.pk]) == {a.pk: 60, b.pk: 100}
