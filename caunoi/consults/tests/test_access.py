"""Who sees a consultation and who may do what with it, for every persona and every rule of
caunoi/consults/access.py. Refusals to see are 404 (page, API, files, minutes); refusals to act
on a visible consult are a message that changes nothing."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from caunoi.codes.models import IcdCode
from caunoi.consults.access import (
    consult_permissions,
    shared_consultations,
    visible_consultations,
)
from caunoi.consults.models import Consultation, ConsultationEvent, Participant, Status
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_assign,
    consultation_claim,
    consultation_close,
    consultation_submit,
    second_opinion_invite,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.network.access import user_scope
from caunoi.network.models import Membership, Specialty
from caunoi.patients.access import visible_patients
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

HUE = "Bệnh viện Trung ương Huế"
BACH_MAI = "Bệnh viện Bạch Mai"


def vi(text: str) -> str:
    with translation.override("vi"):
        return gettext(text)


def _member(*, facility: str, role: str, specialty: str | None = None, exclude=()):
    qs = Membership.objects.filter(facility__name=facility, role=role, is_active=True)
    if specialty:
        qs = qs.filter(specialties__code=specialty)
    return qs.exclude(user__username__in=exclude).select_related("user").order_by("id")[0].user


def _station(worker):
    return worker.memberships.get(role="worker").facility


@pytest.fixture
def people(worker, specialist, coordinator, receiver, officer, donor, network_admin, outsider):
    station = _station(worker)
    colleague = (
        Membership.objects.filter(facility=station, role="worker")
        .exclude(user=worker)
        .order_by("id")[0]
        .user
    )
    other_station = (
        Membership.objects.filter(role="worker", facility__province=station.province)
        .exclude(facility=station)
        .order_by("id")[0]
        .user
    )
    return {
        "worker": worker,
        "colleague": colleague,
        "specialist": specialist,
        "hue_internist": _member(
            facility=HUE, role="specialist", specialty="internal-medicine", exclude=["specialist"]
        ),
        "hue_cardiologist": _member(facility=HUE, role="specialist", specialty="cardiology"),
        "coordinator": coordinator,
        "hue_coordinator": _member(facility=HUE, role="coordinator", exclude=["coordinator"]),
        "bach_mai_internist": _member(
            facility=BACH_MAI, role="specialist", specialty="internal-medicine"
        ),
        "bach_mai_coordinator": _member(facility=BACH_MAI, role="coordinator"),
        "other_station": other_station,
        "receiver": receiver,
        "officer": officer,
        "donor": donor,
        "admin": network_admin,
        "outsider": outsider,
    }


def _submit(worker, *, submit=True, name="Giàng Thị Dợ", uploads=()):
    patient = make_patient(worker, name=name)
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=submit,
        data=ConsultationInput(
            patient=patient,
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(),
            uploads=list(uploads),
        ),
    )[0]


@pytest.fixture
def consult(worker):
    return _submit(worker)


@pytest.fixture
def closed(worker, specialist):
    """A closed consult with a photo: every URL (page, API, file, thumbnail, minutes) works."""
    c = _submit(worker, uploads=[Upload("anh.jpg", jpeg_bytes())])
    consultation_claim(consultation=c, actor=specialist)
    c.refresh_from_db()
    advice_record(
        consultation=c,
        actor=specialist,
        advice="Theo dõi tại trạm.",
        outcome="manage_locally",
        diagnoses=[IcdCode.objects.get(code="J18.9")],
    )
    c.refresh_from_db()
    consultation_close(consultation=c, actor=worker, action_taken="Điều trị tại trạm.")
    c.refresh_from_db()
    assert c.status == Status.CLOSED
    return c


def _urls(c):
    a = c.attachments.get()
    base = f"/consults/{c.public_id}/"
    return {
        "page": base,
        "file": f"{base}files/{a.public_id}/",
        "thumb": f"{base}files/{a.public_id}/thumb/",
        "minutes": f"{base}minutes.pdf",
    }


# --- who sees a submitted consultation -----------------------------------------------------------

SEE = ["worker", "colleague", "specialist", "hue_internist", "hue_cardiologist", "coordinator"]
SEE += ["hue_coordinator"]
NOT_SEE = ["bach_mai_internist", "bach_mai_coordinator", "other_station", "receiver", "officer"]
NOT_SEE += ["donor", "admin", "outsider"]


@pytest.mark.parametrize("who", SEE)
def test_requesting_station_and_routed_hub_staff_open_every_url(who, people, closed, login):
    client = login(people[who])
    urls = _urls(closed)
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert closed.patient.full_name in page.content.decode()
    assert client.get(urls["file"])["Content-Type"] == "image/jpeg"
    assert client.get(urls["thumb"]).status_code == 200
    minutes = client.get(urls["minutes"])
    assert minutes["Content-Type"] == "application/pdf"
    assert minutes.content.startswith(b"%PDF")
    assert visible_consultations(people[who]).filter(pk=closed.pk).exists()


@pytest.mark.parametrize("who", NOT_SEE)
def test_everyone_else_gets_404_on_page_api_file_and_minutes(
    who, people, closed, login, api_client
):
    client = login(people[who])
    for name, url in _urls(closed).items():
        response = client.get(url)
        assert response.status_code == 404, name
        assert closed.patient.full_name not in response.content.decode()
    api = api_client(people[who]).get(f"/api/consults/{closed.public_id}")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    assert "Giàng" not in api.content.decode()
    assert client.get(closed.patient.get_absolute_url()).status_code == 404
    assert not visible_consultations(people[who]).filter(pk=closed.pk).exists()


@pytest.mark.parametrize("who", SEE)
def test_the_api_shows_the_consult_to_the_same_people(who, people, consult, api_client):
    response = api_client(people[who]).get(f"/api/consults/{consult.public_id}")
    assert response.status_code == 200
    assert response.json()["patient"]["name"] == consult.patient.full_name


@pytest.mark.parametrize("who", ["bach_mai_internist", "receiver", "officer", "outsider"])
def test_strangers_cannot_act_on_a_consult_either(who, people, consult, login):
    client = login(people[who])
    events = ConsultationEvent.objects.filter(consultation=consult).count()
    base = f"/consults/{consult.public_id}/"
    assert client.post(base + "claim/").status_code == 404
    assert (
        client.post(base + "message/", {"client_id": str(uuid.uuid4()), "body": "x"}).status_code
        == 404
    )
    assert client.post(base + "cancel/").status_code == 404
    consult.refresh_from_db()
    assert (consult.status, consult.specialist_id) == (Status.SUBMITTED, None)
    assert ConsultationEvent.objects.filter(consultation=consult).count() == events


def test_unknown_and_malformed_ids_are_404(worker, login, api_client):
    client = login(worker)
    assert client.get(f"/consults/{uuid.uuid4()}/").status_code == 404
    assert api_client(worker).get(f"/api/consults/{uuid.uuid4()}").json()["code"] == "not_found"
    assert client.get(f"/consults/{uuid.uuid4()}/minutes.pdf").status_code == 404


# --- drafts --------------------------------------------------------------------------------------


def test_a_draft_is_seen_only_by_the_requesting_station(people, login, api_client):
    draft = _submit(people["worker"], submit=False)
    assert draft.status == Status.DRAFT
    for who in ("worker", "colleague"):
        response = login(people[who]).get(draft.get_absolute_url())
        # The requesting side edits a draft rather than reading it.
        assert response.status_code == 302
        assert response["Location"] == f"/consults/{draft.public_id}/edit/"
        assert api_client(people[who]).get(f"/api/consults/{draft.public_id}").status_code == 200
    for who in ("specialist", "coordinator", "hue_cardiologist", "bach_mai_internist"):
        assert login(people[who]).get(draft.get_absolute_url()).status_code == 404
        assert login(people[who]).get(f"/consults/{draft.public_id}/edit/").status_code == 404
        assert api_client(people[who]).get(f"/api/consults/{draft.public_id}").status_code == 404


def test_hub_staff_see_the_consult_once_it_is_submitted(people, login):
    worker = people["worker"]
    patient = make_patient(worker)
    client_id = uuid.uuid4()
    data = ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary())
    consultation_submit(actor=worker, client_id=client_id, data=data, submit=False)
    c = Consultation.objects.get(requester=worker, client_id=client_id)
    assert login(people["specialist"]).get(c.get_absolute_url()).status_code == 404
    consultation_submit(actor=worker, client_id=client_id, data=data, submit=True)
    for who in ("specialist", "coordinator"):
        assert login(people[who]).get(c.get_absolute_url()).status_code == 200


def test_a_draft_even_with_a_hub_and_a_participant_stays_hidden_outside_the_station(
    people, consult
):
    # Defence in depth: the draft rule holds whatever other rows say.
    Participant.objects.create(
        consultation=consult, user=people["bach_mai_internist"], invited_by=people["specialist"]
    )
    Consultation.objects.filter(pk=consult.pk).update(status=Status.DRAFT)
    for who in ("specialist", "coordinator", "bach_mai_internist"):
        assert not visible_consultations(people[who]).filter(pk=consult.pk).exists()
    assert visible_consultations(people["colleague"]).filter(pk=consult.pk).exists()


def test_the_ways_in_that_share_a_patient_are_exactly_the_visible_consults_of_other_facilities(
    people, consult
):
    # patients.access asks each way in separately (an index each); together they must be the
    # visible consultations the person's own facilities did not ask for, drafts never.
    draft = _submit(people["worker"], submit=False, name="Lù Thị Pà")
    Participant.objects.create(
        consultation=consult, user=people["bach_mai_internist"], invited_by=people["specialist"]
    )
    Participant.objects.create(
        consultation=draft, user=people["bach_mai_coordinator"], invited_by=people["specialist"]
    )
    for who, user in people.items():
        own = user_scope(user).facility_ids
        expected = set(
            visible_consultations(user)
            .exclude(requester_facility_id__in=own)
            .values_list("pk", flat=True)
        )
        ways = [set(qs.values_list("pk", flat=True)) for qs in shared_consultations(user)]
        assert set().union(*ways) == expected, who
    hub_side = set(visible_patients(people["specialist"]).values_list("pk", flat=True))
    assert consult.patient_id in hub_side
    assert draft.patient_id not in hub_side
    assert consult.patient_id in set(
        visible_patients(people["bach_mai_internist"]).values_list("pk", flat=True)
    )
    assert not visible_patients(people["bach_mai_coordinator"]).filter(pk=draft.patient_id).exists()


# --- second opinion ------------------------------------------------------------------------------


def test_an_invited_colleague_sees_that_consult_and_its_patient_but_no_other(
    people, consult, login, api_client
):
    guest = people["bach_mai_internist"]
    other = _submit(people["worker"], name="Thào Thị Dế")
    client = login(guest)
    assert client.get(consult.get_absolute_url()).status_code == 404
    second_opinion_invite(consultation=consult, actor=people["specialist"], invitee=guest)
    assert client.get(consult.get_absolute_url()).status_code == 200
    assert client.get(consult.patient.get_absolute_url()).status_code == 200
    assert api_client(guest).get(f"/api/consults/{consult.public_id}").status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(other.patient.get_absolute_url()).status_code == 404
    perms = consult_permissions(guest, consult)
    assert (perms.is_invited, perms.can_advise, perms.can_message) == (True, False, True)
    assert (perms.can_claim, perms.can_assign, perms.can_close, perms.can_cancel) == (
        False,
        False,
        False,
        False,
    )


def test_an_invited_colleague_does_not_edit_the_patient_record(people, consult, login):
    guest = people["bach_mai_internist"]
    second_opinion_invite(consultation=consult, actor=people["specialist"], invitee=guest)
    consent = consult.patient.consents.get()
    response = login(guest).post(
        f"/patients/{consult.patient.public_id}/consent/{consent.public_id}/withdraw/"
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.is_active


# --- consult_permissions -------------------------------------------------------------------------


def test_only_a_specialist_of_the_specialty_at_the_hub_may_claim(people, consult):
    can_claim = {who: consult_permissions(u, consult).can_claim for who, u in people.items()}
    assert {who for who, yes in can_claim.items() if yes} == {"specialist", "hue_internist"}


def test_claiming_is_possible_only_while_submitted_and_unassigned(people, consult):
    consultation_claim(consultation=consult, actor=people["specialist"])
    consult.refresh_from_db()
    assert consult.status == Status.ASSIGNED
    assert not consult_permissions(people["hue_internist"], consult).can_claim
    assert not consult_permissions(people["specialist"], consult).can_claim


def test_a_draft_cannot_be_claimed_by_anyone(people):
    draft = _submit(people["worker"], submit=False)
    assert not any(consult_permissions(u, draft).can_claim for u in people.values())


def test_assign_and_reroute_belong_to_the_coordinators_of_that_hub(people, consult):
    allowed = {
        who
        for who, u in people.items()
        if consult_permissions(u, consult).can_assign
        and consult_permissions(u, consult).can_reroute
    }
    assert allowed == {"coordinator", "hue_coordinator"}
    assert not any(
        consult_permissions(u, consult).can_assign or consult_permissions(u, consult).can_reroute
        for who, u in people.items()
        if who not in allowed
    )


def test_an_answered_consult_can_be_reassigned_but_not_rerouted(people, consult):
    advice_record(
        consultation=consult, actor=people["specialist"], advice="x", outcome="refer", diagnoses=[]
    )
    consult.refresh_from_db()
    perms = consult_permissions(people["coordinator"], consult)
    assert perms.can_assign
    assert not perms.can_reroute


# --- who records the advice (README: "Who records the advice") ----------------------------------


def _advisers(people, c):
    c.refresh_from_db()
    return {who for who, u in people.items() if consult_permissions(u, c).can_advise}


def test_while_no_one_has_taken_it_the_hubs_specialists_of_its_specialty_advise(people, consult):
    assert _advisers(people, consult) == {"specialist", "hue_internist"}


def test_an_internist_cannot_advise_on_a_dermatology_consult_a_dermatologist_can(people, login):
    dermatologist = _member(facility=HUE, role="specialist", specialty="dermatology")
    patient = make_patient(people["worker"], name="Sùng Thị Mỷ")
    c, _created = consultation_submit(
        actor=people["worker"],
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient,
            specialty=Specialty.objects.get(code="dermatology"),
            summary=summary(question="Ban đỏ có vảy ở hai cẳng chân, có phải vảy nến?"),
        ),
    )
    assert c.hub is not None
    assert c.hub.name == HUE
    internist = people["specialist"]
    assert not consult_permissions(internist, c).can_advise
    assert consult_permissions(dermatologist, c).can_advise
    with pytest.raises(PermissionDenied):
        advice_record(
            consultation=c, actor=internist, advice="Bôi corticoid.", outcome="refer", diagnoses=[]
        )
    c.refresh_from_db()
    assert (c.status, c.specialist, c.advice) == (Status.SUBMITTED, None, "")
    page = login(internist).get(c.get_absolute_url()).content.decode()
    assert f'action="/consults/{c.public_id}/advice/"' not in page
    page = login(dermatologist).get(c.get_absolute_url()).content.decode()
    assert f'action="/consults/{c.public_id}/advice/"' in page


def test_once_a_specialist_has_taken_it_only_they_advise(people, consult):
    consultation_claim(consultation=consult, actor=people["specialist"])
    assert _advisers(people, consult) == {"specialist"}
    advice_record(
        consultation=consult, actor=people["specialist"], advice="x", outcome="refer", diagnoses=[]
    )
    # Answered and still open: the one who answered may revise the advice, no one else.
    assert _advisers(people, consult) == {"specialist"}


def test_a_coordinator_may_assign_a_specialist_of_another_specialty_who_then_advises(
    people, consult
):
    consultation_assign(
        consultation=consult, actor=people["coordinator"], specialist=people["hue_cardiologist"]
    )
    assert _advisers(people, consult) == {"hue_cardiologist"}


def test_an_invited_colleague_gives_an_opinion_in_the_thread_but_does_not_advise(people, consult):
    guest = people["bach_mai_internist"]
    second_opinion_invite(consultation=consult, actor=people["specialist"], invitee=guest)
    perms = consult_permissions(guest, consult)
    assert (perms.can_message, perms.can_advise) == (True, False)
    assert "bach_mai_internist" not in _advisers(people, consult)
    with pytest.raises(PermissionDenied):
        advice_record(consultation=consult, actor=guest, advice="x", outcome="refer", diagnoses=[])


def test_a_specialty_held_at_another_facility_does_not_count_at_this_hub(people, consult):
    cardiologist = people["hue_cardiologist"]
    elsewhere = Membership.objects.create(
        user=cardiologist,
        facility=Membership.objects.filter(role="specialist", facility__name=BACH_MAI)[0].facility,
        role="specialist",
    )
    elsewhere.specialties.add(internal_medicine())
    cardiologist = type(cardiologist).objects.get(pk=cardiologist.pk)  # a fresh scope
    perms = consult_permissions(cardiologist, consult)
    assert (perms.can_advise, perms.can_claim) == (False, False)


def test_an_assigned_specialist_who_has_left_the_hub_no_longer_advises(people, consult):
    consultation_claim(consultation=consult, actor=people["specialist"])
    consult.refresh_from_db()
    Membership.objects.filter(user=people["specialist"], facility=consult.hub).update(
        is_active=False
    )
    specialist = type(people["specialist"]).objects.get(pk=people["specialist"].pk)
    assert not consult_permissions(specialist, consult).can_advise


def test_the_service_checks_the_rule_again_on_the_fresh_row(people, consult):
    page_load = Consultation.objects.get(pk=consult.pk)  # the internist's page, still unassigned
    assert consult_permissions(people["hue_internist"], page_load).can_advise
    consultation_claim(consultation=consult, actor=people["specialist"])
    with pytest.raises(PermissionDenied):
        advice_record(
            consultation=page_load,
            actor=people["hue_internist"],
            advice="x",
            outcome="refer",
            diagnoses=[],
        )
    consult.refresh_from_db()
    assert (consult.status, consult.specialist, consult.advice) == (
        Status.ASSIGNED,
        people["specialist"],
        "",
    )


def test_the_requesting_side_closes_only_an_answered_consult(people, consult):
    assert not consult_permissions(people["worker"], consult).can_close
    advice_record(
        consultation=consult, actor=people["specialist"], advice="x", outcome="refer", diagnoses=[]
    )
    consult.refresh_from_db()
    closers = {who for who, u in people.items() if consult_permissions(u, consult).can_close}
    assert closers == {"worker", "colleague"}


def test_the_requesting_side_cancels_a_draft_or_a_waiting_consult_only(people, consult):
    cancellers = {who for who, u in people.items() if consult_permissions(u, consult).can_cancel}
    assert cancellers == {"worker", "colleague"}
    draft = _submit(people["worker"], submit=False, name="Lầu Thị Pằng")
    assert consult_permissions(people["worker"], draft).can_cancel
    consultation_claim(consultation=consult, actor=people["specialist"])
    consult.refresh_from_db()
    assert not consult_permissions(people["worker"], consult).can_cancel


def test_nothing_but_reading_is_allowed_on_a_closed_consult(people, closed):
    for who, u in people.items():
        perms = consult_permissions(u, closed)
        assert not any(
            [
                perms.can_edit_draft,
                perms.can_message,
                perms.can_attach,
                perms.can_advise,
                perms.can_claim,
                perms.can_assign,
                perms.can_reroute,
                perms.can_invite,
                perms.can_close,
                perms.can_cancel,
            ]
        ), who


# --- forbidden actions through the pages ---------------------------------------------------------


def _actions(people, c):
    hub_specialist = people["hue_internist"].pk
    cardiology = Specialty.objects.get(code="cardiology").pk
    invitee = people["bach_mai_internist"].pk
    return {
        "claim": ({}, "You cannot take this consultation."),
        "assign": (
            {"specialist": hub_specialist},
            "Only the hub's coordinators assign consultations.",
        ),
        "reroute": (
            {"hub": c.hub_id, "specialty": cardiology},
            "Only the hub's coordinators re-route consultations.",
        ),
        "advice": (
            {"advice": "Chuyển tuyến.", "outcome": "refer", "diagnoses": "I10"},
            "Only the specialist answering this consultation records the advice; while no one "
            "has taken it, a specialist of its specialty at the hub can. Give your view in the "
            "discussion.",
        ),
        "close": (
            {"action_taken": "Đã chuyển."},
            "Only the requesting facility closes an answered consultation.",
        ),
        "cancel": ({}, "This consultation can no longer be cancelled."),
        "invite": ({"invitee": invitee}, "You cannot invite colleagues to this consultation."),
    }


FORBIDDEN = [
    ("worker", "claim"),
    ("hue_cardiologist", "claim"),
    ("coordinator", "claim"),
    ("specialist", "assign"),
    ("worker", "assign"),
    ("specialist", "reroute"),
    ("worker", "reroute"),
    ("worker", "advice"),
    ("coordinator", "advice"),
    ("hue_cardiologist", "advice"),
    ("worker", "close"),  # not answered yet
    ("specialist", "close"),
    ("specialist", "cancel"),
    ("coordinator", "cancel"),
    ("worker", "invite"),
]


@pytest.mark.parametrize(("who", "action"), FORBIDDEN)
def test_a_forbidden_action_answers_with_a_message_and_changes_nothing(
    who, action, people, consult, login
):
    data, message = _actions(people, consult)[action]
    client = login(people[who])
    before = Consultation.objects.get(pk=consult.pk)
    events = list(
        ConsultationEvent.objects.filter(consultation=consult).values_list("id", flat=True)
    )
    response = client.post(f"/consults/{consult.public_id}/{action}/", data, follow=True)
    assert response.redirect_chain[0][0] == consult.get_absolute_url()
    assert vi(message) in [str(m) for m in response.context["messages"]]
    after = Consultation.objects.get(pk=consult.pk)
    assert (after.status, after.hub_id, after.specialty_id, after.specialist_id) == (
        before.status,
        before.hub_id,
        before.specialty_id,
        before.specialist_id,
    )
    assert (after.deadline_at, after.first_response_at, after.advice) == (
        before.deadline_at,
        before.first_response_at,
        before.advice,
    )
    assert not after.participants.exists()
    assert (
        list(ConsultationEvent.objects.filter(consultation=consult).values_list("id", flat=True))
        == events
    )


def test_the_station_cannot_cancel_once_a_specialist_has_answered(people, consult, login):
    advice_record(
        consultation=consult, actor=people["specialist"], advice="x", outcome="refer", diagnoses=[]
    )
    events = ConsultationEvent.objects.filter(consultation=consult).count()
    response = login(people["worker"]).post(f"/consults/{consult.public_id}/cancel/", follow=True)
    assert vi("This consultation can no longer be cancelled.") in [
        str(m) for m in response.context["messages"]
    ]
    consult.refresh_from_db()
    assert consult.status == Status.ANSWERED
    assert ConsultationEvent.objects.filter(consultation=consult).count() == events


def test_the_page_offers_only_the_allowed_actions(people, consult, login):
    worker_page = login(people["worker"]).get(consult.get_absolute_url()).content.decode()
    specialist_page = login(people["specialist"]).get(consult.get_absolute_url()).content.decode()
    coordinator_page = login(people["coordinator"]).get(consult.get_absolute_url()).content.decode()
    claim = f'action="/consults/{consult.public_id}/claim/"'
    cancel = f'action="/consults/{consult.public_id}/cancel/"'
    assign = f'action="/consults/{consult.public_id}/assign/"'
    assert claim in specialist_page
    assert claim not in worker_page
    assert claim not in coordinator_page
    assert cancel in worker_page
    assert cancel not in specialist_page
    assert assign in coordinator_page
    assert assign not in specialist_page
    assert assign not in worker_page


def test_an_attachment_of_another_consult_is_404_through_this_one(people, closed, login):
    other = _submit(people["worker"], name="Sùng A Páo")
    a = closed.attachments.get()
    response = login(people["worker"]).get(f"/consults/{other.public_id}/files/{a.public_id}/")
    assert response.status_code == 404


def test_the_minutes_of_an_open_consult_are_404(people, consult, login):
    assert (
        login(people["worker"]).get(f"/consults/{consult.public_id}/minutes.pdf").status_code == 404
    )


def test_a_file_upload_by_a_stranger_is_404_and_stores_nothing(people, consult, login):
    upload = SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = login(people["receiver"]).post(
        f"/consults/{consult.public_id}/attach/", {"attachments": [upload]}
    )
    assert response.status_code == 404
    assert not consult.attachments.exists()
