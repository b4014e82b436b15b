"""Every URL pattern and API route is classified, and every one that shows patient data writes
an audit row naming the reader, the patients and the purpose (caunoi/patients/reads.py).

A new URL fails ``test_every_url_is_classified`` until it is put in one of the tables below;
one put in READS is then walked by ``test_reading_patient_data_is_audited``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from caunoi.audit.models import AuditEvent
from caunoi.codes.models import IcdCode
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_claim,
    consultation_close,
    consultation_submit,
    pending_uploads_keep,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.services import (
    referral_accept,
    referral_arrive,
    referral_counter_refer,
    referral_discharge,
)
from caunoi.referrals.tests.factories import make_referral
from caunoi.video.models import RecordingFile, VideoRecording
from caunoi.video.services import video_session_schedule

pytestmark = pytest.mark.django_db

# URL name → (reader, path template, patients the answer shows: "patient" or "both").
READS = {
    "home": ("worker", "/", "other"),
    "patients:list": ("worker", "/patients/", "both"),
    "patients:detail": ("worker", "/patients/{patient}/", "patient"),
    "patients:register": None,  # the empty form reads nothing; covered by WRITES
    "consults:list": ("worker", "/consults/", "patient"),
    "consults:new": ("worker", "/consults/new/?patient={other}", "other"),
    "consults:detail": ("worker", "/consults/{consult}/", "patient"),
    "consults:edit": ("worker", "/consults/{draft}/edit/", "other"),
    "consults:minutes": ("worker", "/consults/{consult}/minutes.pdf", "patient"),
    "consults:file": ("specialist", "/consults/{consult}/files/{attachment}/", "patient"),
    "consults:thumb": ("specialist", "/consults/{consult}/files/{attachment}/thumb/", "patient"),
    "consults:pending_thumb": ("worker", "/consults/pending/{pending}/thumb/", "patient"),
    "video:list": ("worker", "/video/", "patient"),
    "video:new": ("specialist", "/video/new/?consult={open}", "other"),
    "video:room": ("worker", "/video/{session}/", "patient"),
    "video:ics": ("worker", "/video/{session}/invite.ics", "patient"),
    "video:recording": ("worker", "/video/{session}/recordings/{recording}.webm", "patient"),
    "referrals:list": ("receiver", "/referrals/?box=in", "patient"),
    "referrals:new": ("worker", "/referrals/new/?patient={patient}", "patient"),
    "referrals:detail": ("receiver", "/referrals/{referral}/", "patient"),
    "referrals:slip": ("receiver", "/referrals/{referral}/slip.pdf", "patient"),
    "referrals:counter_pdf": ("worker", "/referrals/{counter}/counter-referral.pdf", "patient"),
    "api:list_patients": ("worker", "/api/patients?q=xinh", "patient"),
    "api:get_patient": ("worker", "/api/patients/{patient}", "patient"),
    "api:list_consults": ("specialist", "/api/consults?queue=hub&limit=200", "other"),
    "api:get_consult": ("specialist", "/api/consults/{consult}", "patient"),
    "api:get_session": ("worker", "/api/video-sessions/{session}", "patient"),
    "api:list_referrals": ("receiver", "/api/referrals?box=in", "patient"),
    "api:get_referral": ("receiver", "/api/referrals/{referral}", "patient"),
    # FHIR: a patient read or searched (here with the session; a token reads the same way).
    "fhir:instance": ("worker", "/fhir/R4/Patient/{patient}", "patient"),
    "fhir:type": ("worker", "/fhir/R4/Patient?name=xinh", "patient"),
    "fhir:vread": ("worker", "/fhir/R4/Patient/{patient}/_history/{patient_version}", "patient"),
}
READS = {name: how for name, how in READS.items() if how is not None}

# State changes: each goes through a service that writes its own audit row (tested with the
# services); an answer that shows the record afterwards is recorded as a read too.
WRITES = {
    "patients:register", "patients:consent", "patients:consent_withdraw",
    "consults:message", "consults:attach", "consults:advice", "consults:close", "consults:claim",
    "consults:cancel", "consults:assign", "consults:reroute", "consults:invite",
    "video:remove", "video:end", "referrals:step",
    # Resumable uploads (tus): the person's own bytes and offsets; completing one keeps the
    # file for the form (audited as an attachment), and no answer shows patient data.
    "uploads", "upload",
    "api:create_patient", "api:create_consult", "api:add_attachments", "api:post_message",
    "api:claim", "api:advise", "api:close", "api:create_session", "api:create_referral",
    "api:accept", "api:decline", "api:arrive", "api:discharge", "api:counter_referral",
    "api:acknowledge",
    "token_revoke", "set_language", "notifications:read", "monitoring:dhis2_push", "logout",
    "password_reset", "password_reset_confirm", "password_change", "two_factor_enrol",
    "two_factor_verify", "two_factor_codes", "two_factor_disable",
    # The key a browser encrypts the forms it keeps unsent with (made and audited; only ever
    # a key, never a form's content).
    "draft_key", "draft_key_earlier",
    # Training: enrolments, attendance, certificates; proposing a teaching case reads the
    # consultation through its access helper (audited there) and writes the case.
    "training:enrol", "training:cancel", "training:revoke", "training:compute",
    "training:correct", "training:check_in", "training:case_propose", "training:case_review",
    "training:room_open", "training:room_enter",
    "api:enrol", "api:publish_course", "api:propose_teaching_case",
    "training:nominate", "training:material_add", "training:session_case", "training:check",
    # Technique transfer: no patient identity in a transfer, its cases or its reports.
    "transfers:new", "transfers:step", "api:create_transfer", "api:add_case",
    "api:sign_off_transfer", "api:authorise_transfer", "api:file_report",
    # Protocols: no patient data.
    "protocols:new", "protocols:acknowledge", "protocols:version_new",
    "api:acknowledge_protocol",
    # Quality self-assessment: no patient data.
    "quality:start", "quality:step", "quality:action_done",
    # Programmes: money and aggregates, no patient data.
    "api:create_programme", "api:create_kit", "programmes:step",
    # SMART Backend Services: a system client's token (audited as a token created).
    "fhir:token",
    # Janus's events: joins and leaves of a session (audited as joins), no patient data.
    "video:janus_events",
}  # fmt: skip

# No patient data at all: the registry, codes, aggregates, the person's own things.
NO_PATIENT_DATA = {
    "healthz", "manifest", "service_worker", "offline", "notifications:channels",
    "notifications:push", "login", "password_reset_done", "password_reset_complete",
    "password_change_done", "two_factor", "profile", "network:facilities", "network:facility",
    "network:provinces", "network:province", "consults:icd", "consults:roster",
    "notifications:list", "monitoring:dashboard", "commune_options",
    "forms_received",  # which of the person's own form ids the server holds, ids only
    "api:openapi-json", "api:openapi-view", "api:api-root", "api:list_provinces",
    "api:list_communes", "api:list_specialties", "api:list_facilities", "api:get_facility",
    "api:list_support_links", "api:list_indicators", "api:indicator_values",
    "api:get_ice_servers", "api:post_sfu",
    "api:triage_check",  # ages, measurements and signs in, the rules' answer out: no patient
    # Training: courses, ledgers and certificates hold no patient data; a teaching case is
    # de-identified by construction (training/README.md) and never leads back to the record.
    "training:catalogue", "training:course", "training:ledger", "training:session",
    "training:compliance",
    "training:certificate", "training:certificate_pdf", "training:certificate_keys",
    "training:cases", "training:case", "training:case_image", "certificate_verify",
    "certificate_verify_form", "api:list_courses", "api:get_course", "api:ledger",
    "api:get_certificate", "api:session_attendance",
    "training:staff", "training:staff_ledger", "training:evidence", "training:test",
    "training:material", "training:evaluate", "training:test_edit",
    "transfers:list", "transfers:detail", "transfers:agreement", "api:list_transfers",
    "api:get_transfer", "protocols:list", "protocols:detail", "protocols:version",
    "protocols:document", "api:list_protocols", "quality:home", "quality:detail",
    "quality:evidence", "api:list_assessments", "programmes:list", "programmes:detail",
    "api:list_programmes", "api:get_programme", "programmes:iati", "api:programme_iati",
    "api:list_kits", "programmes:logframe", "programmes:kits", "programmes:report",
    "programmes:document", "programmes:evidence", "api:programme_logframe",
    # FHIR: the CapabilityStatement, and the OperationOutcome for a path that is none.
    "fhir:metadata", "fhir:not_found",
    "fhir:history",  # only the directory's types keep a history here
    "fhir:smart_configuration",
}  # fmt: skip


def _names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(x for x in (namespace, p.namespace or "") if x)
            names |= _names(p, inner)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{namespace}:{p.name}" if namespace else p.name)
    return names


def test_every_url_is_classified():
    names = {n for n in _names(get_resolver()) if not n.startswith("admin:")}
    classified = set(READS) | WRITES | NO_PATIENT_DATA
    assert names - classified == set(), "classify the new URL in tests/trust/test_read_audit.py"
    assert classified - names == set()


@pytest.fixture
def world(worker, specialist, receiver):
    patient = make_patient(worker, name="Hầu Thị Xinh")
    other = make_patient(worker, name="Vàng Văn Sử")
    consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient,
            specialty=internal_medicine(),
            summary=summary(),
            uploads=[Upload("anh.jpg", jpeg_bytes())],
        ),
    )
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now() + timedelta(hours=1),
        participants=[],
        consultation=consult,
    )
    consultation_claim(consultation=consult, actor=specialist)
    consult.refresh_from_db()
    advice_record(
        consultation=consult,
        actor=specialist,
        advice="Theo dõi tại trạm.",
        outcome="manage_locally",
        diagnoses=[IcdCode.objects.get(code="J18.9")],
    )
    consult.refresh_from_db()
    consultation_close(consultation=consult, actor=worker, action_taken="Điều trị tại trạm.")
    open_consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=other, specialty=internal_medicine(), summary=summary()),
    )
    draft, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=False,
        data=ConsultationInput(patient=other, specialty=internal_medicine(), summary=summary()),
    )
    pending, _refused = pending_uploads_keep(
        actor=worker,
        patient=patient,
        client_id=uuid.uuid4(),
        uploads=[Upload("anh.jpg", jpeg_bytes(color="blue"))],
    )
    referral = make_referral(worker, patient)
    counter = make_referral(worker, patient)
    referral_accept(referral=counter, actor=receiver)
    counter.refresh_from_db()
    referral_arrive(referral=counter, actor=receiver)
    counter.refresh_from_db()
    referral_discharge(referral=counter, actor=receiver, outcome="outpatient")
    counter.refresh_from_db()
    referral_counter_refer(referral=counter, actor=receiver, diagnosis="Viêm phổi", follow_up="x")
    patient.refresh_from_db()
    recording = VideoRecording.objects.create(
        session=session, requested_by=specialist, status="ready"
    )
    part = RecordingFile(recording=recording, duration_seconds=3.0, size=4)
    part.file.save("r.webm", ContentFile(b"\x1a\x45\xdf\xa3"), save=True)
    return {
        "patient": patient,
        # FHIR's version of the patient's record: the instant of its last change.
        "patient_version": str(int(patient.updated_at.timestamp() * 1_000_000)),
        "other": other,
        "consult": consult,
        "open": open_consult,
        "draft": draft,
        "attachment": consult.attachments.get(),
        "session": session,
        "referral": referral,
        "counter": counter,
        "pending": pending[0],
        "recording": part,
    }


@pytest.mark.parametrize("name", sorted(READS))
def test_reading_patient_data_is_audited(name, world, login, api_client, request):
    reader_name, template, shows = READS[name]
    reader = request.getfixturevalue(reader_name)
    path = template.format(**{k: getattr(v, "public_id", v) for k, v in world.items()})
    client = api_client(reader) if name.startswith("api:") else login(reader)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    rows = list(AuditEvent.objects.filter(id__gt=before, action="view"))
    assert len(rows) == 1, [r.purpose for r in rows]
    row = rows[0]
    assert row.actor == reader
    expected = {
        "patient": {world["patient"]},
        "other": {world["other"]},
        "both": {world["patient"], world["other"]},
    }[shows]
    assert {str(p.public_id) for p in expected} <= set(row.detail["patients"])
    assert row.purpose
    assert row.object_type == "patients.patient"
    if len(row.detail["patients"]) == 1:
        assert row.object_id == row.detail["patients"][0]


def test_a_refused_read_writes_no_read_row(world, officer, login):
    client = login(officer)
    before = AuditEvent.objects.filter(action="view").count()
    response = client.get(f"/patients/{world['patient'].public_id}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="view").count() == before


def test_a_list_read_is_one_row_naming_every_patient_shown(world, worker, login):
    make_patient(worker, name="Lý Thị Ba")
    client = login(worker)
    before = AuditEvent.objects.filter(action="view").count()
    page = client.get("/patients/?q=thi")
    assert page.status_code == 200
    row = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    shown = {str(p.public_id) for p in page.context["page"].object_list}
    assert shown == set(row.detail["patients"])
    assert len(shown) >= 2
    assert row.object_id == ""
