"""Photos sent with a consult form that comes back with an error are not lost: they are checked
as attachments are, kept for that form and its author, shown on the form (with a way to leave
one out), attached when the form is saved or sent, and removed when never sent."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult
from PIL import Image

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation, PendingUpload, Status
from caunoi.consults.services import pending_uploads_expire
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.network.models import Membership
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _photo(name="ban-do.jpg", color="red", **kwargs):
    return SimpleUploadedFile(name, jpeg_bytes(color=color, **kwargs), content_type="image/jpeg")


def _data(patient, client_id, *, submit=True, files=(), **overrides):
    data = {
        "client_id": str(client_id),
        "patient": str(patient.public_id),
        "specialty": internal_medicine().pk,
        "urgency": "urgent",
        **summary(**overrides),
    }
    if submit:
        data["submit"] = "1"
    if files:
        data["attachments"] = list(files)
    return data


def _post(client, data, **kwargs):
    return client.post("/consults/new/", data, **kwargs)


def vi(text: str, **params: object) -> str:
    """A message as the pages show it to the (Vietnamese-speaking) demo users."""
    with translation.override("vi"):
        value = gettext(text)
    return value % params if params else value


KEPT = (
    "This file reached the server with your last sending and is kept for this form: you need "
    "not send it again. It is attached when you save or send the form; tick “Remove” to leave "
    "it out."
)
KEPT_PLURAL = (
    "These %(n)s files reached the server with your last sending and are kept for this form: "
    "you need not send them again. They are attached when you save or send the form; tick "
    "“Remove” to leave one out."
)


@pytest.fixture
def patient(worker):
    return make_patient(worker, name="Sùng Thị Mỷ")


def _colleague(worker):
    station = worker.memberships.get(role="worker").facility
    return Membership.objects.filter(facility=station, role="worker").exclude(user=worker)[0].user


def test_photos_of_a_form_sent_back_with_an_error_are_kept_and_shown(worker, patient, login):
    client_id = uuid.uuid4()
    response = _post(
        login(worker),
        _data(patient, client_id, temperature="60", files=[_photo(), _photo("b.jpg", "blue")]),
    )
    assert response.status_code == 200
    assert "temperature" in response.context["form"].errors
    kept = list(PendingUpload.objects.filter(owner=worker, client_id=client_id))
    assert sorted(p.original_name for p in kept) == ["b.jpg", "ban-do.jpg"]
    html = response.content.decode()
    assert 'id="pending-files"' in html
    assert vi(KEPT_PLURAL, n=2) in html
    for p in kept:
        assert f'src="/consults/pending/{p.public_id}/thumb/"' in html
        assert f'name="remove_pending" value="{p.public_id}"' in html
    assert not Consultation.objects.filter(patient=patient).exists()


def test_sending_the_form_again_without_the_files_attaches_the_kept_ones(
    worker, patient, login, django_capture_on_commit_callbacks
):
    client = login(worker)
    client_id = uuid.uuid4()
    _post(client, _data(patient, client_id, question="", files=[_photo(exif_gps=True)]))
    kept = PendingUpload.objects.get(owner=worker, client_id=client_id)
    storage, names = kept.file.storage, [str(kept.file.name), str(kept.thumbnail.name)]
    assert all(storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _data(patient, client_id))
    assert response.status_code == 302
    c = Consultation.objects.get(requester=worker, client_id=client_id)
    assert c.status == Status.SUBMITTED
    a = c.attachments.get()
    assert (a.original_name, a.sha256, a.kind) == ("ban-do.jpg", kept.sha256, "image")
    stored = Image.open(io.BytesIO(a.file.read()))
    assert not stored.getexif()  # checked and cleaned when it came, as every attachment is
    assert a.thumbnail
    assert not PendingUpload.objects.filter(owner=worker, client_id=client_id).exists()
    assert not any(storage.exists(n) for n in names)
    assert c.events.filter(kind="attachment").count() == 1


def test_a_kept_file_can_be_left_out_before_sending(worker, patient, login):
    client = login(worker)
    client_id = uuid.uuid4()
    _post(client, _data(patient, client_id, question="", files=[_photo(), _photo("b.jpg", "blue")]))
    unwanted = PendingUpload.objects.get(owner=worker, original_name="b.jpg")
    response = _post(client, {**_data(patient, client_id), "remove_pending": [unwanted.public_id]})
    assert response.status_code == 302
    c = Consultation.objects.get(requester=worker, client_id=client_id)
    assert [a.original_name for a in c.attachments.all()] == ["ban-do.jpg"]
    assert AuditEvent.objects.filter(
        actor=worker, action="delete", purpose="attachment", detail__files=["b.jpg"]
    ).exists()


def test_saving_a_draft_attaches_the_kept_files_too(worker, patient, login):
    client = login(worker)
    client_id = uuid.uuid4()
    _post(client, _data(patient, client_id, submit=False, spo2="20", files=[_photo()]))
    response = _post(client, _data(patient, client_id, submit=False))
    assert response.status_code == 302
    draft = Consultation.objects.get(requester=worker, client_id=client_id)
    assert draft.status == Status.DRAFT
    assert draft.attachments.count() == 1


def test_a_form_the_service_refuses_keeps_its_files_too(worker, login):
    no_consent = make_patient(worker, name="Lầu Thị Pằng", consent=False)
    client_id = uuid.uuid4()
    response = _post(login(worker), _data(no_consent, client_id, files=[_photo()]))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        vi("Record the patient's consent to teleconsultation before sending the case.")
    ]
    assert PendingUpload.objects.filter(owner=worker, client_id=client_id).count() == 1
    assert vi(KEPT) in response.content.decode()


def test_each_file_is_checked_a_bad_one_refused_with_its_name_the_good_one_kept(
    worker, patient, login
):
    bad = SimpleUploadedFile("ghi-chu.txt", b"not a photo", content_type="image/jpeg")
    client_id = uuid.uuid4()
    response = _post(
        login(worker), _data(patient, client_id, temperature="60", files=[bad, _photo()])
    )
    errors = response.context["form"].errors["attachments"]
    assert len(errors) == 1
    assert errors[0] == vi(
        "%(name)s is not a photo or a PDF. Accepted: JPEG, PNG, WebP, GIF images and PDF "
        "documents.",
        name="ghi-chu.txt",
    )
    assert [p.original_name for p in PendingUpload.objects.filter(client_id=client_id)] == [
        "ban-do.jpg"
    ]


def test_a_bad_file_on_an_otherwise_valid_form_keeps_the_good_ones(worker, patient, login):
    bad = SimpleUploadedFile("hong.jpg", b"\xff\xd8\xff broken", content_type="image/jpeg")
    client_id = uuid.uuid4()
    response = _post(login(worker), _data(patient, client_id, files=[_photo(), bad]))
    assert response.status_code == 200
    assert not Consultation.objects.filter(requester=worker, client_id=client_id).exists()
    assert response.context["form"].errors["attachments"] == [
        vi("%(name)s could not be read as an image; it may be damaged.", name="hong.jpg")
    ]
    assert PendingUpload.objects.filter(client_id=client_id).count() == 1


def test_the_same_photo_sent_again_with_the_form_is_kept_once(worker, patient, login):
    client = login(worker)
    client_id = uuid.uuid4()
    for _ in range(2):
        _post(client, _data(patient, client_id, question="", files=[_photo()]))
    assert PendingUpload.objects.filter(client_id=client_id).count() == 1


def test_the_file_limit_counts_the_kept_files(worker, patient, login, settings):
    settings.ATTACHMENTS_PER_CONSULT = 2
    client = login(worker)
    client_id = uuid.uuid4()
    _post(client, _data(patient, client_id, question="", files=[_photo(), _photo("b.jpg", "blue")]))
    response = _post(
        client, _data(patient, client_id, question="", files=[_photo("c.jpg", "green")])
    )
    assert response.context["form"].errors["attachments"] == [
        vi("A consultation holds at most %(limit)s files.", limit=2)
    ]
    assert PendingUpload.objects.filter(client_id=client_id).count() == 2


def test_only_the_person_who_sent_a_kept_file_sees_it(worker, patient, specialist, outsider, login):
    client_id = uuid.uuid4()
    _post(login(worker), _data(patient, client_id, question="", files=[_photo()]))
    kept = PendingUpload.objects.get(client_id=client_id)
    url = f"/consults/pending/{kept.public_id}/thumb/"
    mine = login(worker).get(url)
    assert mine.status_code == 200
    assert mine["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(mine.streaming_content))).width <= 320
    for other in (_colleague(worker), specialist, outsider):
        assert login(other).get(url).status_code == 404
    assert login(worker).get(f"/consults/pending/{uuid.uuid4()}/thumb/").status_code == 404


def test_someone_else_sending_the_same_form_id_does_not_get_the_files(worker, patient, login):
    client_id = uuid.uuid4()
    _post(login(worker), _data(patient, client_id, question="", files=[_photo()]))
    colleague = _colleague(worker)
    response = _post(login(colleague), _data(patient, client_id))
    assert response.status_code == 302
    c = Consultation.objects.get(requester=colleague, client_id=client_id)
    assert not c.attachments.exists()
    assert PendingUpload.objects.filter(owner=worker, client_id=client_id).count() == 1


def test_kept_files_never_sent_expire_and_their_files_are_removed(
    worker, patient, login, django_capture_on_commit_callbacks
):
    client_id = uuid.uuid4()
    _post(login(worker), _data(patient, client_id, question="", files=[_photo()]))
    kept = PendingUpload.objects.get(client_id=client_id)
    task = DBTaskResult.objects.filter(task_path__endswith="pending_uploads_expire_task").latest(
        "enqueued_at"
    )
    assert abs((task.run_after - kept.expires_at).total_seconds()) < 1
    assert kept.expires_at - timezone.now() > timedelta(hours=23)
    assert pending_uploads_expire() == 0  # not yet
    storage, name = kept.file.storage, str(kept.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        removed = pending_uploads_expire(now=kept.expires_at + timedelta(seconds=1))
    assert removed == 1
    assert not PendingUpload.objects.filter(pk=kept.pk).exists()
    assert not storage.exists(name)
    assert pending_uploads_expire(now=kept.expires_at + timedelta(hours=1)) == 0


def test_a_limit_reached_by_kept_files_alone_is_still_said(worker, patient, login, settings):
    settings.ATTACHMENTS_PER_CONSULT = 2
    client = login(worker)
    client_id = uuid.uuid4()
    _post(client, _data(patient, client_id, question="", files=[_photo(), _photo("b.jpg", "blue")]))
    settings.ATTACHMENTS_PER_CONSULT = 1  # lowered meanwhile: the kept files no longer fit
    response = _post(client, _data(patient, client_id))
    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        vi("A consultation holds at most %(limit)s files.", limit=1)
    ]
