"""The API's contract tells the truth: every schema the OpenAPI document names is the schema the
code validates with (two enums or models sharing a name once made ``AdviceIn.outcome`` point at
the referral outcomes); every answer is described field by field (no free-form objects); every
list answers ``{"items", "count"}``; an unknown query parameter is refused and changes nothing;
and racing retries with one Idempotency-Key get exactly one 201 — decided by the service that
created the row — and 200 with the same body for every replay."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from ninja import Schema

from caunoi.audit.models import AuditEvent
from caunoi.config.api import api
from caunoi.consults.api import ConsultIn, VitalsOut
from caunoi.consults.models import SUMMARY_FIELDS, VITALS
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


# --- every answer typed, every list alike, every unknown parameter refused ----------------------


def _document() -> dict[str, Any]:
    """The OpenAPI document as a client reads it."""
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = _document()
    return [
        (method.upper(), path, operation)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
    ]


def _loose_parts(
    schema: dict[str, Any], components: dict[str, Any], seen: frozenset[str]
) -> list[str]:
    """Where ``schema`` leaves an answer undescribed: an object without named properties (a
    ``dict[str, object]``, or a map whose keys the document does not name) or an empty schema."""
    if not schema:
        return ["(any value)"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return [f"{name}.{p}" for p in _loose_parts(components[name], components, seen | {name})]
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for inner in schema.get(key, []):
            found += _loose_parts(inner, components, seen)
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if not properties:
            found.append("(object without named fields)")
        for name, inner in properties.items():
            found += [f"{name}: {p}" for p in _loose_parts(inner, components, seen)]
    if schema.get("type") == "array":
        found += [f"[]: {p}" for p in _loose_parts(schema.get("items", {}), components, seen)]
    return found


@pytest.mark.django_db
def test_every_operation_describes_its_answer_field_by_field():
    components = _document()["components"]["schemas"]
    operations = _operations()
    assert len(operations) >= 31
    loose: dict[str, list[str]] = {}
    for method, path, operation in operations:
        answers = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert answers, f"{method} {path} documents no 2xx answer"
        for status, answer in answers.items():
            content = answer.get("content", {})
            if set(content) == {"application/xml"}:
                continue  # a document described by its own schema (IATI's XSD, checked in tests)
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                loose.setdefault(f"{method} {path}", []).append(f"{status}: no schema")
                continue
            for part in _loose_parts(schema, components, frozenset()):
                loose.setdefault(f"{method} {path}", []).append(f"{status}: {part}")
    assert loose == {}


# GETs without a path parameter that answer one object, not a list: the caller's own record.
NOT_LISTS = {"/api/cme/ledger"}


def _lists() -> list[str]:
    return sorted(
        path
        for method, path, _operation in _operations()
        if method == "GET" and "{" not in path and path not in NOT_LISTS
    )


def test_every_list_answers_items_and_count(worker, api_client):
    lists = _lists()
    assert {"/api/indicators", "/api/patients", "/api/facilities", "/api/referrals"} <= set(lists)
    client = api_client(worker)
    for path in lists:
        parameters = {p["name"] for p in dict(_get(path))["parameters"] if p["in"] == "query"}
        assert {"limit", "offset"} <= parameters, path
        response = client.get(path, {"limit": 2})
        assert response.status_code == 200, path
        body = response.json()
        assert set(body) == {"items", "count"}, path
        assert isinstance(body["count"], int), path
        assert len(body["items"]) == min(2, body["count"]), path


def test_the_indicator_catalogue_is_a_list_like_the_others(officer, api_client):
    body = api_client(officer).get("/api/indicators", {"limit": 500}).json()
    assert body["count"] == len(body["items"]) >= 10
    assert {"code", "name_vi", "name_en", "breakdowns"} <= set(body["items"][0])


def _get(path: str) -> dict[str, Any]:
    return next(op for method, p, op in _operations() if method == "GET" and p == path)


def _example_path(path: str) -> str:
    """The path with its parameters filled in (any id: the refusal comes before any lookup)."""
    return re.sub(
        r"\{[a-z_]+\}",
        lambda m: {"{code}": "consults_submitted", "{number}": "CN-AAAA-AAAA"}.get(
            m[0], str(uuid.uuid4())
        ),
        path,
    )


def test_an_unknown_parameter_is_refused_everywhere_and_changes_nothing(worker, api_client):
    client = api_client(worker)
    paths = [path for method, path, _op in _operations() if method == "GET"]
    assert len(paths) >= 15
    before = AuditEvent.objects.count()
    for path in paths:
        tries = [{"provice": "8"}]
        if path in _lists():
            tries.append({"provice": "8", "limit": "5", "offset": "0"})
        for params in tries:
            response = client.get(_example_path(path), params, headers={"Accept-Language": "vi"})
            assert response.status_code == 422, (path, params)
            body = response.json()
            assert body["code"] == "validation_error"
            assert body["message"] == "Một số giá trị không hợp lệ."
            assert body["errors"] == [{"field": "provice", "message": "Trường không xác định."}]
    # Nothing was read, so nothing was recorded as read (nor written at all).
    assert AuditEvent.objects.count() == before


def test_the_parameters_a_list_names_are_still_taken(worker, api_client):
    client = api_client(worker)
    body = client.get("/api/communes", {"province": 8, "q": "Lũng Cú", "limit": 1}).json()
    assert body["count"] >= 1
    assert body["items"][0]["province_code"] == 8
    assert client.get("/api/consults", {"queue": "mine"}).status_code == 200
    refused = client.get("/api/consults", {"queue": "everything"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["queue"]


def test_the_vitals_answer_names_every_vital_sign():
    assert list(VitalsOut.model_fields) == list(VITALS)


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


def test_a_consultation_is_sent_with_every_field_of_the_clinical_summary():
    # The summary's fields are listed once (consults.models); the API's input must name each,
    # or a field added there would silently be dropped from what the API can send.
    summary_in = [name for name in ConsultIn.model_fields if name in SUMMARY_FIELDS]
    assert summary_in == list(SUMMARY_FIELDS)
