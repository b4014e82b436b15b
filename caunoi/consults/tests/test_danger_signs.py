"""Danger signs on a consultation (caunoi/triage): the server's check is stored, an urgency
lower than the signs imply needs a written reason, and an emergency with danger signs reaches
whoever is on call at once."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation, OnCallShift
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import summary
from caunoi.network.models import Facility, Membership, Specialty
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _infant(worker, name="Thào A Páo"):
    born = timezone.localdate() - timedelta(days=30)
    return make_patient(worker, name=name, sex="male", birth_date=born, age_years=None)


def _ask(worker, patient, *, urgency, submit=True, reason="", signs=("chest_indrawing",), **vitals):
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=submit,
        data=ConsultationInput(
            patient=patient,
            specialty=Specialty.objects.get(code="paediatrics"),
            urgency=urgency,
            summary=summary(temperature="36.8", pulse="140", systolic="", diastolic="", **vitals),
            signs_found=list(signs),
            urgency_reason=reason,
        ),
    )[0]


def test_an_infant_with_chest_indrawing_cannot_go_as_routine_without_a_reason(worker):
    patient = _infant(worker)
    audits = AuditEvent.objects.exclude(action="view").count()
    with pytest.raises(ValidationError) as refused:
        _ask(worker, patient, urgency="routine")
    message = refused.value.message_dict["urgency_reason"][0]
    assert "cấp cứu" in message
    assert not Consultation.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.exclude(action="view").count() == audits
    # Nor as urgent: still lower than the emergency the signs call for.
    with pytest.raises(ValidationError):
        _ask(worker, patient, urgency="urgent", reason="   ")
    assert not Consultation.objects.filter(patient=patient).exists()


def test_sent_as_emergency_the_check_is_stored_and_audited(worker):
    patient = _infant(worker)
    c = _ask(worker, patient, urgency="emergency", respiratory_rate="64", reason="ignored")
    c.refresh_from_db()
    assert c.triage_urgency == "emergency"
    assert [s["id"] for s in c.triage["signs"]] == ["yi-fast-breathing", "yi-chest-indrawing"]
    assert c.triage["version"] == "2026.11-2"
    assert c.triage["missing"] == ["consciousness"]  # the SpO2 was measured (96 %)
    assert c.signs_found == ["chest_indrawing"]
    assert c.urgency_reason == ""  # not lowered: no reason kept
    assert not c.urgency_lowered
    submitted = AuditEvent.objects.get(
        object_id=str(c.public_id), action="create", purpose="teleconsultation request"
    )
    assert submitted.detail["danger_signs"] == ["yi-fast-breathing", "yi-chest-indrawing"]
    assert submitted.detail["urgency_lowered"] is False


def test_lowered_with_a_reason_the_reason_is_kept_and_shown_to_the_hub(worker, login):
    patient = _infant(worker)
    reason = "Gia đình đang đưa cháu xuống bệnh viện huyện, xin ý kiến trên đường đi."
    c = _ask(worker, patient, urgency="urgent", reason=reason)
    c.refresh_from_db()
    assert c.urgency == "urgent"
    assert c.triage_urgency == "emergency"
    assert c.urgency_lowered
    assert c.urgency_reason == reason
    assert AuditEvent.objects.get(
        object_id=str(c.public_id), action="create", purpose="teleconsultation request"
    ).detail["urgency_lowered"]
    hub_person = Membership.objects.filter(facility=c.hub, role="coordinator")[0].user
    page = login(hub_person).get(c.get_absolute_url()).content.decode()
    assert "Trẻ nhỏ rút lõm lồng ngực nặng" in page
    assert reason in page


def test_a_draft_may_wait_lower_but_sending_it_asks_for_the_reason(worker):
    patient = _infant(worker)
    draft = _ask(worker, patient, urgency="routine", submit=False)
    assert draft.status == "draft"
    assert draft.triage_urgency == "emergency"
    with pytest.raises(ValidationError):
        consultation_submit(
            actor=worker,
            client_id=draft.client_id,
            submit=True,
            data=ConsultationInput(
                patient=patient,
                specialty=draft.specialty,
                urgency="routine",
                summary=summary(),
                signs_found=["chest_indrawing"],
            ),
        )
    assert Consultation.objects.get(pk=draft.pk).status == "draft"


def test_no_danger_sign_no_reason_asked(worker):
    adult = make_patient(worker, name="Lò Văn Pọm")
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=adult,
            specialty=Specialty.objects.get(code="internal-medicine"),
            urgency="routine",
            summary=summary(),
            consciousness="A",
        ),
    )[0]
    assert c.triage_urgency == ""
    assert c.triage["signs"] == []
    assert c.triage["score"] == {"id": "news2", "total": 2, "complete": False}
    assert c.triage["missing"] == ["respiratory_rate"]


def test_unknown_signs_and_consciousness_are_refused(worker):
    patient = _infant(worker)
    with pytest.raises(ValidationError) as refused:
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient,
                specialty=Specialty.objects.get(code="paediatrics"),
                urgency="emergency",
                summary=summary(),
                signs_found=["hiccups"],
                consciousness="Z",
            ),
        )
    assert set(refused.value.message_dict) == {"signs_found", "consciousness"}
    assert not Consultation.objects.filter(patient=patient).exists()


def test_an_emergency_with_danger_signs_reaches_whoever_is_on_call_at_once(worker):
    patient = _infant(worker)
    hub = Facility.objects.get(name="Bệnh viện Nhi Trung ương")
    night = User.objects.create_user(username="truc.dem", full_name="Đinh Thị Trực")
    Membership.objects.create(user=night, facility=hub, role="specialist")
    OnCallShift.objects.create(
        hub=hub,
        user=night,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    c = _ask(worker, patient, urgency="emergency")
    assert c.hub == hub
    assert c.escalated_at is None  # the clock runs from the sending; it is not overdue
    alert = Notification.objects.get(user=night, url=c.get_absolute_url())
    assert alert.message == "consult.danger"
    assert alert.kind == "consult.new"
    # It says there are danger signs, not which: a notification may leave by e-mail or SMS.
    shown = alert.shown("vi")
    assert shown.title.startswith("Dấu hiệu nguy hiểm: ca hội chẩn cấp cứu")
    assert "có dấu hiệu nguy hiểm" in shown.body
    assert "rút lõm" not in f"{shown.title} {shown.body} {alert.params}"
    # A routine consult does not call the person on call.
    adult = make_patient(worker, name="Lò Văn Pọm")
    routine = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=adult,
            specialty=Specialty.objects.get(code="paediatrics"),
            urgency="routine",
            summary=summary(),
        ),
    )[0]
    assert not Notification.objects.filter(user=night, url=routine.get_absolute_url()).exists()


def test_age_in_months_from_the_patients_birth(worker):
    born = timezone.localdate().replace(day=1) - timedelta(days=400)
    patient = make_patient(worker, name="Hờ A Di", birth_date=born, age_years=None)
    assert isinstance(patient.birth_date, date)
    c = _ask(worker, patient, urgency="urgent", signs=("chest_indrawing",))
    assert [s["id"] for s in c.triage["signs"]] == ["child-chest-indrawing"]


def test_the_api_asks_for_the_reason_and_answers_the_stored_check(worker, api_client):
    patient = _infant(worker)
    client = api_client(worker)
    body = {
        "patient": str(patient.public_id),
        "specialty": "paediatrics",
        "urgency": "urgent",
        "question": "Xử trí trước khi chuyển?",
        "respiratory_rate": 58,
        "consciousness": "A",
        "signs_found": ["chest_indrawing"],
    }
    refused = client.post(
        "/api/consults",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["urgency_reason"]
    assert not Consultation.objects.filter(patient=patient).exists()
    made = client.post(
        "/api/consults",
        {**body, "urgency_reason": "Đã chuyển bằng xe cứu thương của huyện."},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["urgency_reason"] == "Đã chuyển bằng xe cứu thương của huyện."
    assert data["signs_found"] == ["chest_indrawing"]
    assert data["consciousness"] == "A"
    check = data["danger_signs"]
    assert check["urgency"] == "emergency"
    assert [s["id"] for s in check["signs"]] == ["yi-chest-indrawing"]
    assert check["signs"][0]["label"] == "Trẻ nhỏ rút lõm lồng ngực nặng"
    assert check["missing"] == [
        {"name": "temperature", "label": "nhiệt độ"},
        {"name": "spo2", "label": "SpO₂"},
    ]


def test_an_adult_with_an_unknown_consciousness_gets_every_message_not_a_crash(worker):
    """NEWS2 reads the consciousness by its letter: an unknown one is refused with the other
    faults of the form, the check having read it as not assessed."""
    adult = make_patient(worker, name="Giàng Thị Dua", sex="female", age_years=40)
    with pytest.raises(ValidationError) as refused:
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=adult,
                specialty=Specialty.objects.get(code="paediatrics"),
                urgency="routine",
                summary=summary(question=""),
                consciousness="X",
            ),
        )
    assert set(refused.value.message_dict) == {"consciousness", "question"}


def test_a_sign_that_does_not_fit_the_patient_may_wait_on_a_draft_but_is_not_sent(worker):
    patient = _infant(worker)
    draft = _ask(worker, patient, urgency="emergency", submit=False, signs=("pregnant",))
    assert draft.signs_found == ["pregnant"]
    with pytest.raises(ValidationError) as refused:
        consultation_submit(
            actor=worker,
            client_id=draft.client_id,
            submit=True,
            data=ConsultationInput(
                patient=patient,
                specialty=Specialty.objects.get(code="paediatrics"),
                urgency="emergency",
                summary=summary(),
                signs_found=["pregnant", "chest_indrawing"],
            ),
        )
    assert refused.value.message_dict["signs_found"] == [
        "Các dấu hiệu này không hỏi ở tuổi hoặc giới của người bệnh: Đang mang thai."
    ]
    draft.refresh_from_db()
    assert draft.status == "draft"
