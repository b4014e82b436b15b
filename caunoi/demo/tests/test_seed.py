"""``caunoi seed``: the demo a new developer gets with ``make demo``, and the scale options.

The module runs on the demo network (the ``demo_network`` fixture) over the places and code
tables, so the command finds them and adds the rest."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import xmlschema
from django.core.management import call_command
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, OnCallShift
from caunoi.demo.network import stable_uuid
from caunoi.network.models import Facility, Membership
from caunoi.patients.models import Patient
from caunoi.programmes.access import visible_programmes
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.logframe import flatten, progress
from caunoi.programmes.models import Programme
from caunoi.programmes.selectors import idle_kits
from caunoi.protocols.models import ProtocolVersion
from caunoi.protocols.selectors import protocol_list
from caunoi.quality.models import Assessment
from caunoi.quality.selectors import overall, section_scores
from caunoi.referrals.models import Referral
from caunoi.training.models import (
    AssessmentAttempt,
    Certificate,
    CmeCredit,
    Enrolment,
    EnrolmentStatus,
)
from caunoi.training.selectors import declarations_to_check
from caunoi.transfers.models import Transfer
from caunoi.transfers.services import report_months
from caunoi.video.models import VideoSession

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

IATI_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "programmes"
    / "iati_schemas"
    / "iati-activities-schema.xsd"
)


def counts() -> dict[str, int]:
    return {
        "facilities": Facility.objects.count(),
        "users": User.objects.count(),
        "patients": Patient.objects.count(),
        "consults": Consultation.objects.count(),
        "referrals": Referral.objects.count(),
        "video sessions": VideoSession.objects.count(),
        "on-call shifts": OnCallShift.objects.count(),
    }


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def test_seed_makes_the_documented_demo_once():
    output = seed()

    assert counts() == {
        "facilities": 1310,
        "users": 4509,
        "patients": 302,
        "consults": 302,
        "referrals": 24,
        "video sessions": 6,  # with the diabetes series' teaching room
        "on-call shifts": 360,
    }
    assert "302 consultations" in output
    assert "worker       Sùng Thị Mai" in output  # the demo accounts are listed
    assert "head         Vàng Mí Páo" in output
    # The year of training: the head of worker's station nominated her for a full course,
    # has her declared activity to check; one certificate is revoked; a case was presented.
    head = User.objects.get(username="head")
    assert head.memberships.get().is_head
    worker = User.objects.get(username="worker")
    nominated = Enrolment.objects.get(user=worker, nominated_by=head)
    assert nominated.status == EnrolmentStatus.WAITLISTED
    assert list(declarations_to_check(head).values_list("user__username", flat=True)) == ["worker"]
    assert Certificate.objects.filter(revoked_at__isnull=False).count() == 1
    assert (
        CmeCredit.objects.filter(presentation__isnull=False, activity_type="teaching").count() == 1
    )
    assert AssessmentAttempt.objects.filter(kind="post").count() == 11
    # Technique transfer: Huế to Nghệ An and Tuyên Quang, one in each state; the oldest with
    # its twelve monthly reports, the running one with its last month left for the check.
    assert set(Transfer.objects.values_list("status", flat=True)) == {
        "agreed",
        "theory_done",
        "observed",
        "assessed",
        "signed_off",
        "authorised",
    }
    # One transfer has its twelve reports; the other every month already past but the last
    # (left for the scheduled check to flag) — how many depends on today's date.
    authorised = Transfer.objects.filter(status="authorised")
    this_month = timezone.localdate().replace(day=1)

    def expected(t):
        past = [m for m in report_months(t.authorised_on) if m < this_month]
        return len(past) if len(past) == 12 else len(past) - 1

    reports = sorted((t.reports.count(), expected(t)) for t in authorised)
    assert [have for have, _want in reports] == [want for _have, want in reports]
    assert reports[-1][0] == 12
    assert 0 < reports[0][0] < 12
    # Protocols: two published to Huế's stations, the first in its second version; partly read.
    current = ProtocolVersion.objects.filter(superseded_at__isnull=True)
    assert sorted(v.number for v in current) == [1, 2]
    assert [getattr(v, "read") for v in protocol_list(worker)] == [True, False]  # noqa: B009
    for v in current:
        staff = Membership.objects.filter(facility__in=v.audience.all(), role="worker").count()
        assert 0 < v.acknowledgements.count() < staff
    # Quality: the sample criteria, two submitted years of Tuyên Quang's hospital, improving.
    years = list(Assessment.objects.order_by("year"))
    assert [a.status for a in years] == ["submitted", "submitted"]
    first, second = (overall(section_scores(a)) for a in years)
    assert first is not None
    assert second is not None
    assert first < second
    # Programmes: four, the donor persona (KOFIH) sees the telemedicine one.
    assert Programme.objects.count() == 4
    donor = User.objects.get(username="donor")
    assert [p.code for p in visible_programmes(donor)] == ["TELEMED-10"]
    # Its kits: 75 at stations and 5 servers, one broken, some idle.
    telemed = Programme.objects.get(code="TELEMED-10")
    assert telemed.kits.filter(kind="kit").count() == 75
    assert telemed.kits.filter(status="broken").count() == 1
    assert 0 < len(idle_kits(telemed.kits.all(), days=60)) < 75
    # Its logframe: bound to the platform's indicators (computed, this month's consultations
    # among them), one indicator entered with evidence whose last year is missing.
    rows = [
        (ip.indicator.bound_code, row)
        for node in flatten(progress(telemed))
        for ip in node.indicators
        for row in ip.periods
    ]
    bound = {code for code, _row in rows if code}
    assert {"consults_submitted", "answered_in_time", "workers_trained"} <= bound
    sent = [row for code, row in rows if code == "consults_submitted"]
    assert sent[-1].actual
    assert sent[-1].state == "running"
    assert [row.state for code, row in rows if not code] == ["near", "met", "missing"]
    assert telemed.budgets.count() == 4
    assert telemed.documents.count() == 1
    # Each demo programme's IATI file is valid against the official 2.03 schema.
    schema = xmlschema.XMLSchema(str(IATI_SCHEMA))
    for programme in Programme.objects.all():
        assert list(schema.iter_errors(activities_xml([programme]).decode())) == [], programme.code
    before = counts()

    again = seed()

    assert counts() == before
    assert "demo consultations already loaded" in again


def test_seed_scale_options_add_generated_workers_and_patients_without_the_demo():
    before = counts()

    # (--consults is left to the benchmarks: routing every station costs half a minute.)
    output = seed("--no-demo", "--workers", "4", "--patients", "3")

    after = counts()
    assert after["users"] == before["users"] + 4
    assert after["patients"] == before["patients"] + 3
    assert after["consults"] == before["consults"] == 0
    assert after["referrals"] == after["video sessions"] == 0
    assert User.objects.get(username="scale.w0000000").public_id == stable_uuid(
        "user", "scale.w0000000"
    )
    assert "Demo accounts" not in output
