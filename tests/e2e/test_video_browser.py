"""Live video in two real browsers with fake camera and microphone: both reach "connected" and
decode video frames; an uninvited person is refused."""

import time

import pytest
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.video.models import VideoJoin, VideoSession
from caunoi.video.services import video_session_schedule

pytestmark = pytest.mark.browser


@pytest.fixture
def session(committed_db):
    import uuid

    worker = User.objects.get(username="worker")
    specialist = User.objects.get(username="specialist")
    patient = make_patient(worker, name="Thào Mí Pà")
    consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    s = video_session_schedule(
        actor=specialist,
        title="Hội chẩn trực tuyến",
        scheduled_at=timezone.now(),
        participants=[worker],
        consultation=consult,
    )
    yield s
    VideoSession.objects.filter(pk=s.pk).delete()
    Consultation.objects.filter(pk=consult.pk).delete()
    patient.consents.all().delete()
    patient.delete()


def _wait_connected(page, timeout=20.0):
    deadline = time.monotonic() + timeout
    snap = None
    while time.monotonic() < deadline:
        snap = page.evaluate("window.caunoiRoom ? window.caunoiRoom.snapshot() : null")
        if (
            snap
            and snap["peers"]
            and all(p["state"] == "connected" and p["framesDecoded"] > 0 for p in snap["peers"])
        ):
            return snap
        page.wait_for_timeout(500)
    raise AssertionError(f"not connected with frames: {snap}")


def test_worker_and_specialist_see_each_other_and_an_outsider_is_refused(
    new_page, sign_in, session
):
    specialist = new_page()
    sign_in(specialist, "specialist")
    specialist.goto(session.get_absolute_url())
    worker = new_page()
    sign_in(worker, "worker")
    worker.goto(session.get_absolute_url())

    for page in (worker, specialist):
        snap = _wait_connected(page)
        assert len(snap["peers"]) == 1
        assert snap["peers"][0]["framesDecoded"] > 0

    # Chat in the room lands in the consultation's thread.
    worker.fill("#chat-text", "Bệnh nhân đã uống thuốc")
    worker.click("#chat-form button")
    specialist.locator("#chat-log li", has_text="Bệnh nhân đã uống thuốc").wait_for()
    assert session.consultation.messages.filter(body__contains="Bệnh nhân đã uống thuốc").exists()

    outsider = new_page()
    sign_in(outsider, "receiver")
    response = outsider.goto(session.get_absolute_url())
    assert response.status == 404
    joins = VideoJoin.objects.filter(session=session)
    assert {j.user.username for j in joins} == {"worker", "specialist"}


def _shown(page) -> list[str]:
    return page.locator("#invitee-list li:visible strong").all_inner_texts()


def test_the_invite_list_filters_by_name_facility_or_specialty_without_diacritics(
    new_page, sign_in, committed_db
):
    page = new_page()
    sign_in(page, "specialist")
    sessions_before = VideoSession.objects.count()
    page.goto("/video/")
    page.click("#new-conference")
    page.wait_for_url("**/video/new/")
    everyone = _shown(page)
    assert len(everyone) >= 10

    # Whatever language the browser draws its date input in, the line under it writes the
    # chosen time day first, as the pages do.
    page.fill("#id_scheduled_at", "2026-03-04T14:05")
    assert page.locator("#id_scheduled_at-echo [data-date-echo]").inner_text() == "04/03/2026 14:05"
    assert "Bệnh viện Trung ương Huế" in page.locator("#invitee-list li").first.inner_text()

    # A specialty typed without diacritics, as on a phone keyboard without Telex.
    page.fill("#invite-search", "tim mach")
    cardiology = _shown(page)
    assert 0 < len(cardiology) < len(everyone)
    for row in page.locator("#invitee-list li:visible").all_inner_texts():
        assert "Tim mạch" in row

    # A name with its diacritics and another case finds the same person.
    page.fill("#invite-search", "HỒNG NHUNG")
    assert _shown(page) == ["Lê Thị Hồng Nhung"]
    page.fill("#invite-search", "hong nhung")
    assert _shown(page) == ["Lê Thị Hồng Nhung"]
    page.locator("#invitee-list li:visible input").check()

    # Nobody matches: it says so, and whoever is ticked stays in sight.
    page.fill("#invite-search", "không ai tên này")
    assert _shown(page) == ["Lê Thị Hồng Nhung"]
    assert page.locator("#invite-search-result").inner_text() != ""
    page.fill("#invite-search", "")
    assert len(_shown(page)) == len(everyone)
    # Enter in the search box does not send the form.
    page.fill("#invite-search", "hong nhung")
    prevented = page.evaluate(
        """() => {
            const enter = new KeyboardEvent("keydown", {key: "Enter", cancelable: true});
            document.getElementById("invite-search").dispatchEvent(enter);
            return enter.defaultPrevented;
        }"""
    )
    assert prevented is True
    page.press("#invite-search", "Enter")
    assert _shown(page) == ["Lê Thị Hồng Nhung"]  # still the page, still filtered
    assert VideoSession.objects.count() == sessions_before


@pytest.fixture(scope="module")
def janus_server():
    from caunoi.video.tests.janus_server import start_janus

    server = start_janus()
    yield server
    server.stop()


@pytest.fixture
def conference(committed_db, janus_server, settings):
    settings.JANUS_URL = janus_server.url
    settings.JANUS_TOKEN_SECRET = janus_server.token_secret
    settings.JANUS_ADMIN_KEY = janus_server.admin_key
    specialist = User.objects.get(username="specialist")
    others = list(
        User.objects.filter(
            is_active=True,
            memberships__role__in=["specialist", "clinician", "worker"],
            memberships__facility__isnull=False,
        )
        .exclude(username__in=["specialist", "worker"])
        .distinct()
        .order_by("pk")[:3]
    )
    s = video_session_schedule(
        actor=specialist,
        title="Hội chẩn liên viện qua máy chủ video",
        scheduled_at=timezone.now(),
        participants=[User.objects.get(username="worker"), *others],
    )
    yield s
    VideoSession.objects.filter(pk=s.pk).delete()


def _in_the_room(new_page, sign_in, conference):
    """``specialist`` and ``worker`` on the conference's room page, which goes through Janus."""
    pages = {}
    for username in ("specialist", "worker"):
        page = new_page()
        sign_in(page, username)
        page.goto(conference.get_absolute_url())
        assert page.locator("#room").get_attribute("data-mode") == "sfu"
        pages[username] = page
    return pages


def test_a_conference_of_five_goes_through_janus_and_both_browsers_see_frames(
    new_page, sign_in, conference
):
    from caunoi.video import sfu

    pages = _in_the_room(new_page, sign_in, conference)
    for username, page in pages.items():
        snap = _wait_connected(page, timeout=30)
        assert len(snap["peers"]) == 1, username
        assert snap["peers"][0]["peer"].startswith("sfu-")
    # Both are in the session's room on Janus, with the ids the platform issued them.
    in_room = {p["id"] for p in sfu.room_participants(conference)}
    issued = {
        sfu.peer_id(p) for p in conference.participants.active().filter(user__username__in=pages)
    }
    assert in_room == issued


def _layers(page, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        sent = page.evaluate("window.caunoiRoom.sentLayers()")
        if len([s for s in sent if s["bytesSent"] > 0]) >= 2 or time.monotonic() > deadline:
            return sent
        page.wait_for_timeout(500)


def _until(page, check, timeout=20.0):
    deadline = time.monotonic() + timeout
    snap = None
    while time.monotonic() < deadline:
        snap = page.evaluate("window.caunoiRoom.snapshot()")
        if snap["peers"] and check(snap["peers"][0]):
            return snap["peers"][0]
        page.wait_for_timeout(500)
    raise AssertionError(f"not reached: {snap}")


def test_through_janus_the_light_mode_takes_the_low_layer_and_audio_only_no_video(
    new_page, sign_in, conference
):
    pages = _in_the_room(new_page, sign_in, conference)
    for page in pages.values():
        _wait_connected(page, timeout=30)
    viewer, presenter = pages["specialist"], pages["worker"]
    # The presenter sends simulcast: a full and a half-size layer at least (Chrome leaves out
    # a layer it finds too small, and may pause the full one on a busy machine).
    sent = {layer["rid"]: layer for layer in _layers(presenter)}
    assert sent["m"]["bytesSent"] > 0, sent
    half = sent["m"]["frameWidth"]
    assert 0 < half <= 320
    viewer.evaluate("window.caunoiRoom.applyMode('weak')")
    _until(viewer, lambda p: p["layer"] == "1" and p["frameWidth"] == half)
    viewer.evaluate("window.caunoiRoom.applyMode('audio')")
    _until(viewer, lambda p: p["layer"] == "off")
    viewer.wait_for_timeout(1500)
    before = _until(viewer, lambda p: True)
    viewer.wait_for_timeout(3000)
    after = _until(viewer, lambda p: True)
    assert after["framesDecoded"] - before["framesDecoded"] <= 3  # video stopped
    assert after["state"] == "connected"
    viewer.evaluate("window.caunoiRoom.applyMode('normal')")
    back = _until(viewer, lambda p: p["framesDecoded"] > after["framesDecoded"] + 10)
    assert back["layer"] == "2"


@pytest.fixture
def teaching(committed_db, janus_server, settings):
    from caunoi.video.services import video_teaching_schedule

    settings.JANUS_URL = janus_server.url
    settings.JANUS_TOKEN_SECRET = janus_server.token_secret
    settings.JANUS_ADMIN_KEY = janus_server.admin_key
    viewers = User.objects.filter(memberships__role="worker").distinct()
    s = video_teaching_schedule(
        actor=User.objects.get(username="specialist"),
        title="Tăng huyết áp ở tuyến xã · Buổi 1",
        scheduled_at=timezone.now(),
        duration_minutes=60,
        viewers=list(viewers),
    )
    yield s
    VideoSession.objects.filter(pk=s.pk).delete()


def _peers(page, count, timeout=30.0):
    deadline = time.monotonic() + timeout
    snap = None
    while time.monotonic() < deadline:
        snap = page.evaluate("window.caunoiRoom.snapshot()")
        live = [p for p in snap["peers"] if p["state"] == "connected" and p["framesDecoded"] > 0]
        if len(live) == count and len(snap["peers"]) == count:
            return snap
        page.wait_for_timeout(500)
    raise AssertionError(f"not {count} peers with frames: {snap}")


def test_a_teaching_session_viewer_watches_raises_a_hand_speaks_and_asks(
    new_page, sign_in, teaching
):
    from caunoi.video.models import VideoMessage, VideoParticipant

    host, viewer = new_page(), new_page()
    sign_in(host, "specialist")
    sign_in(viewer, "worker")
    host.goto(teaching.get_absolute_url())
    viewer.goto(teaching.get_absolute_url())
    assert viewer.locator("#room").get_attribute("data-role") == "viewer"
    # The viewer sees the host's picture and sends nothing: no camera, no controls for one.
    _peers(viewer, 1)
    assert viewer.evaluate("window.caunoiRoom.sentLayers()") == []
    assert viewer.locator("#mute").is_hidden()
    assert viewer.locator("#share").is_hidden()
    assert host.locator("#hand").is_hidden()
    assert host.evaluate("window.caunoiRoom.snapshot()")["peers"] == []
    # A raised hand reaches the host, who gives the floor: the viewer's picture reaches them.
    viewer.click("#hand")
    host.locator("#hands li", has_text="Sùng Thị Mai").locator("button").click()
    viewer.locator("#room[data-role=speaker]").wait_for(state="attached")
    assert viewer.locator("#mute").is_visible()
    _peers(host, 1)
    assert VideoParticipant.objects.get(session=teaching, user__username="worker").role == "speaker"
    # A question is kept with the session; the host marks it answered and the viewer sees it.
    viewer.fill("#question-text", "Đo huyết áp mấy lần mỗi ngày?")
    viewer.click("#question-form button")
    asked = host.locator("#question-log li", has_text="Đo huyết áp mấy lần")
    asked.locator("button").click()
    viewer.locator("#question-log li[data-answered]", has_text="Đo huyết áp mấy lần").wait_for()
    question = VideoMessage.objects.get(session=teaching, kind="question")
    assert question.answered_at is not None
    # Back to the viewers: the viewer stops sending, the host's tile goes.
    host.locator("#speakers li", has_text="Sùng Thị Mai").locator("button").click()
    viewer.locator("#room[data-role=viewer]").wait_for(state="attached")
    _peers(host, 0, timeout=15)


def test_recording_asks_everyone_records_and_plays_back_in_the_browser(
    new_page, sign_in, conference, settings, tmp_path
):
    from caunoi.video import recordings
    from caunoi.video.models import RecordingFile, VideoRecording

    settings.JANUS_RECORDINGS_DIR = str(tmp_path / "janus")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "janus").mkdir()
    pages = _in_the_room(new_page, sign_in, conference)
    for page in pages.values():
        _wait_connected(page, timeout=30)
    host, guest = pages["specialist"], pages["worker"]
    host.click("#record")
    # The guest is asked, in the room; the host waits; nothing is recorded yet.
    guest.locator("#consent").wait_for()
    assert "Trần Văn Phúc" in guest.locator("#consent-text").inner_text()
    host.locator("#recording-banner:not([hidden])").wait_for()
    assert VideoRecording.objects.get(session=conference).status == "asking"
    assert list((tmp_path / "janus").iterdir()) == []
    guest.click("#consent-yes")
    for page in (host, guest):
        page.locator("#room[data-recording=recording]").wait_for(state="attached")
        assert page.locator("#recording-banner").is_visible()
    assert guest.locator("#consent").is_hidden()
    # Longer than the room's keyframe interval (5 s): each speaker's video has one to start from.
    host.wait_for_timeout(6000)
    host.click("#record-stop")
    guest.locator("#room[data-recording=processing]").wait_for(state="attached")
    recording = VideoRecording.objects.get(session=conference)
    assert recordings.recording_process(recording_id=recording.pk) == 2  # both spoke
    assert set(
        RecordingFile.objects.filter(recording=recording).values_list("video_codec", "audio_codec")
    ) == {("vp8", "opus")}
    # The session ends; its record plays the files in the browser, for its own people.
    host.fill("#id_conclusion", "Kết luận có ghi hình.")
    host.once("dialog", lambda d: d.accept())
    host.click("form[action$='/end/'] button[type=submit]")
    guest.goto(conference.get_absolute_url())
    videos = guest.locator("#recordings video")
    assert videos.count() == 2
    durations = []
    for n in range(2):
        # The page loads nothing until asked (a station's link); asked, the browser reads the
        # file's header.
        videos.nth(n).evaluate(
            "v => new Promise(ok => { v.onloadedmetadata = ok; v.preload = 'metadata'; v.load(); })"
        )
        durations.append(videos.nth(n).evaluate("v => v.duration"))
    assert all(4 < d < 14 for d in durations), durations
