"""The shared page helpers as the domains use them: every access helper answers 404 for an id
it cannot read (``core.access.get_or_404``), and a refused action comes back to its page with
the service's message instead of a 500 (``core.actions.guarded_action``), changing nothing."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages import get_messages
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext

from caunoi.accounts.access import access_own_token
from caunoi.audit.models import AuditEvent
from caunoi.consults.access import access_consultation, access_pending_upload
from caunoi.consults.models import ConsultationEvent, Status
from caunoi.consults.services import ConsultationInput, consultation_claim, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.access import resolve_place
from caunoi.network.access import access_facility
from caunoi.patients.access import access_patient
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.access import access_referral
from caunoi.video.access import access_video_session
from caunoi.video.models import VideoParticipant
from caunoi.video.services import video_session_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def consult(worker):
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )[0]


@pytest.mark.parametrize(
    "access",
    [
        access_consultation,
        access_pending_upload,
        access_patient,
        access_referral,
        access_video_session,
        access_facility,
        access_own_token,
    ],
)
@pytest.mark.parametrize(
    "public_id", ["not-a-uuid", "", "1", "3deec49e-943e-45f2-a28b-fec3f3b89b97"]
)
def test_every_access_helper_answers_404_for_an_id_it_cannot_read(access, public_id, worker):
    with pytest.raises(Http404):
        access(worker, public_id)


def test_a_place_that_is_not_a_readable_facility_id_is_404(officer):
    with pytest.raises(Http404):
        resolve_place(officer, "not-a-uuid")


def _said(response):
    return [m.message for m in get_messages(response.wsgi_request)]


def test_a_refused_action_comes_back_with_the_services_message_and_changes_nothing(
    worker, specialist, consult, login
):
    consultation_claim(consultation=consult, actor=specialist)
    events = ConsultationEvent.objects.filter(consultation=consult).count()
    response = login(worker).post(f"/consults/{consult.public_id}/cancel/")
    assert (response.status_code, response["Location"]) == (302, consult.get_absolute_url())
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert _said(response) == [gettext("This consultation can no longer be cancelled.")]
    consult.refresh_from_db()
    assert consult.status == Status.ASSIGNED
    assert ConsultationEvent.objects.filter(consultation=consult).count() == events


def test_a_form_the_service_refuses_comes_back_with_its_message(worker, consult, login):
    response = login(worker).post(f"/consults/{consult.public_id}/close/", {"action_taken": ""})
    assert response.status_code == 302
    assert len(_said(response)) == 1
    consult.refresh_from_db()
    assert consult.status == Status.SUBMITTED


def test_an_action_that_succeeds_says_so(specialist, consult, login):
    response = login(specialist).post(f"/consults/{consult.public_id}/claim/")
    assert response.status_code == 302
    assert len(_said(response)) == 1
    consult.refresh_from_db()
    assert (consult.status, consult.specialist_id) == (Status.ASSIGNED, specialist.pk)


def test_an_actions_audit_row_records_the_address_of_the_pages_origin(
    settings, specialist, consult, login
):
    """The page turns its request into an origin (``audit.origin.origin_of``) and the service
    hands it to the audit row; a service called without one (a command, a task, the fixture
    here) records no address."""
    settings.TRUSTED_PROXY_COUNT = 0
    rows = AuditEvent.objects.filter(object_id=str(consult.public_id))
    submitted = rows.get(purpose="teleconsultation request")
    assert submitted.ip_address is None

    client = login(specialist)
    response = client.post(f"/consults/{consult.public_id}/claim/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    claimed = rows.get(purpose="claimed")
    assert (claimed.actor, claimed.ip_address) == (specialist, "203.0.113.7")

    # The read row takes the view and the method from the origin too.
    assert client.get(consult.get_absolute_url(), REMOTE_ADDR="203.0.113.8").status_code == 200
    read = AuditEvent.objects.filter(action="view").latest("id")
    assert (read.ip_address, read.detail["view"], read.detail["method"]) == (
        "203.0.113.8",
        "consults:detail",
        "GET",
    )


def test_removing_a_participant_named_by_an_unreadable_id_is_404_not_500(
    specialist, worker, consult, login
):
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now(),
        participants=[worker],
        consultation=consult,
    )
    client = login(specialist)
    for user in ("not-a-uuid", "", str(uuid.uuid4())):
        response = client.post(f"/video/{session.public_id}/remove/", {"user": user})
        assert response.status_code == 404
    assert VideoParticipant.objects.active().filter(session=session, user=worker).exists()
