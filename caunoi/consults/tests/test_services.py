"""The consultation services: routing, deadlines, drafts, the hub's work, the discussion, advice,
closing and cancelling; each state change with its timeline event and audit row, and
notifications that never name the patient."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.audit.models import AuditEvent
from caunoi.codes.models import IcdCode
from caunoi.consults.models import (
    Attachment,
    Consultation,
    ConsultationEvent,
    HubSettings,
    Message,
    Status,
)
from caunoi.consults.routing import route
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    attachments_add,
    consultation_assign,
    consultation_cancel,
    consultation_claim,
    consultation_close,
    consultation_escalate,
    consultation_reroute,
    consultation_submit,
    message_post,
    second_opinion_invite,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.network.models import Facility, Membership, Specialty, SupportLink
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

HUE = "Bệnh viện Trung ương Huế"
BACH_MAI = "Bệnh viện Bạch Mai"
NHI = "Bệnh viện Nhi Trung ương"
PATIENT = "Giàng Thị Dợ"


def _hub(name):
    return Facility.objects.get(name=name)


def _member(*, facility, role, specialty=None, exclude=()):
    qs = Membership.objects.filter(facility__name=facility, role=role, is_active=True)
    if specialty:
        qs = qs.filter(specialties__code=specialty)
    return qs.exclude(user__username__in=exclude).select_related("user").order_by("id")[0].user


def _station(worker):
    return worker.memberships.get(role="worker").facility


def _input(patient, *, specialty=None, urgency="urgent", uploads=(), **overrides):
    return ConsultationInput(
        patient=patient,
        specialty=specialty or internal_medicine(),
        urgency=urgency,
        summary=summary(**overrides),
        uploads=list(uploads),
    )


def _submit(worker, *, client_id=None, submit=True, name=PATIENT, **kwargs):
    patient = make_patient(worker, name=name)
    return consultation_submit(
        actor=worker,
        client_id=client_id or uuid.uuid4(),
        submit=submit,
        data=_input(patient, **kwargs),
    )[0]


def _fresh(c):
    return Consultation.objects.get(pk=c.pk)


def _kinds(c):
    return list(ConsultationEvent.objects.filter(consultation=c).values_list("kind", flat=True))


def _audits(c):
    return AuditEvent.objects.filter(
        object_type="consults.consultation", object_id=str(c.public_id)
    ).exclude(action="view")


@pytest.fixture
def consult(worker):
    return _submit(worker)


@pytest.fixture
def hue_internist(db):
    return _member(
        facility=HUE, role="specialist", specialty="internal-medicine", exclude=["specialist"]
    )


# --- routing -------------------------------------------------------------------------------------


def _route_name(facility, specialty):
    hub = route(facility, specialty)
    return hub.name if hub is not None else None


def test_tuyen_quang_internal_medicine_goes_to_hue(worker):
    assert _route_name(_station(worker), internal_medicine()) == HUE
    c = _submit(worker)
    assert (c.status, c.hub.name) == (Status.SUBMITTED, HUE)


def test_a_northern_stations_paediatrics_goes_to_the_national_childrens_hospital(worker):
    paediatrics = Specialty.objects.get(code="paediatrics")
    assert _route_name(_station(worker), paediatrics) == NHI
    c = _submit(worker, specialty=paediatrics)
    assert c.hub.name == NHI


def test_the_lower_priority_number_wins(worker):
    station = _station(worker)
    SupportLink.objects.filter(spoke=station, hub__name=BACH_MAI).update(priority=0)
    assert _route_name(station, internal_medicine()) == BACH_MAI


def test_an_ended_link_hands_over_to_the_second_hub(worker):
    station = _station(worker)
    yesterday = timezone.localdate() - timedelta(days=1)
    SupportLink.objects.filter(spoke=station, hub__name=HUE).update(valid_to=yesterday)
    assert _submit(worker).hub.name == BACH_MAI


def test_a_specialty_without_a_hub_is_refused_with_a_message_and_nothing_saved(worker):
    psychiatry = Specialty.objects.get(code="psychiatry")
    assert route(_station(worker), psychiatry) is None
    before = Consultation.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        _submit(worker, specialty=psychiatry)
    assert "specialty" in exc_info.value.message_dict
    assert exc_info.value.message_dict["specialty"][0]
    assert Consultation.objects.count() == before


def test_a_draft_in_a_specialty_without_a_hub_may_still_be_saved(worker):
    psychiatry = Specialty.objects.get(code="psychiatry")
    c = _submit(worker, specialty=psychiatry, submit=False)
    assert (c.status, c.hub) == (Status.DRAFT, None)


# --- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "minutes"), [("emergency", 30), ("urgent", 4 * 60), ("routine", 48 * 60)]
)
def test_the_deadline_follows_the_urgency(worker, urgency, minutes):
    c = _submit(worker, urgency=urgency)
    assert c.deadline_at - c.submitted_at == timedelta(minutes=minutes)


def test_a_hub_may_set_its_own_deadlines(worker):
    HubSettings.objects.create(
        hub=_hub(HUE), emergency_minutes=15, urgent_minutes=90, routine_minutes=600
    )
    for urgency, minutes, name in [
        ("emergency", 15, "Giàng Thị Dợ"),
        ("urgent", 90, "Lò Văn Pó"),
        ("routine", 600, "Vàng Thị Dính"),
    ]:
        c = _submit(worker, urgency=urgency, name=name)
        assert c.deadline_at - c.submitted_at == timedelta(minutes=minutes), urgency


def test_another_hubs_settings_do_not_change_the_deadline(worker):
    HubSettings.objects.create(hub=_hub(BACH_MAI), urgent_minutes=60)
    c = _submit(worker)
    assert c.deadline_at - c.submitted_at == timedelta(hours=4)


# --- drafts and submission -----------------------------------------------------------------------


def test_a_draft_saved_twice_is_one_draft_then_submitted_then_left_alone(worker):
    patient = make_patient(worker)
    client_id = uuid.uuid4()

    def send(submit, **overrides):
        return consultation_submit(
            actor=worker, client_id=client_id, submit=submit, data=_input(patient, **overrides)
        )[0]

    first = send(False, question="Bản nháp 1")
    second = send(False, question="Bản nháp 2", spo2="95")
    assert first.pk == second.pk
    assert Consultation.objects.filter(requester=worker, client_id=client_id).count() == 1
    draft = _fresh(first)
    assert (draft.status, draft.question, draft.spo2) == (Status.DRAFT, "Bản nháp 2", 95)
    assert (draft.hub, draft.deadline_at) == (None, None)
    assert _kinds(draft) == ["created"]

    submitted = send(True, question="Có cần chuyển viện không?")
    assert submitted.pk == first.pk
    submitted = _fresh(submitted)
    assert (submitted.status, submitted.hub.name) == (Status.SUBMITTED, HUE)
    assert submitted.question == "Có cần chuyển viện không?"
    assert _kinds(submitted) == ["created", "submitted", "routed"]

    again = send(True, question="Câu hỏi khác", urgency="emergency")
    assert again.pk == first.pk
    after = _fresh(again)
    assert (after.question, after.urgency, after.deadline_at) == (
        submitted.question,
        submitted.urgency,
        submitted.deadline_at,
    )
    assert _kinds(after) == ["created", "submitted", "routed"]


def test_submitting_without_a_question_is_refused(worker):
    with pytest.raises(ValidationError) as exc_info:
        _submit(worker, question="   ")
    assert "question" in exc_info.value.message_dict


def test_a_patient_of_another_station_cannot_be_sent(worker):
    station = _station(worker)
    other = (
        Membership.objects.filter(role="worker", facility__province=station.province)
        .exclude(facility=station)
        .order_by("id")[0]
        .user
    )
    patient = make_patient(other, name="Vàng A Dính")
    with pytest.raises(ValidationError) as exc_info:
        consultation_submit(actor=worker, client_id=uuid.uuid4(), submit=True, data=_input(patient))
    assert "patient" in exc_info.value.message_dict
    assert not Consultation.objects.filter(patient=patient).exists()


# --- the hub: reroute, assign, claim -------------------------------------------------------------


def test_the_coordinator_reroutes_to_another_hub_counting_from_the_first_submission(
    worker, specialist, coordinator, consult
):
    consultation_claim(consultation=consult, actor=specialist)
    bach_mai = _hub(BACH_MAI)
    HubSettings.objects.create(hub=bach_mai, urgent_minutes=120)
    bach_mai_coordinator = _member(facility=BACH_MAI, role="coordinator")
    bach_mai_internist = _member(
        facility=BACH_MAI, role="specialist", specialty="internal-medicine"
    )
    last = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    c = consultation_reroute(
        consultation=_fresh(consult),
        actor=coordinator,
        hub=bach_mai,
        specialty=internal_medicine(),
    )
    c = _fresh(c)
    assert c.hub == bach_mai
    assert (c.specialist, c.assigned_at) == (None, None)
    assert c.status == Status.SUBMITTED
    assert c.submitted_at == consult.submitted_at
    assert c.deadline_at == consult.submitted_at + timedelta(minutes=120)
    event = ConsultationEvent.objects.filter(consultation=c).latest("id")
    assert (event.kind, event.actor, event.detail["hub"]) == ("rerouted", coordinator, BACH_MAI)
    assert event.detail["before"][0] == HUE
    told = set(
        Notification.objects.filter(
            id__gt=last, kind="consult.new", url=c.get_absolute_url()
        ).values_list("user", flat=True)
    )
    assert {bach_mai_coordinator.pk, bach_mai_internist.pk} <= told
    hue_staff = set(Membership.objects.filter(facility__name=HUE).values_list("user", flat=True))
    assert not told & hue_staff


def test_rerouting_to_the_same_hub_and_specialty_or_to_no_hub_is_refused(
    worker, coordinator, consult
):
    with pytest.raises(ValidationError):
        consultation_reroute(
            consultation=consult, actor=coordinator, hub=_hub(HUE), specialty=internal_medicine()
        )
    with pytest.raises(ValidationError):
        consultation_reroute(
            consultation=consult,
            actor=coordinator,
            hub=_station(worker),
            specialty=internal_medicine(),
        )
    assert _kinds(consult) == ["created", "submitted", "routed"]
    assert _fresh(consult).hub.name == HUE


def test_assignment_notifies_the_specialist(coordinator, consult, hue_internist):
    c = consultation_assign(consultation=consult, actor=coordinator, specialist=hue_internist)
    c = _fresh(c)
    assert (c.status, c.specialist) == (Status.ASSIGNED, hue_internist)
    assert c.assigned_at is not None
    note = Notification.objects.get(kind="consult.assigned", user=hue_internist)
    assert note.url == c.get_absolute_url()
    assert _kinds(c)[-1] == "assigned"


def test_assigning_a_specialist_of_another_hub_is_refused(coordinator, consult):
    outsider = _member(facility=BACH_MAI, role="specialist", specialty="internal-medicine")
    with pytest.raises(ValidationError):
        consultation_assign(consultation=consult, actor=coordinator, specialist=outsider)
    c = _fresh(consult)
    assert (c.status, c.specialist) == (Status.SUBMITTED, None)
    assert not Notification.objects.filter(kind="consult.assigned", user=outsider).exists()


def test_a_specialist_of_another_specialty_cannot_claim(consult):
    cardiologist = _member(facility=HUE, role="specialist", specialty="cardiology")
    with pytest.raises(PermissionDenied):
        consultation_claim(consultation=consult, actor=cardiologist)
    c = _fresh(consult)
    assert (c.status, c.specialist) == (Status.SUBMITTED, None)
    assert _kinds(c) == ["created", "submitted", "routed"]


def test_a_claim_after_another_specialist_took_it_is_refused(specialist, consult, hue_internist):
    stale = _fresh(consult)
    consultation_claim(consultation=consult, actor=specialist)
    with pytest.raises(PermissionDenied):
        consultation_claim(consultation=stale, actor=hue_internist)
    assert _fresh(consult).specialist == specialist


# --- discussion ----------------------------------------------------------------------------------


def test_a_reply_with_photos_is_threaded_under_its_parent(worker, specialist, consult):
    question, _created = message_post(
        consultation=consult, actor=specialist, body="Cho xem ảnh phổi?"
    )
    reply, _created = message_post(
        consultation=_fresh(consult),
        actor=worker,
        body="Ảnh đây ạ.",
        parent=question,
        uploads=[
            Upload("phoi1.jpg", jpeg_bytes(color="red")),
            Upload("phoi2.jpg", jpeg_bytes(color="blue")),
        ],
    )
    assert reply.parent == question
    assert list(question.replies.all()) == [reply]
    files = Attachment.objects.filter(consultation=consult)
    assert files.count() == 2
    assert {a.message_id for a in files} == {reply.pk}
    assert sorted(a.original_name for a in files) == ["phoi1.jpg", "phoi2.jpg"]
    assert _kinds(consult).count("attachment") == 2


def test_an_empty_message_is_refused(worker, consult):
    with pytest.raises(ValidationError) as exc_info:
        message_post(consultation=consult, actor=worker, body="   \n ")
    assert "body" in exc_info.value.message_dict
    assert not Message.objects.filter(consultation=consult).exists()


def test_a_photo_alone_is_a_message(worker, consult):
    m, _created = message_post(
        consultation=consult, actor=worker, body="", uploads=[Upload("a.jpg", jpeg_bytes())]
    )
    assert m.body == ""
    assert m.attachments.count() == 1


def test_a_parent_from_another_consult_is_refused(worker, specialist, consult):
    other = _submit(worker, name="Thào A Chứ")
    elsewhere, _created = message_post(consultation=other, actor=specialist, body="Ở ca khác")
    with pytest.raises(ValidationError) as exc_info:
        message_post(consultation=consult, actor=worker, body="Trả lời", parent=elsewhere)
    assert "parent" in exc_info.value.message_dict
    assert not Message.objects.filter(consultation=consult).exists()


def test_the_same_message_sent_twice_is_one(worker, consult):
    client_id = uuid.uuid4()
    first, _created = message_post(
        consultation=consult, actor=worker, body="Xin chào", client_id=client_id
    )
    again, _created = message_post(
        consultation=consult, actor=worker, body="Xin chào", client_id=client_id
    )
    assert first.pk == again.pk
    assert Message.objects.filter(consultation=consult).count() == 1


def test_a_requester_message_does_not_stop_the_clock_but_the_hubs_first_word_does(
    worker, specialist, consult
):
    message_post(consultation=consult, actor=worker, body="Bệnh nhân sốt thêm")
    assert _fresh(consult).first_response_at is None
    before = timezone.now()
    message_post(consultation=_fresh(consult), actor=specialist, body="Cho đo SpO2 lại")
    stopped = _fresh(consult).first_response_at
    assert stopped is not None
    assert stopped >= before
    message_post(consultation=_fresh(consult), actor=specialist, body="Và nhịp thở")
    assert _fresh(consult).first_response_at == stopped


def test_a_file_from_the_hub_also_stops_the_clock(specialist, consult):
    attachments_add(consultation=consult, actor=specialist, uploads=[Upload("x.jpg", jpeg_bytes())])
    assert _fresh(consult).first_response_at is not None


# --- advice, close, cancel -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("advice", "outcome", "field"),
    [
        ("   ", "refer", "advice"),
        ("Chuyển tuyến.", "", "outcome"),
        ("Chuyển tuyến.", "pray", "outcome"),
    ],
)
def test_advice_needs_text_and_an_outcome(specialist, consult, advice, outcome, field):
    with pytest.raises(ValidationError) as exc_info:
        advice_record(
            consultation=consult, actor=specialist, advice=advice, outcome=outcome, diagnoses=[]
        )
    assert list(exc_info.value.message_dict) == [field]
    c = _fresh(consult)
    assert (c.status, c.advice, c.first_response_at) == (Status.SUBMITTED, "", None)


def test_advice_takes_at_most_twelve_diagnosis_codes(specialist, consult):
    codes = list(IcdCode.objects.filter(code__regex=r"^[A-Z][0-9]{2}$").order_by("code")[:13])
    assert len(codes) == 13
    with pytest.raises(ValidationError) as exc_info:
        advice_record(
            consultation=consult, actor=specialist, advice="x", outcome="refer", diagnoses=codes
        )
    assert "diagnoses" in exc_info.value.message_dict
    assert _fresh(consult).status == Status.SUBMITTED
    c = advice_record(
        consultation=consult, actor=specialist, advice="x", outcome="refer", diagnoses=codes[:12]
    )
    assert _fresh(c).diagnoses.count() == 12


def test_advice_from_an_unassigned_hub_specialist_makes_them_the_specialist(hue_internist, consult):
    c = advice_record(
        consultation=consult,
        actor=hue_internist,
        advice="Kháng sinh.",
        outcome="manage_locally",
        diagnoses=[],
    )
    c = _fresh(c)
    assert (c.status, c.specialist) == (Status.ANSWERED, hue_internist)
    assert c.answered_at is not None
    assert c.first_response_at == c.answered_at


def _answered(consult, specialist):
    advice_record(consultation=consult, actor=specialist, advice="x", outcome="refer", diagnoses=[])
    return _fresh(consult)


def test_closing_needs_what_was_done(worker, specialist, consult):
    c = _answered(consult, specialist)
    with pytest.raises(ValidationError) as exc_info:
        consultation_close(consultation=c, actor=worker, action_taken="  ")
    assert "action_taken" in exc_info.value.message_dict
    assert _fresh(c).status == Status.ANSWERED
    consultation_close(consultation=c, actor=worker, action_taken="Đã chuyển viện.")
    closed = _fresh(c)
    assert (closed.status, closed.action_taken) == (Status.CLOSED, "Đã chuyển viện.")
    assert closed.closed_at is not None


def test_a_draft_and_a_waiting_consult_can_be_cancelled(worker, consult):
    draft = _submit(worker, submit=False, name="Lầu Thị Pằng")
    for c in (draft, consult):
        consultation_cancel(consultation=c, actor=worker)
        after = _fresh(c)
        assert after.status == Status.CANCELLED
        assert after.closed_at is not None
        assert _kinds(after)[-1] == "cancelled"


def test_an_answered_consult_cannot_be_cancelled(worker, specialist, consult):
    c = _answered(consult, specialist)
    with pytest.raises(PermissionDenied):
        consultation_cancel(consultation=c, actor=worker)
    assert _fresh(c).status == Status.ANSWERED


def test_advice_on_a_consult_cancelled_meanwhile_is_refused(worker, specialist, consult):
    page_load = _fresh(consult)  # what the specialist's request loaded
    consultation_cancel(consultation=_fresh(consult), actor=worker)
    with pytest.raises((PermissionDenied, ValidationError)):
        advice_record(
            consultation=page_load, actor=specialist, advice="x", outcome="refer", diagnoses=[]
        )
    assert _fresh(consult).status == Status.CANCELLED


def test_reroute_of_a_consult_cancelled_meanwhile_is_refused(worker, coordinator, consult):
    page_load = _fresh(consult)
    consultation_cancel(consultation=_fresh(consult), actor=worker)
    with pytest.raises((PermissionDenied, ValidationError)):
        consultation_reroute(
            consultation=page_load,
            actor=coordinator,
            hub=_hub(BACH_MAI),
            specialty=internal_medicine(),
        )
    assert _fresh(consult).status == Status.CANCELLED


# --- every change: timeline event and audit row together -----------------------------------------


def _steps(worker, specialist, coordinator, hue_internist, consult):
    bach_mai_internist = _member(
        facility=BACH_MAI, role="specialist", specialty="internal-medicine"
    )
    return [
        ("claim", lambda c: consultation_claim(consultation=c, actor=specialist), ["claimed"]),
        (
            "assign",
            lambda c: consultation_assign(
                consultation=c, actor=coordinator, specialist=hue_internist
            ),
            ["assigned"],
        ),
        (
            "invite",
            lambda c: second_opinion_invite(
                consultation=c, actor=specialist, invitee=bach_mai_internist
            ),
            ["invited"],
        ),
        (
            "message",
            lambda c: message_post(consultation=c, actor=worker, body="Sốt 39"),
            ["message"],
        ),
        (
            "attach",
            lambda c: attachments_add(
                consultation=c, actor=worker, uploads=[Upload("b.jpg", jpeg_bytes())]
            ),
            ["attachment"],
        ),
        (
            "advice",
            lambda c: advice_record(
                consultation=c,
                actor=hue_internist,
                advice="Theo dõi.",
                outcome="follow_up",
                diagnoses=[],
            ),
            ["advice"],
        ),
        (
            "close",
            lambda c: consultation_close(consultation=c, actor=worker, action_taken="Đã theo dõi."),
            ["closed"],
        ),
    ]


def test_every_state_change_writes_one_timeline_event_and_one_audit_row(
    worker, specialist, coordinator, hue_internist
):
    client_id = uuid.uuid4()
    patient = make_patient(worker)
    events, audits = ConsultationEvent.objects.count(), AuditEvent.objects.count()
    c, _created = consultation_submit(
        actor=worker, client_id=client_id, submit=False, data=_input(patient)
    )
    assert _kinds(c) == ["created"]
    assert _audits(c).count() == 1
    consultation_submit(actor=worker, client_id=client_id, submit=True, data=_input(patient))
    assert _kinds(c) == ["created", "submitted", "routed"]
    assert _audits(c).count() == 2
    for name, step, kinds in _steps(worker, specialist, coordinator, hue_internist, c):
        before_kinds, before_audits = _kinds(c), _audits(c).count()
        step(_fresh(c))
        assert _kinds(c) == before_kinds + kinds, name
        assert _audits(c).count() == before_audits + 1, name
    assert _fresh(c).status == Status.CLOSED
    assert ConsultationEvent.objects.count() - events == len(_kinds(c))
    assert AuditEvent.objects.count() - audits >= _audits(c).count()


@pytest.mark.parametrize("step_name", ["claim", "assign", "invite", "message", "attach", "advice"])
def test_a_failing_audit_write_rolls_the_change_back(
    step_name, worker, specialist, coordinator, hue_internist, consult, monkeypatch
):
    steps = {n: s for n, s, _ in _steps(worker, specialist, coordinator, hue_internist, consult)}
    before = _fresh(consult)
    kinds = _kinds(consult)

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("caunoi.consults.services.audit_record", broken)
    monkeypatch.setattr("caunoi.audit.services.audit_record", broken)  # record_step
    with pytest.raises(RuntimeError):
        steps[step_name](_fresh(consult))
    after = _fresh(consult)
    assert (after.status, after.specialist_id, after.first_response_at, after.advice) == (
        before.status,
        before.specialist_id,
        before.first_response_at,
        before.advice,
    )
    assert _kinds(consult) == kinds
    assert not Message.objects.filter(consultation=consult).exists()
    assert not Attachment.objects.filter(consultation=consult).exists()
    assert not consult.participants.exists()


def test_a_failing_audit_write_rolls_a_submission_back(worker, monkeypatch):
    patient = make_patient(worker)

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("caunoi.consults.services.audit_record", broken)
    monkeypatch.setattr("caunoi.audit.services.audit_record", broken)  # record_step
    notes = Notification.objects.count()
    with pytest.raises(RuntimeError):
        consultation_submit(actor=worker, client_id=uuid.uuid4(), submit=True, data=_input(patient))
    assert not Consultation.objects.filter(patient=patient).exists()
    assert Notification.objects.count() == notes


# --- notifications never name the patient --------------------------------------------------------


def test_no_notification_of_a_whole_exchange_names_the_patient(
    worker, specialist, coordinator, hue_internist, django_capture_on_commit_callbacks
):
    patient = make_patient(
        worker,
        name=PATIENT,
        citizen_id="008185002222",
        phone="0912 345 678",
        age_years=None,
        birth_date=date(1985, 6, 1),
    )
    first = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=True):
        c, _created = consultation_submit(
            actor=worker, client_id=uuid.uuid4(), submit=True, data=_input(patient)
        )
    for _name, step, _expected in _steps(worker, specialist, coordinator, hue_internist, c):
        with django_capture_on_commit_callbacks(execute=True):
            step(_fresh(c))
    c2 = _submit(worker, name="Hạng A Páo", urgency="emergency")
    with django_capture_on_commit_callbacks(execute=True):
        consultation_reroute(
            consultation=c2, actor=coordinator, hub=_hub(BACH_MAI), specialty=internal_medicine()
        )
    Consultation.objects.filter(pk=c2.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert consultation_escalate(consultation_id=c2.pk)
    notes = list(Notification.objects.filter(id__gt=first))
    kinds = {n.kind for n in notes}
    assert {"consult.new", "consult.assigned", "consult.invited", "consult.message"} <= kinds
    assert {"consult.answered", "consult.closed", "consult.overdue"} <= kinds
    forbidden = ["Giàng", "Dợ", "giang", "Páo", "008185002222", "912345678", "912 345 678"]
    for n in notes:
        text = f"{n.title} {n.body}"
        assert text.strip()
        for word in forbidden:
            assert word not in text, (n.kind, text)
