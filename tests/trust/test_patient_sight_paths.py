"""Every path by which a person gains sight of a patient, and the guard on each.

A patient is seen by (1) the staff of the facility that registered them, (2) the staff of the
hub a consultation about them is routed to, (3) a colleague the hub brings in for a second
opinion, (4) a guest of a video session about the consultation while the session runs, and
(5) the staff of a facility the patient is referred to. ``test_sight_is_exactly_the_listed_
paths`` proves there is no other; each of the other tests shows who opens a path and that the
people who may not open it are refused, through the page and the API, and leave no access.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.accounts.tests.factories import ClinicianFactory
from caunoi.consults.models import Participant
from caunoi.consults.services import (
    ConsultationInput,
    consultation_reroute,
    consultation_submit,
    second_opinion_invite,
)
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.network.models import Facility, Membership
from caunoi.network.tests.factories import FacilityFactory
from caunoi.patients.access import visible_patients
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Commune
from caunoi.referrals.models import Referral
from caunoi.referrals.tests.factories import make_referral
from caunoi.video.models import VideoParticipant
from caunoi.video.services import (
    video_participant_remove,
    video_session_end,
    video_session_schedule,
)

pytestmark = pytest.mark.django_db

BACH_MAI = "Bệnh viện Bạch Mai"


def _member(facility: str, role: str) -> User:
    return (
        Membership.objects.filter(facility__name=facility, role=role, is_active=True)
        .order_by("id")[0]
        .user
    )


@pytest.fixture
def consult(worker):
    patient = make_patient(worker, name="Hầu Thị Xinh")
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )[0]


@pytest.fixture
def guest():
    """A specialist of another hub, outside the case."""
    return _member(BACH_MAI, "specialist")


def _call(host, guest, consult, **extra):
    """The hub's specialist calls about ``consult`` with ``guest`` invited."""
    return video_session_schedule(
        actor=host,
        title=extra.pop("title", "Hội chẩn"),
        scheduled_at=extra.pop("scheduled_at", timezone.now()),
        participants=[guest],
        consultation=consult,
        **extra,
    )


def sees(user, patient) -> bool:
    return visible_patients(user).filter(pk=patient.pk).exists()


def api_sees(api_client, user, consult) -> bool:
    client = api_client(user)
    consult_seen = client.get(f"/api/consults/{consult.public_id}").status_code == 200
    patient = client.get(f"/api/patients/{consult.patient.public_id}")
    assert (patient.status_code == 200) == consult_seen
    return consult_seen


# --- the paths are exactly these -------------------------------------------------------------


def _viewers_by_the_paths(patient) -> set[int]:
    """Who should see ``patient``, computed from the five paths alone."""
    consults = patient.consultations.all()
    active_staff = Membership.objects.active().filter(facility__status="active")
    clinical = active_staff.filter(role__in=["worker", "specialist", "coordinator", "clinician"])
    ids = set(clinical.filter(facility_id=patient.facility_id).values_list("user_id", flat=True))
    hubs = consults.exclude(status="draft").values("hub_id")
    ids |= set(
        active_staff.filter(facility_id__in=hubs, role__in=["specialist", "coordinator"])
        .filter(facility__is_hub=True)
        .values_list("user_id", flat=True)
    )
    grants = Participant.objects.active().filter(consultation__in=consults.exclude(status="draft"))
    ids |= set(grants.values_list("user_id", flat=True)) & set(
        clinical.values_list("user_id", flat=True)
    )
    referred_to = Referral.objects.filter(patient=patient).values("to_facility_id")
    ids |= set(clinical.filter(facility_id__in=referred_to).values_list("user_id", flat=True))
    return ids


def test_sight_is_exactly_the_listed_paths(worker, specialist, receiver, consult, guest):
    patient = consult.patient
    second = _member(BACH_MAI, "coordinator")
    second_opinion_invite(consultation=consult, actor=specialist, invitee=second)
    video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now() + timedelta(minutes=30),
        participants=[guest],
        consultation=consult,
    )
    make_referral(worker, patient)
    expected = _viewers_by_the_paths(patient)
    # Everyone who holds a role near this patient, and a sample of the rest of the network.
    near = Q(memberships__facility_id__in=[patient.facility_id, consult.hub_id]) | Q(
        memberships__facility__name__in=[BACH_MAI, receiver.memberships.first().facility.name]
    )
    people = set(User.objects.filter(near).distinct()) | set(User.objects.order_by("-id")[:60])
    assert {worker.pk, specialist.pk, receiver.pk, guest.pk, second.pk} <= expected
    seen = {u.pk for u in people if sees(u, patient)}
    assert seen == expected & {u.pk for u in people}


# --- (2) routing: the requester does not choose who answers ----------------------------------


def test_the_requester_cannot_route_a_consult_to_a_hub_of_their_choosing(worker, api_client):
    patient = make_patient(worker, name="Lò Văn Pọm")
    other_hub = Facility.objects.get(name=BACH_MAI)
    response = api_client(worker).post(
        "/api/consults",
        {
            "patient": str(patient.public_id),
            "specialty": "internal-medicine",
            **summary(),
            "submit": True,
            "hub": str(other_hub.public_id),
        },
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "hub"
    assert not patient.consultations.exists()


def test_only_the_hubs_coordinator_reroutes_a_consult(consult, worker, specialist):
    other_hub = Facility.objects.get(name=BACH_MAI)
    for actor in (worker, specialist):
        with pytest.raises(PermissionDenied):
            consultation_reroute(
                consultation=consult, actor=actor, hub=other_hub, specialty=consult.specialty
            )
    assert not sees(_member(BACH_MAI, "specialist"), consult.patient)


# --- (3) second opinion: the hub brings in clinical colleagues, the requester no one ---------


def test_the_requesting_side_cannot_bring_anyone_in_for_a_second_opinion(
    consult, worker, guest, login
):
    response = login(worker).post(
        f"/consults/{consult.public_id}/invite/", {"invitee": guest.pk}, follow=True
    )
    assert response.status_code == 200
    assert not Participant.objects.filter(consultation=consult).exists()
    assert not sees(guest, consult.patient)


def test_the_hub_brings_in_clinical_colleagues_only(consult, specialist, guest, officer):
    with pytest.raises(ValidationError):
        second_opinion_invite(consultation=consult, actor=specialist, invitee=officer)
    assert not sees(officer, consult.patient)
    second_opinion_invite(consultation=consult, actor=specialist, invitee=guest)
    assert sees(guest, consult.patient)


# --- (4) video: one rule for the page, the API and the room ----------------------------------


def test_a_requester_side_worker_cannot_bring_an_outsider_in_through_the_video_api(
    consult, worker, guest, api_client
):
    response = api_client(worker).post(
        "/api/video-sessions",
        {"consult": str(consult.public_id), "title": "Gọi", "participants": [str(guest.public_id)]},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "participants"
    assert guest.full_name in body["errors"][0]["message"]
    assert not VideoParticipant.objects.filter(user=guest).exists()
    assert not Participant.objects.filter(consultation=consult).exists()
    assert not api_sees(api_client, guest, consult)


def test_the_video_page_offers_and_accepts_only_whom_the_rule_allows(
    consult, worker, specialist, guest, login
):
    page = login(worker).get(f"/video/new/?consult={consult.public_id}")
    assert page.status_code == 200
    offered = {u.pk for u in page.context["form"].fields["participants"].queryset}
    assert guest.pk not in offered
    assert specialist.pk in offered
    forged = login(worker).post(
        f"/video/new/?consult={consult.public_id}",
        {
            "title": "Gọi",
            "scheduled_at": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
            "duration_minutes": 30,
            "participants": [guest.pk],
            "now": "1",
        },
    )
    assert forged.status_code == 200  # the form again, with the refusal
    assert not VideoParticipant.objects.filter(user=guest).exists()
    assert not sees(guest, consult.patient)
    hub_page = login(specialist).get(f"/video/new/?consult={consult.public_id}")
    assert guest.pk not in {u.pk for u in hub_page.context["form"].fields["participants"].queryset}


def test_a_video_guest_sees_the_case_only_until_removed(consult, specialist, guest, api_client):
    session = _call(specialist, guest, consult)
    assert api_sees(api_client, guest, consult)
    video_participant_remove(session=session, actor=specialist, user=guest)
    assert not api_sees(api_client, guest, consult)
    message = api_client(guest).post(
        f"/api/consults/{consult.public_id}/messages",
        {"body": "Tôi vẫn ở đây"},
        content_type="application/json",
    )
    assert message.status_code == 404
    assert not consult.messages.exists()


def test_a_video_guest_loses_sight_of_the_case_when_the_session_ends(consult, specialist, guest):
    session = _call(specialist, guest, consult)
    assert sees(guest, consult.patient)
    video_session_end(session=session, actor=specialist, conclusion="")
    assert not sees(guest, consult.patient)


def test_a_video_guests_sight_lapses_after_the_planned_end_if_nobody_ends_it(
    consult, specialist, guest
):
    _call(specialist, guest, consult, duration_minutes=30)
    grant = Participant.objects.get(consultation=consult, user=guest)
    assert grant.ends_at is not None
    assert grant.ends_at <= timezone.now() + timedelta(minutes=30, hours=2, seconds=5)
    Participant.objects.filter(pk=grant.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    assert not sees(guest, consult.patient)


def test_a_second_opinion_outlasts_a_video_session_it_was_given_in(consult, specialist, guest):
    session = _call(specialist, guest, consult)
    second_opinion_invite(consultation=consult, actor=specialist, invitee=guest)
    video_participant_remove(session=session, actor=specialist, user=guest)
    assert sees(guest, consult.patient)


def test_a_guest_of_two_sessions_keeps_sight_through_the_one_still_open(consult, specialist, guest):
    first = _call(specialist, guest, consult, title="Sáng")
    second = _call(
        specialist, guest, consult, title="Chiều", scheduled_at=timezone.now() + timedelta(hours=2)
    )
    video_session_end(session=first, actor=specialist, conclusion="")
    assert sees(guest, consult.patient)
    grant = Participant.objects.get(consultation=consult, user=guest)
    assert grant.video_session == second.public_id
    video_participant_remove(session=second, actor=specialist, user=guest)
    assert not sees(guest, consult.patient)


# --- (5) referral: only one's own patient, only to a health facility -------------------------


def test_a_worker_cannot_refer_another_facilitys_patient_to_widen_sight(
    worker, consult, api_client
):
    other = (
        Membership.objects.filter(
            role="worker", facility__province=consult.requester_facility.province
        )
        .exclude(facility=consult.requester_facility)
        .order_by("id")[0]
        .user
    )
    # The provincial hospital of another province (Lạng Sơn), with a clinician.
    their_hospital = FacilityFactory(
        name="Bệnh viện Đa khoa tỉnh Lạng Sơn",
        kind="provincial_hospital",
        level="specialised",
        commune=Commune.objects.filter(province__code=20).order_by("code")[0],
    )
    ClinicianFactory(facility=their_hospital)
    response = api_client(other).post(
        "/api/referrals",
        {
            "patient": str(consult.patient.public_id),
            "to_facility": str(their_hospital.public_id),
            "reason": "Chuyển",
        },
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    assert not Referral.objects.filter(patient=consult.patient).exists()
    staff = _member(their_hospital.name, "clinician")
    assert not sees(staff, consult.patient)


def test_the_session_list_names_the_patient_only_while_the_guest_sees_the_case(
    consult, specialist, guest, login
):
    session = _call(specialist, guest, consult)
    name = consult.patient.full_name
    assert name in login(guest).get("/video/").content.decode()
    video_session_end(session=session, actor=specialist, conclusion="")
    page = login(guest).get("/video/").content.decode()
    assert session.title in page
    assert name not in page
    assert login(guest).get(session.get_absolute_url()).status_code == 200
    assert name not in login(guest).get(session.get_absolute_url()).content.decode()


def test_the_upgrade_ends_grants_that_old_video_invitations_made_and_keeps_second_opinions(
    consult, specialist, guest
):
    """Rows as the code before issue 10 left them: a video invitation's grant beside its
    "video" event, a second opinion beside its "invited" event."""
    import importlib

    from django.apps import apps

    from caunoi.consults.models import ConsultationEvent

    migration = importlib.import_module(
        "caunoi.consults.migrations.0006_end_grants_made_by_video_invitations"
    )
    second = _member(BACH_MAI, "coordinator")
    session_id = str(uuid.uuid4())
    ConsultationEvent.objects.create(
        consultation=consult, kind="video", actor=specialist, detail={"session": session_id}
    )
    Participant.objects.create(consultation=consult, user=guest, invited_by=specialist)
    ConsultationEvent.objects.create(
        consultation=consult, kind="invited", actor=specialist, detail={"invitee": "x"}
    )
    Participant.objects.create(consultation=consult, user=second, invited_by=specialist)
    # The second opinion came in the same seconds as the video: it keeps its place only
    # because its "invited" event is there — so give the video grant its own moment.
    Participant.objects.filter(user=guest).update(invited_at=timezone.now() - timedelta(hours=1))
    ConsultationEvent.objects.filter(consultation=consult, kind="video").update(
        at=timezone.now() - timedelta(hours=1)
    )
    assert sees(guest, consult.patient)
    migration.end_video_made_grants(apps, None)
    assert not sees(guest, consult.patient)
    assert sees(second, consult.patient)
    ended = Participant.objects.get(user=guest, consultation=consult)
    assert (ended.via, str(ended.video_session)) == ("video", session_id)
