"""Audit purposes are stored in English, never rewritten, and shown in the reader's language
through one mapping — on the patient page's access log and in the admin."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from django.utils import translation

from caunoi.audit.models import AuditEvent
from caunoi.audit.purposes import PURPOSES, purpose_label
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient

PACKAGE = Path(__file__).resolve().parents[2]
# Functions that write an audit row with their ``purpose`` keyword.
PURPOSE_KEYWORD = {"audit_record", "record_step"}


def _written_purposes() -> dict[str, str]:
    """Every purpose the code writes: ``audit_record(purpose=…)``, ``record_step(purpose=…)``
    and ``as_read(…)``. An f-string counts by its fixed beginning (``f"overdue: {which}"``)."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        if {"tests", "migrations"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            values: list[ast.expr] = []
            if name in PURPOSE_KEYWORD:
                values = [k.value for k in node.keywords if k.arg == "purpose"]
            elif name == "as_read" and node.args:
                values = [node.args[0]]
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[value.value] = where
                elif isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
                    found[str(value.values[0].value) + "*"] = where
    return found


def test_every_purpose_the_code_writes_has_its_words():
    written = _written_purposes()
    assert {
        "patient record",
        "registration",
        "teleconsultation",
        "overdue: *",
        "referral accepted",  # through record_step
        "deadline passed",
    } <= set(written)
    missing = {
        purpose: where
        for purpose, where in written.items()
        if not (
            purpose in PURPOSES
            or (purpose.endswith("*") and any(p.startswith(purpose[:-1]) for p in PURPOSES))
        )
    }
    assert missing == {}, "add these to caunoi/audit/purposes.py"


def test_a_stored_purpose_reads_in_the_reader_s_language_and_unknown_words_stay():
    stored = "patient record, teleconsultation, something new"
    with translation.override("en"):
        assert purpose_label(stored) == stored
    with translation.override("vi"):
        assert purpose_label(stored) == "hồ sơ người bệnh, hội chẩn từ xa, something new"
        assert purpose_label("closed") == "kết thúc ca hội chẩn"  # not the status "đã kết thúc"
        assert purpose_label("") == ""


@pytest.mark.django_db
def test_the_patient_page_access_log_reads_in_the_page_s_language(worker, specialist, login):
    patient = make_patient(worker, name="Lù Thị Nhìa")
    consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    client = login(worker)
    client.get(f"/patients/{patient.public_id}/")  # a read, now in the log
    stored = set(
        AuditEvent.objects.for_object("patients.patient", str(patient.public_id)).values_list(
            "purpose", flat=True
        )
    )
    assert "registration" in stored
    assert any("patient record" in p for p in stored)

    client.cookies["django_language"] = "vi"
    vietnamese = client.get(f"/patients/{patient.public_id}/").content.decode()
    log = vietnamese[vietnamese.index("<h2>Những người đã truy cập hồ sơ này</h2>") :]
    assert '<th scope="col">Người thực hiện</th>' in log
    assert "<td>đăng ký người bệnh</td>" in log
    assert "<td>hồ sơ người bệnh" in log
    for english in ("registration", "patient record", "consent<", "Thông tin cá nhân"):
        assert english not in log

    client.cookies["django_language"] = "en"
    english = client.get(f"/patients/{patient.public_id}/").content.decode()
    log = english[english.index("<h2>Who accessed this record</h2>") :]
    assert '<th scope="col">Person</th>' in log
    assert "<td>registration</td>" in log
    assert "<td>patient record" in log


@pytest.mark.django_db
def test_the_admin_shows_the_purpose_in_the_reader_s_language(network_admin, login):
    from caunoi.audit.models import AuditAction
    from caunoi.audit.services import audit_record

    audit_record(  # as the demo network writes it when it is loaded
        actor=None,
        action=AuditAction.CREATE,
        object_type="network.demo",
        object_label="demo network",
        purpose="demo data",
        detail={},
    )
    event = AuditEvent.objects.filter(purpose="demo data").order_by("-id").first()
    assert event is not None
    client = login(network_admin)
    client.cookies["django_language"] = "vi"
    listing = client.get("/admin/audit/auditevent/?action=create").content.decode()
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/").content.decode()
    for html in (listing, page):
        assert "dữ liệu minh họa" in html
        assert "demo data" not in html
    event.refresh_from_db()
    assert event.purpose == "demo data"  # the evidence is not rewritten
