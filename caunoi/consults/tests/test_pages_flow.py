import uuid

import pytest

from caunoi.consults.models import Consultation, ConsultationEvent, Status
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _post_consult(client, patient, client_id, submit=True, **overrides):
    data = {
        "client_id": str(client_id),
        "patient": str(patient.public_id),
        "specialty": internal_medicine().pk,
        "urgency": "urgent",
        **summary(**overrides),
    }
    if submit:
        data["submit"] = "1"
    return client.post("/consults/new/", data)


def test_worker_submits_and_specialist_answers_and_worker_closes(
    worker, specialist, login, django_capture_on_commit_callbacks
):
    patient = make_patient(worker)
    client_id = uuid.uuid4()
    w = login(worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_consult(w, patient, client_id)
    assert response.status_code == 302
    c = Consultation.objects.get(requester=worker, client_id=client_id)
    assert c.status == Status.SUBMITTED
    assert c.hub is not None
    assert c.hub.name == "Bệnh viện Trung ương Huế"
    assert c.deadline_at is not None
    assert c.submitted_at is not None
    assert (c.deadline_at - c.submitted_at).total_seconds() == 4 * 3600
    assert Notification.objects.filter(user=specialist, kind="consult.new").exists()

    s = login(specialist)
    page = s.get("/consults/?queue=hub")
    assert patient.full_name in page.content.decode()
    s.post(f"/consults/{c.public_id}/claim/")
    c.refresh_from_db()
    assert c.specialist == specialist
    assert c.status == Status.ASSIGNED
    s.post(
        f"/consults/{c.public_id}/advice/",
        {"advice": "Chuyển tuyến để chụp X-quang.", "diagnoses": "J18.9, I10", "outcome": "refer"},
    )
    c.refresh_from_db()
    assert c.status == Status.ANSWERED
    assert sorted(d.code for d in c.diagnoses.all()) == ["I10", "J18.9"]
    assert c.first_response_at is not None
    assert c.answered_in_time

    w.post(f"/consults/{c.public_id}/close/", {"action_taken": "Đã chuyển bệnh viện tỉnh."})
    c.refresh_from_db()
    assert c.status == Status.CLOSED
    kinds = list(ConsultationEvent.objects.filter(consultation=c).values_list("kind", flat=True))
    assert kinds[:3] == ["created", "submitted", "routed"]
    assert kinds[-1] == "closed"
    pdf = w.get(f"/consults/{c.public_id}/minutes.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "Giàng Thị Dợ" in text
    assert "BIÊN BẢN HỘI CHẨN TỪ XA" in text


def test_double_submission_makes_one_consult(worker, login):
    patient = make_patient(worker)
    client_id = uuid.uuid4()
    w = login(worker)
    _post_consult(w, patient, client_id)
    _post_consult(w, patient, client_id)
    assert Consultation.objects.filter(requester=worker, client_id=client_id).count() == 1


def test_consult_without_consent_is_refused_and_nothing_saved(worker, login):
    patient = make_patient(worker, consent=False)
    w = login(worker)
    response = _post_consult(w, patient, uuid.uuid4())
    assert response.status_code == 200
    assert "consent" in response.content.decode().lower() or "đồng ý" in response.content.decode()
    assert not Consultation.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("field", "value"), [("temperature", "60"), ("systolic", "300"), ("diastolic", "5")]
)
def test_impossible_vital_signs_are_refused(worker, login, field, value):
    patient = make_patient(worker)
    response = _post_consult(login(worker), patient, uuid.uuid4(), **{field: value})
    assert response.status_code == 200
    assert not Consultation.objects.filter(patient=patient).exists()


def test_outsider_gets_404_for_consultation(worker, outsider, receiver, login):
    patient = make_patient(worker)
    w = login(worker)
    _post_consult(w, patient, uuid.uuid4())
    c = Consultation.objects.get(patient=patient)
    for user in (outsider, receiver):
        assert login(user).get(c.get_absolute_url()).status_code == 404
        assert login(user).get(f"/patients/{patient.public_id}/").status_code == 404


def test_photo_is_stripped_of_exif_and_thumbnailed(worker, login):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    patient = make_patient(worker)
    w = login(worker)
    upload = SimpleUploadedFile(
        "anh.jpg", jpeg_bytes(3000, 1500, exif_gps=True), content_type="image/jpeg"
    )
    data = {
        "client_id": str(uuid.uuid4()),
        "patient": str(patient.public_id),
        "specialty": internal_medicine().pk,
        "urgency": "routine",
        "submit": "1",
        "attachments": [upload],
        **summary(),
    }
    w.post("/consults/new/", data)
    c = Consultation.objects.get(patient=patient)
    a = c.attachments.get()
    stored = Image.open(io.BytesIO(a.file.read()))
    assert max(stored.size) == 2048
    assert not stored.getexif()
    assert a.thumbnail
    assert a.sha256
    assert a.kind == "image"


def test_script_renamed_jpg_is_refused(worker, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    patient = make_patient(worker)
    upload = SimpleUploadedFile("anh.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    data = {
        "client_id": str(uuid.uuid4()),
        "patient": str(patient.public_id),
        "specialty": internal_medicine().pk,
        "urgency": "routine",
        "submit": "1",
        "attachments": [upload],
        **summary(),
    }
    response = login(worker).post("/consults/new/", data)
    assert response.status_code == 200
    assert not Consultation.objects.filter(patient=patient).exists()
