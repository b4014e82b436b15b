"""Resumable uploads (tus 1.0) of a consult form's photos: through an independent client (tuspy)
against the running server, cut and resumed from several offsets, each piece's checksum and the
whole file's SHA-256 verified; and every bad request answered with the protocol's status and
changing nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import socket
import urllib.parse
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.consults.models import PendingUpload, ResumableUpload
from caunoi.consults.resumable import part_path, resumable_expire
from caunoi.patients.tests.factories import make_patient

TOKEN = "k" * 32  # the CSRF token the page would carry: cookie and header agree


def photo(width: int = 900, height: int = 700, seed: int = 1) -> bytes:
    """A phone-like JPEG: noise, so that it does not compress to nothing (≈ 0.5–1 MB)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def meta(patient, client_id, data: bytes, name: str = "anh-vet-thuong.jpg") -> dict[str, str]:
    return {
        "filename": name,
        "client_id": str(client_id),
        "patient": str(patient.public_id),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def header(metadata: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())


# --- through tuspy, against the running server ----------------------------------------------


@pytest.fixture
def station(committed_db, live_server_url):
    """``worker`` signed in (session and CSRF cookies as the page has them), a patient of her
    station, a form; everything made is removed afterwards."""
    worker = User.objects.get(username="worker")
    client = Client()
    client.force_login(worker)
    patient = make_patient(worker, name="Vàng Thị Sua")
    yield {
        "url": f"{live_server_url}/api/uploads/",
        "headers": {
            "Cookie": f"sessionid={client.session.session_key}; csrftoken={TOKEN}",
            "X-CSRFToken": TOKEN,
        },
        "patient": patient,
        "client_id": uuid.uuid4(),
        "worker": worker,
    }
    for row in ResumableUpload.objects.filter(patient=patient):
        part_path(row).unlink(missing_ok=True)
    ResumableUpload.objects.filter(patient=patient).delete()
    for kept in PendingUpload.objects.filter(patient=patient):
        kept.file.delete(save=False)
        kept.thumbnail.delete(save=False)
    PendingUpload.objects.filter(patient=patient).delete()
    patient.consents.all().delete()
    patient.delete()


def _uploader(station, data: bytes, **kwargs):
    from tusclient import client

    tus = client.TusClient(station["url"], headers=station["headers"])
    return tus.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=64 * 1024,
        metadata=meta(station["patient"], station["client_id"], data),
        upload_checksum=True,
        retries=0,
        **kwargs,
    )


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9])
def test_an_upload_cut_part_way_resumes_from_the_servers_offset_and_joins_the_form(station, cut):
    data = photo()
    assert len(data) > 400_000
    first = _uploader(station, data)
    first.upload(stop_at=int(len(data) * cut))
    row = ResumableUpload.objects.get(public_id=first.url.rsplit("/", 1)[1])
    stopped = row.offset
    assert 0 < stopped < len(data)
    assert stopped == first.offset
    assert part_path(row).stat().st_size == stopped
    assert row.completed_at is None
    assert not PendingUpload.objects.filter(client_id=station["client_id"]).exists()

    # The link comes back: a new client, knowing only the upload's address, asks where it
    # stands and sends the rest.
    second = _uploader(station, data, url=first.url)
    assert second.offset == stopped
    second.upload()
    row.refresh_from_db()
    assert row.offset == len(data)
    assert row.completed_at is not None
    assert not part_path(row).exists()
    kept = PendingUpload.objects.get(client_id=station["client_id"])
    assert row.pending == kept
    assert kept.owner == station["worker"]
    assert kept.original_name == "anh-vet-thuong.jpg"
    assert kept.content_type == "image/jpeg"


def test_the_same_photo_sent_again_for_the_same_form_is_kept_once(station):
    data = photo(seed=2)
    first = _uploader(station, data)
    first.upload(stop_at=100_000)
    again = _uploader(station, data)  # the creation sent again, the first answer lost
    again.upload()
    first_row = ResumableUpload.objects.get(public_id=first.url.rsplit("/", 1)[1])
    assert first_row.completed_at is None  # left to expire
    other = _uploader(station, data, url=first.url)
    other.upload()
    assert ResumableUpload.objects.filter(client_id=station["client_id"]).count() == 2
    assert PendingUpload.objects.filter(client_id=station["client_id"]).count() == 1


def _cut_patch(station, url: str, offset: int, piece: bytes, send: int) -> None:
    """A PATCH whose connection falls after ``send`` bytes of its body."""
    parts = urllib.parse.urlsplit(url)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(piece)}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in station["headers"].items())
        + "\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head.encode() + piece[:send])


def test_a_connection_cut_inside_a_piece_changes_nothing_and_the_upload_completes(station):
    data = photo(seed=3)
    first = _uploader(station, data)
    first.upload(stop_at=200_000)
    offset = first.offset
    _cut_patch(station, first.url, offset, data[offset : offset + 64 * 1024], send=10_000)
    second = _uploader(station, data, url=first.url)
    assert second.offset == offset  # nothing of the cut piece was taken
    second.upload()
    row = ResumableUpload.objects.get(public_id=first.url.rsplit("/", 1)[1])
    assert row.completed_at is not None
    assert row.pending is not None


# --- the protocol's refusals, through Django's test client -----------------------------------


@pytest.fixture
def form(db):
    worker = User.objects.get(username="worker")
    client = Client(enforce_csrf_checks=False)
    client.force_login(worker)
    patient = make_patient(worker, name="Lò Văn Pháng")
    return {"client": client, "patient": patient, "client_id": uuid.uuid4(), "worker": worker}


def _create(form, data: bytes, **overrides):
    metadata = {**meta(form["patient"], form["client_id"], data), **overrides}
    return form["client"].post(
        "/api/uploads/",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": header(metadata),
        },
    )


def _patch(form, location: str, offset: int, piece: bytes, **headers):
    return form["client"].patch(
        location,
        piece,
        content_type=headers.pop("content_type", "application/offset+octet-stream"),
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), **headers},
    )


def _checksum(piece: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(piece).digest()).decode()


def test_the_server_says_what_it_speaks(form):
    answer = form["client"].options("/api/uploads/")
    assert answer.status_code == 204
    assert answer["Tus-Version"] == "1.0.0"
    assert set(answer["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "checksum",
        "expiration",
    }
    assert set(answer["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "sha256"}
    assert int(answer["Tus-Max-Size"]) == 10 * 1024 * 1024


def test_a_damaged_piece_is_refused_whole_and_the_good_one_then_taken(form):
    data = photo(300, 200)
    created = _create(form, data)
    assert created.status_code == 201
    location = created["Location"]
    piece = data[:4096]
    damaged = bytes([piece[0] ^ 0xFF]) + piece[1:]
    refused = _patch(form, location, 0, damaged, **{"Upload-Checksum": _checksum(piece)})
    assert refused.status_code == 460
    assert "hỏng" in refused.json()["message"] or "damaged" in refused.json()["message"]
    assert form["client"].head(location, headers={"Tus-Resumable": "1.0.0"})["Upload-Offset"] == "0"
    row = ResumableUpload.objects.get(public_id=location.rsplit("/", 1)[1])
    assert part_path(row).stat().st_size == 0
    taken = _patch(form, location, 0, piece, **{"Upload-Checksum": _checksum(piece)})
    assert taken.status_code == 204
    assert taken["Upload-Offset"] == "4096"
    rest = _patch(form, location, 4096, data[4096:])
    assert rest.status_code == 204
    assert rest["Upload-Kept"] == str(
        PendingUpload.objects.get(client_id=form["client_id"]).public_id
    )


def test_a_whole_file_other_than_the_one_announced_is_refused_and_the_upload_removed(form):
    data = photo(300, 200)
    created = _create(form, data, sha256=hashlib.sha256(b"another file").hexdigest())
    location = created["Location"]
    refused = _patch(form, location, 0, data)
    assert refused.status_code == 460
    assert not ResumableUpload.objects.filter(client_id=form["client_id"]).exists()
    assert not PendingUpload.objects.filter(client_id=form["client_id"]).exists()
    gone = form["client"].head(location, headers={"Tus-Resumable": "1.0.0"})
    assert gone.status_code == 404


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_when_complete(form):
    data = b"MZ" + b"\0" * 5000  # a Windows program, whatever its name says
    created = _create(form, data, filename="anh.jpg")
    refused = _patch(form, created["Location"], 0, data)
    assert refused.status_code == 422
    assert not ResumableUpload.objects.filter(client_id=form["client_id"]).exists()
    assert not PendingUpload.objects.filter(client_id=form["client_id"]).exists()


def test_bad_requests_get_the_protocols_status_and_change_nothing(form, settings):
    client = form["client"]
    data = photo(300, 200)
    # Too large for an attachment.
    settings.ATTACHMENT_MAX_BYTES = len(data) - 1
    too_big = _create(form, data)
    assert too_big.status_code == 413
    assert not ResumableUpload.objects.exists()
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    # Without the protocol's version.
    no_version = client.post("/api/uploads/", headers={"Upload-Length": "10"})
    assert no_version.status_code == 412
    assert no_version["Tus-Version"] == "1.0.0"
    # Without the metadata the form needs.
    bare = client.post(
        "/api/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data))}
    )
    assert bare.status_code == 400
    assert "sha256" in bare.json()["message"]
    assert not ResumableUpload.objects.exists()
    created = _create(form, data)
    location = created["Location"]
    # A piece at the wrong offset, or of the wrong type.
    assert _patch(form, location, 100, data[100:200]).status_code == 409
    assert _patch(form, location, 0, data[:100], content_type="text/plain").status_code == 415
    # More than the announced length.
    assert _patch(form, location, 0, data + b"x").status_code == 413
    row = ResumableUpload.objects.get(public_id=location.rsplit("/", 1)[1])
    assert row.offset == 0
    assert part_path(row).stat().st_size == 0
    # Someone else's upload does not exist for them.
    other = Client()
    other.force_login(User.objects.get(username="specialist"))
    assert other.head(location, headers={"Tus-Resumable": "1.0.0"}).status_code == 404
    assert (
        other.patch(
            location,
            data[:10],
            content_type="application/offset+octet-stream",
            headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
        ).status_code
        == 404
    )
    # Signed out.
    assert Client().head(location, headers={"Tus-Resumable": "1.0.0"}).status_code == 401
    # Past its time.
    ResumableUpload.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(1))
    assert _patch(form, location, 0, data[:100]).status_code == 410
    row.refresh_from_db()
    assert row.offset == 0


def test_a_person_outside_the_patients_care_is_told_no_such_patient(form, outsider):
    client = Client()
    client.force_login(outsider)
    data = photo(300, 200)
    answer = _create({**form, "client": client}, data)
    assert answer.status_code == 404
    assert not ResumableUpload.objects.exists()
    assert form["patient"].full_name not in answer.content.decode()


def test_termination_removes_the_bytes_and_is_audited(form):
    data = photo(300, 200)
    location = _create(form, data)["Location"]
    _patch(form, location, 0, data[:1000])
    row = ResumableUpload.objects.get(public_id=location.rsplit("/", 1)[1])
    path = part_path(row)
    assert path.stat().st_size == 1000
    with django_capture_on_commit():
        gone = form["client"].delete(location, headers={"Tus-Resumable": "1.0.0"})
    assert gone.status_code == 204
    assert not ResumableUpload.objects.filter(pk=row.pk).exists()
    assert not path.exists()
    event = AuditEvent.objects.filter(action="delete", purpose="attachment").latest("pk")
    assert event.actor_id == form["worker"].pk
    assert event.detail["resumable"] == "anh-vet-thuong.jpg"


def test_expiry_removes_unfinished_uploads_and_their_bytes(form):
    data = photo(300, 200)
    location = _create(form, data)["Location"]
    _patch(form, location, 0, data[:1000])
    row = ResumableUpload.objects.get(public_id=location.rsplit("/", 1)[1])
    assert resumable_expire() == 0
    with django_capture_on_commit():
        assert resumable_expire(now=row.expires_at + timedelta(seconds=1)) == 1
    assert not ResumableUpload.objects.filter(pk=row.pk).exists()
    assert not part_path(row).exists()


def django_capture_on_commit():
    """Run the on-commit callbacks of the test's (never committed) transaction."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
