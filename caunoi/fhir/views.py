"""The FHIR R4 endpoints under ``/fhir/R4``: the CapabilityStatement, and for each resource type
the interactions it lists — read, search (GET), create (POST, conditional with
``If-None-Exist``). Anything else is an OperationOutcome: 404 for a type or a row this caller
cannot have, 405 for an interaction the type does not offer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from caunoi.accounts.smart import ALGORITHMS, OAuthError, token_issue
from caunoi.audit.origin import origin_of
from caunoi.fhir.audit import AUDIT_EVENT
from caunoi.fhir.clinical import CLINICAL
from caunoi.fhir.directory import DIRECTORY, instant
from caunoi.fhir.http import (
    FHIR_JSON,
    FhirError,
    allowed,
    caller,
    fhir_response,
    fhir_view,
    outcome,
    read_json,
)
from caunoi.fhir.observation import OBSERVATION
from caunoi.fhir.patient import PATIENT
from caunoi.fhir.search import Page, ResourceType, history, search

RESOURCES: dict[str, ResourceType] = {
    r.name: r for r in (*DIRECTORY, PATIENT, *CLINICAL, OBSERVATION, AUDIT_EVENT)
}
BASE = "/fhir/R4"


def _resource_type(name: str) -> ResourceType:
    resource = RESOURCES.get(name)
    if resource is None:
        raise FhirError(
            404,
            "not-supported",
            _("This server has no %(type)s resources.") % {"type": name},
        )
    return resource


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(BASE)


def version_of(resource: dict[str, Any]) -> str:
    return str(resource["meta"]["versionId"])


@fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        raise FhirError(405, "not-supported", _("The CapabilityStatement is only read."))
    return fhir_response(capability_statement(_base_url(request)))


def capability_statement(base: str) -> dict[str, Any]:
    """What this server supports, listed from the same table the endpoints serve
    (``RESOURCES``): a type, an interaction or a parameter is listed exactly when it works."""
    resources = []
    for r in RESOURCES.values():
        entry: dict[str, Any] = {
            "type": r.name,
            "interaction": [{"code": code} for code in r.interactions],
            "versioning": "versioned",
            "readHistory": False,
            "updateCreate": False,
        }
        if r.params:
            entry["searchParam"] = [
                {"name": p.name, "type": p.type, "documentation": p.documentation} for p in r.params
            ]
        if r.conditional_create:
            entry["conditionalCreate"] = True
        if r.includes:
            entry["searchInclude"] = [i.name for i in r.includes]
        if r.revincludes:
            entry["searchRevInclude"] = [i.name for i in r.revincludes]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(timezone.now()),
        "publisher": "Cầu Nối",
        "kind": "instance",
        "software": {"name": "Cầu Nối"},
        "implementation": {"description": "Cầu Nối FHIR R4", "url": base},
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "The mCSD directory (Organization, Location, OrganizationAffiliation, "
                    "Practitioner, PractitionerRole, HealthcareService), Patient, the clinical "
                    "workflow (ServiceRequest, Task, Communication, DocumentReference, Binary, "
                    "Encounter, Observation) and AuditEvent. String searches ignore diacritics and case."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "A bearer token (Authorization: Bearer …): a platform account's API "
                        "token, or a system client's SMART Backend Services token "
                        "(.well-known/smart-configuration); the same access rules as every "
                        "other interface."
                    ),
                },
                "resource": resources,
            }
        ],
    }


@fhir_view
def type_endpoint(request: HttpRequest, resource_type: str) -> HttpResponse:
    resource = _resource_type(resource_type)
    if request.method == "GET":
        if "search-type" not in resource.interactions:
            raise FhirError(405, "not-supported", _("This type cannot be searched."))
        user = caller(request, write=False, needs=(resource.name, "s"))
        return fhir_response(_bundle(request, resource, user))
    if request.method == "POST":
        if "create" not in resource.interactions:
            raise FhirError(
                405,
                "not-supported",
                _("%(type)s resources are not created here.") % {"type": resource.name},
            )
        return _create(request, resource)
    raise FhirError(405, "not-supported", _("Use GET to search or POST to create."))


@fhir_view
def type_history(request: HttpRequest, resource_type: str) -> HttpResponse:
    """``GET [type]/_history?_since=…``: what changed since then (``search.history``)."""
    resource = _resource_type(resource_type)
    if "history-type" not in resource.interactions:
        raise FhirError(405, "not-supported", _("This type keeps no history here."))
    if request.method != "GET":
        raise FhirError(405, "not-supported", _("History is only read."))
    user = caller(request, write=False, needs=(resource.name, "s"))
    page = history(resource, request, user)
    base = _base_url(request)
    query = [(k, v) for k, v in request.GET.items() if k != "_page"]
    url = f"{base}/{resource.name}/_history"
    links = [{"relation": "self", "url": f"{url}?{urlencode(query)}" if query else url}]
    if page.next_token is not None:
        links.append(
            {"relation": "next", "url": f"{url}?{urlencode([*query, ('_page', page.next_token)])}"}
        )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "history", "link": links}
    if page.total is not None:
        bundle["total"] = page.total
    if page.matches:
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{body['resourceType']}/{body['id']}",
                "resource": body,
                "request": {"method": "PUT", "url": f"{body['resourceType']}/{body['id']}"},
                "response": {
                    "status": "200",
                    "etag": f'W/"{version_of(body)}"',
                    "lastModified": body["meta"]["lastUpdated"],
                },
            }
            for body in page.matches
        ]
    return fhir_response(bundle)


@fhir_view
def instance_endpoint(
    request: HttpRequest, resource_type: str, ident: str, version: str = ""
) -> HttpResponse:
    """Read, or vread: the current version only (the platform keeps no past ones; another
    version is answered 404 and names the current one)."""
    resource = _resource_type(resource_type)
    if version and "vread" not in resource.interactions:
        raise FhirError(405, "not-supported", _("This type is not read by version here."))
    if request.method == "PUT" and not version and "update" in resource.interactions:
        return _update(request, resource, ident)
    if request.method != "GET":
        raise FhirError(
            405, "not-supported", _("%(type)s resources are only read.") % {"type": resource.name}
        )
    user = caller(request, write=False, needs=(resource.name, "r"))
    for source in resource.sources:
        row = source.queryset(user).filter(source.id_q(ident)).first()
        if row is not None:
            body = source.to_fhir(row)
            if version and version != version_of(body):
                raise FhirError(
                    404,
                    "not-found",
                    _("Only the current version (%(version)s) is kept.")
                    % {"version": version_of(body)},
                )
            return fhir_response(body, headers=_version_headers(body))
    raise FhirError(
        404,
        "not-found",
        _("No %(type)s %(id)s here.") % {"type": resource.name, "id": ident},
    )


def _version_headers(body: dict[str, Any]) -> dict[str, str]:
    """ETag and Last-Modified (an HTTP date, as HTTP says) of a resource's version."""
    seconds = int(version_of(body)) / 1_000_000
    return {"ETag": f'W/"{version_of(body)}"', "Last-Modified": http_date(seconds)}


def _create(request: HttpRequest, resource: ResourceType) -> HttpResponse:
    assert resource.create is not None  # "create" is listed only with its function
    user = caller(request, write=True, needs=(resource.name, "c"))
    body = read_json(request, resource.name)
    # The condition in the If-None-Exist header, as R4 says; or (decision) as the POST's query
    # string, as some clients send it (fhirpy's create(**criteria)).
    criteria = request.headers.get("If-None-Exist", "") or request.GET.urlencode()
    try:
        made, created = resource.create(body, user, criteria=criteria, origin=origin_of(request))
    except (AttributeError, TypeError, KeyError) as exc:
        raise _malformed(resource) from exc
    headers = {
        **_version_headers(made),
        "Location": f"{_base_url(request)}/{made['resourceType']}/{made['id']}"
        f"/_history/{version_of(made)}",
    }
    if not created and not allowed(request, resource.name, "r"):
        # Found, not made: a token that may create but not read learns that it exists, and
        # where, not what it holds.
        response = fhir_response(outcome("informational", _("It exists already."), "information"))
        for name, value in headers.items():
            response[name] = value
        return response
    return fhir_response(made, 201 if created else 200, headers)


def _malformed(resource: ResourceType) -> FhirError:
    """A body whose elements are not of the types FHIR R4 gives them (an object where a list
    is due, a number where a string is)."""
    return FhirError(
        400,
        "structure",
        _("The %(type)s's elements are not of the types FHIR R4 gives them.")
        % {"type": resource.name},
    )


def _update(request: HttpRequest, resource: ResourceType, ident: str) -> HttpResponse:
    assert resource.update is not None  # "update" is listed only with its function
    user = caller(request, write=True, needs=(resource.name, "u"))
    body = read_json(request, resource.name)
    try:
        made = resource.update(
            ident,
            body,
            user,
            if_match=request.headers.get("If-Match", ""),
            origin=origin_of(request),
        )
    except (AttributeError, TypeError, KeyError) as exc:
        raise _malformed(resource) from exc
    return fhir_response(made, headers=_version_headers(made))


def _bundle(request: HttpRequest, resource: ResourceType, user: Any) -> dict[str, Any]:
    page: Page = search(resource, request, user)
    base = _base_url(request)
    kept = [(k, v) for k, v in request.GET.lists() if k not in page.ignored and k != "_page"]
    query = [(k, v) for k, values in kept for v in values]
    self_url = f"{base}/{resource.name}?{urlencode(query)}" if query else f"{base}/{resource.name}"
    links = [{"relation": "self", "url": self_url}]
    if page.next_token is not None:
        links.append(
            {
                "relation": "next",
                "url": f"{base}/{resource.name}?{urlencode([*query, ('_page', page.next_token)])}",
            }
        )
    entries: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for body, mode in [
        *((m, "match") for m in page.matches),
        *((i, "include") for i in page.included),
    ]:
        key = (body["resourceType"], body["id"])
        if key in seen:
            continue
        seen.add(key)
        entries.append(
            {
                "fullUrl": f"{base}/{body['resourceType']}/{body['id']}",
                "resource": body,
                "search": {"mode": mode},
            }
        )
    if page.ignored:
        entries.append(
            {
                "resource": outcome(
                    "not-supported",
                    _("Unknown search parameter, ignored: %(names)s.")
                    % {"names": ", ".join(page.ignored)},
                    severity="warning",
                ),
                "search": {"mode": "outcome"},
            }
        )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if page.total is not None:
        bundle["total"] = page.total
    if entries:
        bundle["entry"] = entries
    return bundle


@fhir_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FhirError(404, "not-found", _("Nothing here: see %(base)s/metadata.") % {"base": BASE})


@csrf_exempt
def smart_token(request: HttpRequest) -> HttpResponse:
    """SMART Backend Services' token endpoint (RFC 6749 answers, ``application/json``)."""
    if request.method != "POST":
        return _oauth_error(OAuthError("invalid_request", "POST the token request.", 405))
    try:
        answer = token_issue(
            grant_type=request.POST.get("grant_type", ""),
            assertion_type=request.POST.get("client_assertion_type", ""),
            assertion=request.POST.get("client_assertion", ""),
            scope=request.POST.get("scope", ""),
            token_url=request.build_absolute_uri(request.path),
            origin=origin_of(request),
        )
    except OAuthError as error:
        return _oauth_error(error)
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"
    return response


def _oauth_error(error: OAuthError) -> HttpResponse:
    response = JsonResponse(
        {"error": error.code, "error_description": error.description}, status=error.status
    )
    response["Cache-Control"] = "no-store"
    return response


def _letters(resource: ResourceType) -> str:
    """The SMART v2 permissions a type's interactions make sense of, in their order."""
    interactions = set(resource.interactions)
    kinds = {
        "c": "create" in interactions,
        "r": bool({"read", "vread"} & interactions),
        "u": "update" in interactions,
        "s": bool({"search-type", "history-type"} & interactions),
    }
    return "".join(letter for letter, offered in kinds.items() if offered)


def smart_configuration(request: HttpRequest) -> HttpResponse:
    """What a SMART client needs to know of this server (``.well-known/smart-configuration``)."""
    return JsonResponse(
        {
            "token_endpoint": request.build_absolute_uri(f"{BASE}/auth/token"),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": [f"system/{name}.{_letters(r)}" for name, r in RESOURCES.items()],
            "capabilities": ["client-confidential-asymmetric", "permission-v2", "permission-v1"],
        }
    )
