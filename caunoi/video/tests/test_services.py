import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.consults.access import visible_consultations
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient
from caunoi.video.models import VideoJoin, VideoParticipant, VideoSession
from caunoi.video.services import video_quality, video_session_end, video_session_schedule
from caunoi.video.turn import ice_servers, turn_credentials

pytestmark = pytest.mark.django_db


@pytest.fixture
def consult(worker):
    patient = make_patient(worker, name="Lù Thị Dính")
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )[0]


def _bach_mai_specialist():
    return User.objects.filter(
        memberships__facility__name="Bệnh viện Bạch Mai", memberships__role="specialist"
    ).first()


def test_scheduling_from_a_consult_invites_the_requester_and_shares_the_case(
    specialist, worker, consult
):
    colleague = _bach_mai_specialist()
    assert not visible_consultations(colleague).filter(pk=consult.pk).exists()
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now() + timedelta(hours=1),
        participants=[colleague],
        consultation=consult,
    )
    invited = {p.user_id: p.is_host for p in VideoParticipant.objects.filter(session=session)}
    assert invited == {specialist.pk: True, worker.pk: False, colleague.pk: False}
    assert visible_consultations(colleague).filter(pk=consult.pk).exists()
    assert consult.events.filter(kind="video").exists()
    assert Notification.objects.filter(
        user=worker, kind="video.invited", url=session.get_absolute_url()
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="video.videosession", object_id=str(session.public_id)
    ).exists()


def test_scheduling_refuses_bad_requests_and_saves_nothing(
    specialist, worker, officer, receiver, consult
):
    before = VideoSession.objects.count()
    with pytest.raises(ValidationError) as too_many:
        video_session_schedule(
            actor=specialist,
            title="x",
            scheduled_at=timezone.now(),
            consultation=consult,
            participants=list(
                User.objects.filter(memberships__role="specialist").exclude(pk=specialist.pk)[:6]
            ),
        )
    assert "participants" in too_many.value.message_dict
    with pytest.raises(ValidationError) as not_health_worker:
        video_session_schedule(
            actor=specialist, title="x", scheduled_at=timezone.now(), participants=[officer]
        )
    assert "participants" in not_health_worker.value.message_dict
    with pytest.raises(ValidationError) as past:
        video_session_schedule(
            actor=specialist,
            title="x",
            scheduled_at=timezone.now() - timedelta(days=1),
            participants=[worker],
        )
    assert "scheduled_at" in past.value.message_dict
    with pytest.raises(PermissionDenied):
        video_session_schedule(
            actor=receiver,
            title="x",
            scheduled_at=timezone.now(),
            participants=[worker],
            consultation=consult,
        )
    with pytest.raises(PermissionDenied):
        video_session_schedule(
            actor=worker, title="x", scheduled_at=timezone.now(), participants=[specialist]
        )
    assert VideoSession.objects.count() == before


def test_only_the_host_ends_and_an_unstarted_session_is_cancelled(specialist, worker, consult):
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now(),
        participants=[],
        consultation=consult,
    )
    with pytest.raises(PermissionDenied):
        video_session_end(session=session, actor=worker, conclusion="")
    ended = video_session_end(session=session, actor=specialist, conclusion="Không ai vào")
    assert ended.status == "cancelled"
    assert ended.ended_at is None
    with pytest.raises(ValidationError):
        video_session_end(session=session, actor=specialist, conclusion="again")


def test_turn_credentials_follow_coturns_shared_secret_scheme(settings):
    settings.TURN_SECRET = "bi-mat"
    settings.TURN_TTL_SECONDS = 3600
    username, credential, expires = turn_credentials("phong:nguoi", now=1_800_000_000)
    assert username == "1800003600:phong:nguoi"
    assert expires == 1_800_003_600
    expected = base64.b64encode(
        hmac.new(b"bi-mat", username.encode(), hashlib.sha1).digest()
    ).decode()
    assert credential == expected


def test_ice_servers_come_from_settings(settings):
    settings.STUN_URLS = ["stun:stun.example.vn:3478"]
    settings.TURN_URLS = ["turn:turn.example.vn:3478?transport=udp"]
    settings.TURN_SECRET = "s"
    servers = ice_servers("x")
    assert servers[0] == {"urls": ["stun:stun.example.vn:3478"]}
    assert servers[1]["urls"] == ["turn:turn.example.vn:3478?transport=udp"]
    assert servers[1]["username"].endswith(":x")
    assert servers[1]["credential"]
    settings.TURN_URLS = []
    assert ice_servers("x") == [{"urls": ["stun:stun.example.vn:3478"]}]


def test_pages_api_and_calendar_for_participants_only(
    specialist, worker, receiver, consult, login, api_client
):
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn, tim mạch",
        scheduled_at=timezone.now() + timedelta(hours=2),
        participants=[],
        consultation=consult,
    )
    page = login(worker).get(session.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-ws="/ws/video/' in body
    assert consult.patient.full_name in body
    ics = login(worker).get(f"/video/{session.public_id}/invite.ics")
    text = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in text
    assert "SUMMARY:Hội chẩn\\, tim mạch" in text
    assert f"UID:{session.public_id}@caunoi" in text
    detail = api_client(worker).get(f"/api/video-sessions/{session.public_id}").json()
    assert {p["name"] for p in detail["participants"]} == {specialist.full_name, worker.full_name}
    ice = api_client(worker).get(f"/api/video-sessions/{session.public_id}/ice-servers")
    assert ice.status_code == 200
    assert "ice_servers" in ice.json()
    for url in (session.get_absolute_url(), f"/video/{session.public_id}/invite.ics"):
        assert login(receiver).get(url).status_code == 404
    assert (
        api_client(receiver).get(f"/api/video-sessions/{session.public_id}/ice-servers").status_code
        == 404
    )


def test_api_schedules_a_session_and_refuses_unknown_people(
    specialist, worker, consult, api_client
):
    client = api_client(specialist)
    created = client.post(
        "/api/video-sessions",
        {
            "consult": str(consult.public_id),
            "title": "Gọi ngay",
            "participants": [str(worker.public_id)],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["status"] == "scheduled"
    assert created.json()["room_url"] == f"/video/{created.json()['id']}/"
    unknown = client.post(
        "/api/video-sessions",
        {"title": "x", "participants": [str(uuid.uuid4())]},
        content_type="application/json",
    )
    assert unknown.status_code == 422


def test_the_host_removes_a_participant_through_the_page(specialist, worker, consult, login):
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now(),
        participants=[],
        consultation=consult,
    )
    login(worker).post(f"/video/{session.public_id}/remove/", {"user": str(specialist.public_id)})
    assert (
        VideoParticipant.objects.active().filter(session=session, user=specialist).exists()
    )  # not host: refused
    login(specialist).post(f"/video/{session.public_id}/remove/", {"user": str(worker.public_id)})
    assert not VideoParticipant.objects.active().filter(session=session, user=worker).exists()
    assert login(worker).get(session.get_absolute_url()).status_code == 404


def test_the_sessions_conclusion_goes_into_the_consult_minutes(specialist, worker, consult):
    import io

    from pypdf import PdfReader

    from caunoi.consults.minutes import minutes_pdf
    from caunoi.consults.services import advice_record, consultation_close
    from caunoi.video.services import video_join, video_leave

    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn trực tuyến",
        scheduled_at=timezone.now(),
        participants=[],
        consultation=consult,
    )
    for user in (specialist, worker):
        joined = video_join(
            session_id=str(session.public_id), user=user, channel_name=f"test.{user.pk}"
        )
        assert joined is not None
        video_leave(join_id=joined[0].pk)
    video_session_end(session=session, actor=specialist, conclusion="Chuyển tuyến trong ngày")
    advice_record(
        consultation=consult, actor=specialist, advice="Chuyển", outcome="refer", diagnoses=[]
    )
    consult.refresh_from_db()
    consultation_close(consultation=consult, actor=worker, action_taken="Đã chuyển")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(minutes_pdf(consult))).pages)
    assert "HỘI CHẨN TRỰC TUYẾN QUA VIDEO" in text
    assert "Chuyển tuyến trong ngày" in text
    assert specialist.full_name in text


def test_api_answers_each_joins_quality_field_by_field_or_null(
    specialist, worker, consult, api_client
):
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now(),
        participants=[worker],
        consultation=consult,
    )
    measured = VideoJoin.objects.create(session=session, user=specialist, channel_name="a")
    VideoJoin.objects.create(session=session, user=worker, channel_name="b")
    video_quality(join_id=measured.pk, rtt_ms=120, loss_pct=1.5, kbps=800, mode="normal")
    video_quality(join_id=measured.pk, rtt_ms=180, loss_pct=2.5, kbps=400, mode="weak")

    joins = api_client(worker).get(f"/api/video-sessions/{session.public_id}").json()["joins"]

    by_name = {j["name"]: j["quality"] for j in joins}
    assert by_name[specialist.full_name] == {
        "samples": 2,
        "rtt_ms": 150,
        "loss_pct": 2.0,
        "kbps": 600,
        "worst_rtt_ms": 180,
        "weak_mode": "weak",
    }
    assert by_name[worker.full_name] is None
