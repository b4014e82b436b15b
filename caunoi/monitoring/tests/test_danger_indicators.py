"""The danger-sign indicators (issue 20) from consultations sent through the real service."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import summary
from caunoi.monitoring.catalogue import BY_CODE, Place
from caunoi.monitoring.dashboards import danger_signs
from caunoi.monitoring.engine import compute_raw
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import parse_period
from caunoi.network.models import Specialty
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _send(worker, n, *, urgency, signs=("chest_indrawing",), reason="", answer_after=None):
    infant = make_patient(
        worker,
        name=f"Trẻ {n}",
        sex="male",
        birth_date=timezone.localdate() - timedelta(days=20 + n),
        age_years=None,
    )
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=infant,
            specialty=Specialty.objects.get(code="paediatrics"),
            urgency=urgency,
            summary=summary(temperature="36.9"),
            signs_found=list(signs),
            urgency_reason=reason,
        ),
    )[0]
    if answer_after is not None:
        assert c.submitted_at is not None
        Consultation.objects.filter(pk=c.pk).update(
            first_response_at=c.submitted_at + timedelta(minutes=answer_after)
        )
    return c


def test_consults_with_danger_signs_their_urgency_and_response(worker):
    for n, minutes in enumerate([10, 20, 30, 40]):
        _send(worker, n, urgency="emergency", answer_after=minutes)
    for n in (4, 5):
        _send(worker, n, urgency="urgent", reason="Gia đình đã đưa cháu đi viện huyện.")
    for n in (6, 7):
        _send(worker, n, urgency="routine", signs=())  # no sign: not counted
    month = parse_period(timezone.localdate().strftime("%Y-%m"))
    network = Place()

    def total(code):
        return compute(BY_CODE[code], month, network).total

    assert total("danger_sign_consults").value == 6
    sent = total("danger_sent_emergency")
    assert (sent.numerator, sent.denominator, sent.value) == (4, 6, 66.7)
    lowered = total("danger_downgraded")
    assert (lowered.numerator, lowered.denominator, lowered.value) == (2, 6, 33.3)
    response = total("danger_response_median")
    assert (response.denominator, response.value) == (4, 25.0)
    # By urgency sent: the two lowered ones are their own (suppressed: two patients) cell.
    by_urgency = compute(BY_CODE["danger_sign_consults"], month, network, "urgency")
    cells = {c.key: c for c in by_urgency.cells}
    assert cells["urgent"].suppressed
    assert cells["emergency"].suppressed  # four patients: fewer than five
    # The one entry point gives the reference's answer.
    for code in ("danger_sign_consults", "danger_downgraded", "danger_response_median"):
        assert (
            compute(BY_CODE[code], month, network).as_dict()
            == compute_raw(BY_CODE[code], month, network).as_dict()
        )
    table = danger_signs(month, network)
    assert [r.key for r in table.rows] == [
        "danger_sign_consults",
        "danger_sent_emergency",
        "danger_downgraded",
        "danger_response_median",
    ]
    assert [f.value for f in table.rows[1].figures] == [4, 66.7, None]
    assert table.rows[3].figures[2].value == 25.0


def test_a_few_danger_sign_consults_are_suppressed(worker):
    for n in range(2):
        _send(worker, n, urgency="emergency")
    month = parse_period(timezone.localdate().strftime("%Y-%m"))
    cell = compute(BY_CODE["danger_sign_consults"], month, Place()).total
    assert cell.suppressed
    assert cell.value is None
