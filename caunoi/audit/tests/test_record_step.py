"""The one timeline mechanism: ``record_step`` saves the object, adds its timeline event and
writes its audit row together — or, when any of them fails, none of them; ``record_event``
adds a bare step; each timeline's kinds read in the reader's language."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation

from caunoi.audit.models import AuditAction, AuditEvent
from caunoi.audit.services import record_step
from caunoi.consults.models import Consultation, ConsultationEvent, ConsultationEventKind
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.core.timeline import record_event
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.models import ReferralEvent, ReferralEventKind, ReferralStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(worker):
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=False,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )
    return c


def _events(c):
    return list(ConsultationEvent.objects.filter(consultation=c).order_by("id"))


def _audits(c):
    return AuditEvent.objects.filter(
        object_type="consults.consultation", object_id=str(c.public_id)
    ).exclude(action=AuditAction.VIEW)


def test_record_step_writes_the_object_its_event_and_its_audit_row_together(worker, draft):
    events, audits = len(_events(draft)), _audits(draft).count()
    draft.question = "Có cần chuyển tuyến không?"
    event = record_step(
        obj=draft,
        fields=["question"],
        kind=ConsultationEventKind.MESSAGE,
        actor=worker,
        detail={"shown": "on the page"},
        purpose="message",
        audit_detail={"kept": "in the trail"},
    )
    assert Consultation.objects.get(pk=draft.pk).question == "Có cần chuyển tuyến không?"
    assert _events(draft)[events:] == [event]
    assert isinstance(event, ConsultationEvent)
    assert (event.consultation_id, event.kind, event.actor_id, event.detail) == (
        draft.pk,
        "message",
        worker.pk,
        {"shown": "on the page"},
    )
    assert _audits(draft).count() == audits + 1
    row = _audits(draft).first()  # newest first
    assert (row.action, row.purpose, row.detail, row.actor_id) == (
        AuditAction.UPDATE,
        "message",
        {"kept": "in the trail"},
        worker.pk,
    )


def test_record_step_writes_nothing_when_the_audit_write_fails(worker, draft, monkeypatch):
    events, audits = len(_events(draft)), _audits(draft).count()

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("caunoi.audit.services.audit_record", broken)
    draft.question = "Không được lưu"
    with pytest.raises(RuntimeError):
        record_step(
            obj=draft,
            fields=["question"],
            kind=ConsultationEventKind.MESSAGE,
            actor=worker,
            purpose="message",
        )
    assert Consultation.objects.get(pk=draft.pk).question != "Không được lưu"
    assert len(_events(draft)) == events
    assert _audits(draft).count() == audits


def test_record_step_writes_nothing_when_the_event_cannot_be_written(worker, draft, monkeypatch):
    audits = _audits(draft).count()

    def broken(*args, **kwargs):
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr("caunoi.audit.services.record_event", broken)
    draft.question = "Không được lưu"
    with pytest.raises(RuntimeError):
        record_step(
            obj=draft,
            fields=["question"],
            kind=ConsultationEventKind.MESSAGE,
            actor=worker,
            purpose="message",
        )
    assert Consultation.objects.get(pk=draft.pk).question != "Không được lưu"
    assert _audits(draft).count() == audits


def test_record_event_finds_the_object_s_timeline_and_records_no_one_for_a_check(draft):
    event = record_event(draft, ConsultationEventKind.ESCALATED, actor=None)
    assert isinstance(event, ConsultationEvent)
    assert (event.consultation_id, event.actor_id, event.detail) == (draft.pk, None, {})
    with pytest.raises(TypeError):
        record_event(draft.patient, "created", actor=None)  # a patient has no timeline


def test_every_referral_status_is_a_step_of_its_timeline():
    assert set(ReferralStatus.values) <= set(ReferralEventKind.values)


def test_a_step_reads_in_the_reader_s_language_and_an_unknown_code_stays():
    sent = ReferralEvent(kind=ReferralEventKind.SENT)
    overdue = ReferralEvent(kind=ReferralEventKind.OVERDUE_ARRIVAL)
    with translation.override("en"):
        assert (sent.kind_label, overdue.kind_label) == ("sent", "overdue: patient not arrived")
        assert ConsultationEvent(kind="claimed").kind_label == "taken by a specialist"
        assert ReferralEvent(kind="something_new").kind_label == "something_new"
    with translation.override("vi"):
        assert sent.kind_label not in ("", "sent")
        assert ConsultationEvent(kind="claimed").kind_label != "taken by a specialist"
