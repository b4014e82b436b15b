"""SMART Backend Services: a hospital's system proves itself with a JWT signed by its private
key (ES384 or RS384), gets a short-lived token with the scopes it may have, and reads only what
its service account may, within those scopes. A replayed, expired, wrongly addressed or wrongly
signed assertion gets no token."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from caunoi.accounts.models import SystemClient, SystemToken, User
from caunoi.accounts.smart import Scope
from caunoi.audit.models import AuditEvent
from caunoi.fhir.tests.validators import assert_valid
from caunoi.network.models import Membership, Profession, Role
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.tests.factories import provincial_hospital

pytestmark = pytest.mark.django_db

TOKEN_URL = "http://testserver/fhir/R4/auth/token"


@pytest.fixture
def hospital_system():
    """The provincial hospital's information system: a service account of the hospital, an
    ES384 key and an RS384 key, allowed to read patients and the directory and to move
    Tasks."""
    account = User.objects.create_user(username="his.caobang", full_name="HIS Bệnh viện tỉnh")
    Membership.objects.create(
        user=account, facility=provincial_hospital(), role=Role.CLINICIAN, profession=Profession.IT
    )
    ec = ECKey.generate_key("P-384", parameters={"kid": "ec-1", "alg": "ES384"})
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "alg": "RS384"})
    client = SystemClient.objects.create(
        name="HIS tỉnh Cao Bằng",
        client_id="his-caobang",
        jwks={"keys": [ec.as_dict(private=False), rsa.as_dict(private=False)]},
        user=account,
        scopes="system/Patient.rs system/Organization.rs system/Task.rus",
    )
    return client, ec, rsa


def assertion(key, alg, *, client_id="his-caobang", aud=TOKEN_URL, exp_in=120, jti=None):
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "exp": int(time.time()) + exp_in,
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def ask(token_assertion, scope="system/Patient.rs system/Organization.rs"):
    return Client().post(
        "/fhir/R4/auth/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": token_assertion,
            "scope": scope,
        },
    )


def test_the_smart_configuration_says_how_to_ask():
    config = Client().get("/fhir/R4/.well-known/smart-configuration").json()
    assert config["token_endpoint"] == TOKEN_URL
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert set(config["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert "client-confidential-asymmetric" in config["capabilities"]
    assert "system/Patient.crs" in config["scopes_supported"]
    assert "system/Task.rus" in config["scopes_supported"]
    assert "system/Binary.r" in config["scopes_supported"]


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_system_gets_a_token_and_reads_within_its_scopes_and_access(hospital_system, worker, alg):
    client, ec, rsa = hospital_system
    answer = ask(
        assertion(ec if alg == "ES384" else rsa, alg),
        "system/Patient.rs system/Task.cruds system/Encounter.rs",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    # Granted: what was asked and allowed — Task only as far as allowed, no Encounter.
    assert body["scope"] == "system/Patient.rs"
    assert answer["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(purpose="SMART backend services", actor=client.user).exists()
    fhir = Client(headers={"Authorization": f"Bearer {body['access_token']}"})
    # The station's patient is not the hospital's to read: absent, as for a person.
    station_patient = make_patient(worker, name="Lầu Thị Súa")
    bundle = fhir.get("/fhir/R4/Patient", {"name": "lau"}).json()
    assert bundle["total"] == 0
    assert fhir.get(f"/fhir/R4/Patient/{station_patient.public_id}").status_code == 404
    assert_valid(bundle)
    # Outside the scopes granted: 403, an OperationOutcome.
    refused = fhir.get("/fhir/R4/Organization", {"_count": "1"})
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    # Expired: 401.
    SystemToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert fhir.get("/fhir/R4/Patient").status_code == 401


def test_a_bad_assertion_gets_no_token(hospital_system):
    _client, ec, _rsa = hospital_system
    other = ECKey.generate_key("P-384", parameters={"kid": "ec-1", "alg": "ES384"})
    cases = [
        (assertion(ec, "ES384", aud="http://elsewhere/token"), "invalid_client"),
        (assertion(ec, "ES384", exp_in=-60), "invalid_client"),
        (assertion(ec, "ES384", exp_in=3600), "invalid_client"),  # more than five minutes
        (assertion(other, "ES384"), "invalid_client"),  # signed by another key
        (assertion(ec, "ES384", client_id="nobody"), "invalid_client"),
        ("not.a.jwt", "invalid_client"),
    ]
    for token_assertion, error in cases:
        answer = ask(token_assertion)
        assert answer.json()["error"] == error, answer.content
        assert answer.status_code in (400, 401)
    # An assertion is used once.
    once = assertion(ec, "ES384", jti="same-jti")
    assert ask(once).status_code == 200
    replay = ask(once)
    assert replay.status_code == 401
    assert "used" in replay.json()["error_description"]
    # Scopes it may not have; a grant type it does not offer.
    assert ask(assertion(ec, "ES384"), "system/AuditEvent.rs").json()["error"] == "invalid_scope"
    wrong_grant = Client().post("/fhir/R4/auth/token", {"grant_type": "password"})
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    # A client made inactive.
    SystemClient.objects.update(is_active=False)
    assert ask(assertion(ec, "ES384")).json()["error"] == "invalid_client"
    assert SystemToken.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("system/Patient.rs", ("Patient", "rs")),
        ("system/*.cruds", ("*", "cruds")),
        ("system/Task.read", ("Task", "rs")),
        ("system/Task.write", ("Task", "cud")),
        ("system/Patient.sr", ("Patient", "rs")),  # any order reads the same
        ("system/Patient.rr", None),
        ("system/Patient.rx", None),
        ("user/Patient.rs", None),
        ("system/patient.rs", None),
        ("system/Patient", None),
    ],
)
def test_smart_scopes(text, parsed):
    scope = Scope.parse(text)
    if parsed is None:
        assert scope is None
    else:
        assert scope is not None
        assert (scope.resource, "".join(p for p in "cruds" if p in scope.permissions)) == parsed
    everything = Scope.parse("system/*.rs")
    assert everything is not None
    assert everything.covers(Scope.parse("system/Patient.r"))  # type: ignore[arg-type]
    assert not everything.covers(Scope.parse("system/Patient.c"))  # type: ignore[arg-type]


def test_includes_and_found_patients_are_held_to_the_scopes_too(hospital_system, receiver):
    client, ec, _rsa = hospital_system
    client.scopes = "system/Organization.rs system/Patient.c"
    client.save()
    token = ask(assertion(ec, "ES384"), "system/Organization.rs system/Patient.c").json()
    fhir = Client(headers={"Authorization": f"Bearer {token['access_token']}"})
    hospital = provincial_hospital()
    # Including roles it may not search: 403.
    included = fhir.get(
        "/fhir/R4/Organization",
        {"_id": str(hospital.public_id), "_revinclude": "PractitionerRole:organization"},
    )
    assert included.status_code == 403
    assert fhir.get("/fhir/R4/Organization", {"_id": str(hospital.public_id)}).status_code == 200
    # Creating is allowed; finding an existing patient this way does not show it.
    body = {
        "resourceType": "Patient",
        "identifier": [
            {"system": "http://fhir.ehealth.gov.vn/core/sid/national_id", "value": "001190004444"}
        ],
        "name": [{"text": "Mùa A Sử"}],
        "gender": "male",
        "birthDate": "1990-01-01",
    }
    condition = "identifier=001190004444"
    made = fhir.post(
        "/fhir/R4/Patient",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_IF_NONE_EXIST=condition,
    )
    assert made.status_code == 201
    found = fhir.post(
        "/fhir/R4/Patient",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_IF_NONE_EXIST=condition,
    )
    assert found.status_code == 200
    assert found.json()["resourceType"] == "OperationOutcome"
    assert "Mùa A Sử" not in found.content.decode()
    assert found["Location"].split("/Patient/")[1].startswith(made.json()["id"])
