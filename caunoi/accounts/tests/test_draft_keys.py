"""The keys a browser encrypts the forms it keeps unsent with (README: "Forms kept on this
device"): one per session, handed only to their owner, never cached, destroyed at log-out and
audited; and the question the browser asks before sending a kept form (which are already here)."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import DraftKey
from caunoi.accounts.services import DRAFT_KEY_DAYS, draft_key_issue
from caunoi.accounts.tasks import draft_keys_expire_task
from caunoi.audit.models import AuditAction, AuditEvent
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _secret(answer: dict[str, str]) -> bytes:
    return base64.urlsafe_b64decode(answer["key"] + "=" * (-len(answer["key"]) % 4))


def test_a_session_gets_one_key_never_cached_and_its_owner_only_can_fetch_it_again(
    worker, specialist, login
):
    client = login(worker)
    assert client.get("/accounts/draft-key/").status_code == 405  # asking makes one: POST
    first = client.post("/accounts/draft-key/")
    assert first.status_code == 200
    assert "no-store" in first["Cache-Control"]
    answer = first.json()
    key = DraftKey.objects.get(user=worker)
    assert answer["id"] == str(key.public_id)
    assert _secret(answer) == bytes(key.secret)
    assert len(_secret(answer)) == 32
    assert answer["csrf"]
    # The same session asks again: the same key.
    assert client.post("/accounts/draft-key/").json()["key"] == answer["key"]
    assert DraftKey.objects.filter(user=worker).count() == 1
    # Its owner, signed in again in another session, may fetch it by its id (her forms kept
    # from a session that ended without signing out); handing it over is audited, once.
    other_session = login(worker)
    for _ in range(2):
        again = other_session.get(f"/accounts/draft-key/{key.public_id}/")
        assert again.status_code == 200
        assert again.json()["key"] == answer["key"]
    assert "no-store" in again["Cache-Control"]
    handed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(key.public_id))
    assert handed.count() == 1
    # ...but a new session asking makes a new key of its own.
    assert other_session.post("/accounts/draft-key/").json()["id"] != answer["id"]
    # Nobody else may, and a key that does not exist is the same 404.
    assert login(specialist).get(f"/accounts/draft-key/{key.public_id}/").status_code == 404
    assert client.get(f"/accounts/draft-key/{uuid.uuid4()}/").status_code == 404
    # Signed out, the answer is the log-in page, never a key.
    anonymous = Client().post("/accounts/draft-key/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    created = AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="accounts.draftkey", actor=worker
    )
    assert created.count() == 2


def test_logging_out_destroys_every_key_the_session_used_and_only_those(worker, login):
    earlier = draft_key_issue(user=worker, session="a-session-that-expired")
    elsewhere = draft_key_issue(user=worker, session="the-phone")
    client = login(worker)
    made = client.post("/accounts/draft-key/").json()["id"]
    assert client.get(f"/accounts/draft-key/{earlier.public_id}/").status_code == 200
    client.post("/accounts/logout/")
    left = set(DraftKey.objects.filter(user=worker).values_list("public_id", flat=True))
    assert left == {elsewhere.public_id}
    destroyed = AuditEvent.objects.filter(
        action=AuditAction.DELETE, object_type="accounts.draftkey", actor=worker
    )
    assert set(destroyed.values_list("object_id", flat=True)) == {made, str(earlier.public_id)}
    # Signed in again: the destroyed key is gone for her too.
    assert login(worker).get(f"/accounts/draft-key/{earlier.public_id}/").status_code == 404


def test_keys_past_their_time_are_destroyed_and_audited(worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = draft_key_issue(user=worker, session="s")
    # Its end is scheduled when it is made.
    scheduled = DBTaskResult.objects.get(task_path__endswith="draft_keys_expire_task")
    expected = old.created_at + timedelta(days=DRAFT_KEY_DAYS)
    assert abs(scheduled.run_after - expected) < timedelta(seconds=5)
    DraftKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=DRAFT_KEY_DAYS, minutes=1)
    )
    recent = draft_key_issue(user=worker, session="s")
    assert draft_keys_expire_task.call() == 1
    assert list(DraftKey.objects.filter(user=worker)) == [recent]
    gone = AuditEvent.objects.get(action=AuditAction.DELETE, object_id=str(old.public_id))
    assert gone.detail == {"why": "expired"}
    assert draft_keys_expire_task.call() == 0  # again, or late: nothing more


def test_the_server_says_which_kept_forms_it_already_holds_from_this_person_only(
    worker, specialist, login
):
    consult_id = uuid.uuid4()
    patient = make_patient(worker, name="Sùng Thị Mỷ")
    patient_id = patient.client_id
    consultation_submit(
        actor=worker,
        client_id=consult_id,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), urgency="routine", summary=summary()
        ),
        submit=True,
    )
    saved_as_draft = uuid.uuid4()
    consultation_submit(
        actor=worker,
        client_id=saved_as_draft,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), urgency="routine", summary=summary()
        ),
        submit=False,
    )
    unsent = uuid.uuid4()
    query = f"?id={patient_id}&id={consult_id}&id={saved_as_draft}&id={unsent}&id=not-a-uuid"
    answer = login(worker).get("/forms/received/" + query)
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    assert answer.json() == {"received": sorted([str(patient_id), str(consult_id)])}
    # Another person's ids tell nothing of what this one sent.
    assert login(specialist).get("/forms/received/" + query).json() == {"received": []}
    assert Client().get("/forms/received/" + query).status_code == 302
