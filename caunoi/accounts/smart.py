"""SMART Backend Services (OAuth 2.0 client credentials with a signed JWT client assertion,
RFC 7523): a registered system client asks ``/fhir/R4/auth/token`` for a short-lived access
token, proving itself with a JWT signed by its private key (RS384 or ES384); the token carries
the granted ``system/…`` scopes, and the FHIR interface holds each call to them.

**Decision (library):** the assertion is verified with ``joserfc`` — the JOSE library of
Authlib's author, which Authlib itself now builds on — and the RFC 7523 checks (issuer and
subject the client, audience this token endpoint, an expiry at most five minutes ahead, a
``jti`` used once) are written out here. django-oauth-toolkit has no ``private_key_jwt``
client authentication; Authlib's RFC 7523 classes need its whole authorisation-server
framework around them, for one grant."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from caunoi.accounts.models import AssertionUse, SystemClient, SystemToken
from caunoi.accounts.tokens import token_digest, token_generate
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record

ALGORITHMS = ["RS384", "ES384"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = timedelta(minutes=5)
# An assertion's expiry may be at most this far ahead (SMART: no more than five minutes).
ASSERTION_MAX_LIFETIME = 300
PERMISSIONS = "cruds"


class OAuthError(Exception):
    """An RFC 6749 error answer: its code, a description and the HTTP status."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Scope:
    """One SMART scope: ``system/Patient.rs`` (v2) or ``system/Patient.read`` (v1)."""

    resource: str  # a type, or "*"
    permissions: frozenset[str]  # of c, r, u, d, s

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        context, _slash, rest = text.partition("/")
        resource, _dot, perms = rest.partition(".")
        if context != "system" or not resource or not perms:
            return None
        if perms in ("read", "write", "*"):  # SMART v1
            letters = {"read": "rs", "write": "cud", "*": PERMISSIONS}[perms]
        elif set(perms) <= set(PERMISSIONS) and len(set(perms)) == len(perms):
            # SMART v2 writes them in the order c, r, u, d, s; any order is read the same.
            letters = perms
        else:
            return None
        if resource != "*" and not (resource[0].isupper() and resource.isalpha()):
            return None
        return cls(resource, frozenset(letters))

    def covers(self, other: Scope) -> bool:
        return self.resource in ("*", other.resource) and other.permissions <= self.permissions

    def allows(self, resource: str, permission: str) -> bool:
        return self.resource in ("*", resource) and permission in self.permissions

    def __str__(self) -> str:
        return f"system/{self.resource}.{''.join(p for p in PERMISSIONS if p in self.permissions)}"


def scopes_of(text: str) -> list[Scope]:
    return [s for s in (Scope.parse(part) for part in text.split()) if s is not None]


def token_issue(
    *,
    grant_type: str,
    assertion_type: str,
    assertion: str,
    scope: str,
    token_url: str,
    origin: AuditOrigin = SYSTEM,
) -> dict[str, Any]:
    """The token answer for a client-credentials request, or an ``OAuthError``."""
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only client_credentials is supported.")
    if assertion_type != ASSERTION_TYPE or not assertion:
        raise OAuthError("invalid_request", f"Send a client_assertion of type {ASSERTION_TYPE}.")
    client = _client_of(assertion)
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(client.jwks), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": client.client_id},
            sub={"essential": True, "value": client.client_id},
            aud={"essential": True, "value": token_url},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise OAuthError(
            "invalid_client", f"The client assertion is not valid: {exc}", 401
        ) from exc
    expires = int(token.claims["exp"])
    if expires > time.time() + ASSERTION_MAX_LIFETIME + 30:
        raise OAuthError(
            "invalid_client", "The assertion expires more than five minutes ahead.", 401
        )
    allowed = scopes_of(client.scopes)
    asked = scopes_of(scope)
    granted = [s for s in asked if any(a.covers(s) for a in allowed)]
    if not granted:
        raise OAuthError("invalid_scope", "None of the scopes asked is allowed to this client.")
    raw, _prefix, digest = token_generate()
    now = timezone.now()
    try:
        with transaction.atomic():
            AssertionUse.objects.filter(expires_at__lt=now).delete()
            AssertionUse.objects.create(
                client=client,
                jti=str(token.claims["jti"])[:200],
                expires_at=datetime.fromtimestamp(expires, tz=UTC),
            )
            row = SystemToken.objects.create(
                client=client,
                key_hash=digest,
                scopes=" ".join(str(s) for s in granted),
                expires_at=now + TOKEN_LIFETIME,
            )
            audit_record(
                actor=client.user,
                action=AuditAction.TOKEN_CREATE,
                obj=client,
                purpose="SMART backend services",
                detail={"client": client.client_id, "scopes": row.scopes},
                origin=origin,
            )
    except IntegrityError as exc:
        raise OAuthError(
            "invalid_client", "This assertion (its jti) was used already.", 401
        ) from exc
    return {
        "access_token": raw,
        "token_type": "bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": row.scopes,
    }


def _client_of(assertion: str) -> SystemClient:
    """The registered, active client the assertion says it is (its ``iss``, read before the
    signature is checked against that client's keys)."""
    issuer = _unverified_claims(assertion).get("iss")
    client = (
        SystemClient.objects.filter(client_id=str(issuer), is_active=True)
        .select_related("user")
        .first()
        if issuer
        else None
    )
    if client is None:
        raise OAuthError("invalid_client", "Unknown or inactive client.", 401)
    return client


def _unverified_claims(assertion: str) -> dict[str, Any]:
    try:
        payload = assertion.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise OAuthError("invalid_client", "The client assertion is not a JWT.", 401) from exc
    return data if isinstance(data, dict) else {}


def system_token_authenticate(raw: str) -> tuple[SystemClient, list[Scope]] | None:
    """The client and scopes of a live system token, or None."""
    if not raw or len(raw) > 200:
        return None
    row = (
        SystemToken.objects.filter(
            key_hash=token_digest(raw),
            expires_at__gt=timezone.now(),
            client__is_active=True,
            client__user__is_active=True,
        )
        .select_related("client", "client__user")
        .first()
    )
    if row is None:
        return None
    return row.client, scopes_of(row.scopes)
