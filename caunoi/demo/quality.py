"""Quality self-assessment in the demo: the sample criteria file is loaded, and Tuyên Quang's
provincial hospital has assessed itself for the last two years (both submitted, the second
better in most sections), with evidence notes, a protocol as evidence and an improvement plan.
Built once, through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from caunoi.network.models import Facility, Membership
from caunoi.protocols.models import Protocol
from caunoi.quality.loader import criteria_load
from caunoi.quality.models import Assessment, Criterion
from caunoi.quality.services import (
    NEEDS_ACTION_AT,
    ScoreInput,
    action_add,
    assessment_start,
    assessment_submit,
    score_record,
)

SAMPLE = Path(__file__).resolve().parent.parent / "quality" / "data" / "sample-criteria.json"
TUYEN_QUANG = "Bệnh viện Đa khoa tỉnh Tuyên Quang"

# The levels of each criterion, year before last and last year.
LEVELS = {
    "A1": (3, 4), "A2": (2, 3), "A3": (3, 3), "B1": (2, 4), "B2": (3, 4), "C1": (3, 5),
    "C2": (4, 4), "C3": (2, 3), "D1": (2, 3), "D2": (1, 3), "E1": (4, 4), "E2": (3, 4),
}  # fmt: skip


def demo_quality_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    criteria_set, _created = criteria_load(SAMPLE.read_bytes())
    if Assessment.objects.exists():
        say("demo quality self-assessments already loaded")
        return 0
    hospital = Facility.objects.get(name=TUYEN_QUANG)
    head = Membership.objects.filter(facility=hospital, is_head=True).select_related("user").first()
    assert head is not None, "the transfers demo names the hospital's head"
    staff = head.user
    protocol = Protocol.objects.order_by("id").first()
    year = timezone.localdate().year
    with transaction.atomic():
        for n, assessed in enumerate((year - 1, year)):
            a, _ = assessment_start(
                facility=hospital, year=assessed, actor=staff, criteria_set=criteria_set
            )
            for code, levels in LEVELS.items():
                criterion = Criterion.objects.get(section__criteria_set=criteria_set, code=code)
                score_record(
                    assessment=a,
                    criterion=criterion,
                    actor=staff,
                    data=ScoreInput(
                        level=levels[n],
                        note="Biên bản kiểm tra của hội đồng quản lý chất lượng.",
                        protocol=protocol if code == "C1" else None,
                    ),
                )
                if levels[n] <= NEEDS_ACTION_AT:
                    action_add(
                        assessment=a,
                        actor=staff,
                        action=f"Kế hoạch cải tiến tiêu chí {code}: giao khoa phụ trách, kiểm tra hằng quý.",
                        owner=staff,
                        due_on=timezone.localdate() + timedelta(days=120),
                        criterion=criterion,
                    )
            assessment_submit(assessment=a, actor=staff)
    say(f"2 self-assessments of {hospital.name}")
    return 2
