"""Certificates of completed courses: issued once with a signed credential, verified publicly
by number (valid, revoked at once, tampered rejected), downloaded as a Vietnamese PDF."""

import base64
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from caunoi.audit.models import AuditEvent
from caunoi.training.certificates import verify
from caunoi.training.models import AttendanceSource, Certificate
from caunoi.training.services import (
    attendance_join,
    attendance_leave,
    certificate_revoke,
    course_complete,
)
from caunoi.training.tests.test_courses import _learners, _past_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def cert(centre, specialist, worker):
    course, s = _past_course(centre, specialist, [worker])
    attendance_join(session=s, user=worker, source=AttendanceSource.VIDEO, at=s.starts_at)
    attendance_leave(session=s, user=worker, at=s.ends_at)
    course_complete(course=course, actor=specialist)
    return Certificate.objects.get(user=worker)


def _payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _with_payload(token, claims):
    header, _body, signature = token.split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_completion_issues_one_certificate_whose_credential_verifies(cert, centre, specialist):
    assert cert.number.startswith("CN-")
    claims = _payload(cert.credential)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == "Sùng Thị Mai"
    assert claims["certificateNumber"] == cert.number
    check = verify(cert.credential)
    assert check.signed
    assert check.matches
    # Completing again issues nothing more.
    course_complete(course=cert.course, actor=specialist)
    assert Certificate.objects.count() == 1


def test_a_tampered_credential_is_rejected(cert):
    claims = _payload(cert.credential)
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Người Khác"
    forged = _with_payload(cert.credential, claims)
    assert not verify(forged).signed
    assert not verify(forged).genuine
    assert not verify("not.a.credential").genuine
    assert not verify("garbage").genuine
    page = Client().post("/verify/", {"credential": forged}).content.decode()
    assert "Không xác thực: chữ ký không khớp" in page


def test_the_public_page_shows_only_the_minimum_and_revocation_shows_at_once(
    cert, specialist, worker
):
    anonymous = Client()
    page = anonymous.get(f"/verify/{cert.number}/").content.decode()
    assert "Giấy chứng nhận hợp lệ" in page
    assert "Sùng Thị Mai" in page
    assert cert.course.title_vi in page
    licence = worker.memberships.exclude(licence_number="").values_list("licence_number", flat=True)
    for secret in [*licence, worker.email, worker.phone, worker.username]:
        if secret:
            assert secret not in page
    with pytest.raises(PermissionDenied):
        certificate_revoke(certificate=cert, actor=worker, reason="Tự thu hồi")
    certificate_revoke(certificate=cert, actor=specialist, reason="Điểm danh sai, đã kiểm tra lại")
    page = anonymous.get(f"/verify/{cert.number}/").content.decode()
    assert "Đã thu hồi ngày" in page
    assert "Giấy chứng nhận hợp lệ" not in page
    assert AuditEvent.objects.filter(purpose="CME certificate revoked", actor=specialist).exists()
    api = anonymous.get(f"/api/certificates/{cert.number}").json()
    assert api["valid"] is False
    assert api["revoked_on"] == timezone.localdate().isoformat()


def test_an_unknown_number_is_a_clear_404(db):
    response = Client().get("/verify/CN-XXXX-0000/")
    assert response.status_code == 404
    assert "Không có giấy chứng nhận nào mang số" in response.content.decode()
    assert Client().get("/api/certificates/CN-XXXX-0000").status_code == 404


def test_the_api_verifies_without_signing_in(cert):
    body = Client().get(f"/api/certificates/{cert.number.lower()}").json()
    assert body["valid"] is True
    assert body["learner"] == "Sùng Thị Mai"
    assert body["tiet"] == "8.0"
    assert set(body) == {
        "number",
        "learner",
        "course",
        "tiet",
        "issued_on",
        "issuer",
        "cme_provider_code",
        "valid",
        "revoked_on",
        "credential",
    }


def test_only_the_learner_and_the_organisers_open_the_certificate_and_its_pdf(
    cert, worker, specialist, login
):
    (other,) = _learners(1)
    assert login(other).get(cert.get_absolute_url()).status_code == 404
    assert login(other).get(f"/training/certificates/{cert.public_id}.pdf").status_code == 404
    assert login(specialist).get(cert.get_absolute_url()).status_code == 200
    response = login(worker).get(f"/training/certificates/{cert.public_id}.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in [
        "GIẤY CHỨNG NHẬN ĐÀO TẠO LIÊN TỤC",
        "Sùng Thị Mai",
        cert.number,
        "HUE-CME-01",
        "Số tiết học: 8\n",
    ]:
        assert expected in text, expected


def test_the_public_key_is_published_as_a_jwk_set(db):
    keys = Client().get("/training/certificates/jwks.json").json()["keys"]
    assert keys[0]["kty"] == "OKP"
    assert keys[0]["crv"] == "Ed25519"
    assert len(base64.urlsafe_b64decode(keys[0]["x"] + "=")) == 32
