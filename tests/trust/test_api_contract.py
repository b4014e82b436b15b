"""The API's contract tells the truth: every schema the OpenAPI document names is the schema the
code validates with (two enums or models sharing a name once made ``AdviceIn.outcome`` point at
the referral outcomes), and racing retries with one Idempotency-Key get exactly one 201 — decided
by the service that created the row — and 200 with the same body for every replay."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from ninja import Schema

from caunoi.config.api import api
from caunoi.consults.tests.factories import summary
from caunoi.patients.tests.factories import make_patient


def _schemas_in_use() -> dict[str, type[Schema]]:
    """Every Schema class that an operation of the API reads or answers, by class name."""
    found: dict[str, type[Schema]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, Schema):
            found.setdefault(annotation.__name__, annotation)
        for inner in getattr(annotation, "__args__", ()) or ():
            visit(inner)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        visit(field.annotation)
                for response in operation.response_models.values():
                    for field in getattr(response, "model_fields", {}).values():
                        visit(field.annotation)
    return found


def _enums(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, list[Any]]:
    """Field name → the enum values the schema allows for it (following $refs)."""
    out: dict[str, list[Any]] = {}
    for name, prop in schema.get("properties", {}).items():
        candidates = [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]
        for c in candidates:
            target = c
            if "$ref" in c:
                target = defs.get(c["$ref"].rsplit("/", 1)[1], {})
            if "enum" in target:
                out[name] = sorted(target["enum"])
    return out


def test_every_schema_in_the_document_is_the_one_the_code_uses():
    doc = api.get_openapi_schema()
    components = doc["components"]["schemas"]
    schemas = _schemas_in_use()
    assert {"AdviceIn", "DischargeIn", "ConsultIn", "ReferralIn"} <= set(schemas)
    for name, cls in schemas.items():
        own = cls.model_json_schema()
        documented = components[name]
        assert set(documented.get("properties", {})) == set(own.get("properties", {})), name
        assert _enums(documented, components) == _enums(own, own.get("$defs", {})), name


def test_advice_outcome_is_documented_as_the_consult_outcomes():
    components = api.get_openapi_schema()["components"]["schemas"]
    ref = components["AdviceIn"]["properties"]["outcome"]["$ref"].rsplit("/", 1)[1]
    assert components[ref]["enum"] == ["manage_locally", "follow_up", "video", "refer"]


# --- racing retries -----------------------------------------------------------------------------

RACERS = 16


def _race(token: str, send: Callable[[Client], Any]) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(RACERS)
    answers: list[tuple[int, Any]] = []

    def one() -> None:
        client = Client(headers={"Authorization": f"Bearer {token}"})
        barrier.wait()
        try:
            response = send(client)
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _one_creator(answers: list[tuple[int, Any]]) -> None:
    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] * (RACERS - 1) + [201], statuses
    ids = {body["id"] for _status, body in answers}
    assert len(ids) == 1


@pytest.mark.postgres
def test_racing_retries_of_every_creation_get_one_201_and_replays_200(committed_db):
    from caunoi.accounts.models import ApiToken, User
    from caunoi.accounts.services import api_token_create
    from caunoi.consults.models import Consultation, Message
    from caunoi.patients.models import Patient
    from caunoi.referrals.models import Referral
    from caunoi.referrals.tests.factories import provincial_hospital

    worker = User.objects.get(username="worker")
    _row, token = api_token_create(user=worker, name="race", actor=worker)
    station = worker.memberships.get(role="worker").facility
    patient = make_patient(worker, name="Đua Song Song")
    made: list[Any] = [patient]
    try:
        key = str(uuid.uuid4())
        answers = _race(
            token,
            lambda c: c.post(
                "/api/patients",
                {
                    "full_name": "Lầu Thị Đua",
                    "sex": "female",
                    "age_years": 40,
                    "commune": station.commune.code,
                },
                content_type="application/json",
                headers={"Idempotency-Key": key},
            ),
        )
        _one_creator(answers)
        made += list(Patient.objects.filter(registered_by=worker, client_id=key))
        assert len(made) == 2

        key = str(uuid.uuid4())
        answers = _race(
            token,
            lambda c: c.post(
                "/api/consults",
                {"patient": str(patient.public_id), "specialty": "internal-medicine", **summary()},
                content_type="application/json",
                headers={"Idempotency-Key": key},
            ),
        )
        _one_creator(answers)
        consult = Consultation.objects.get(requester=worker, client_id=key)

        key = str(uuid.uuid4())
        answers = _race(
            token,
            lambda c: c.post(
                f"/api/consults/{consult.public_id}/messages",
                {"body": "Bệnh nhân còn sốt"},
                content_type="application/json",
                headers={"Idempotency-Key": key},
            ),
        )
        _one_creator(answers)
        assert Message.objects.filter(consultation=consult).count() == 1

        key = str(uuid.uuid4())
        answers = _race(
            token,
            lambda c: c.post(
                "/api/referrals",
                {
                    "patient": str(patient.public_id),
                    "to_facility": str(provincial_hospital().public_id),
                    "reason": "Đau ngực",
                },
                content_type="application/json",
                headers={"Idempotency-Key": key},
            ),
        )
        _one_creator(answers)
        assert Referral.objects.filter(patient=patient).count() == 1
    finally:
        for p in made:
            Referral.objects.filter(patient=p).delete()
            Consultation.objects.filter(patient=p).delete()
            p.consents.all().delete()
            p.delete()
        ApiToken.objects.filter(user=worker, name="race").delete()
