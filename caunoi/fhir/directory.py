"""The network's directory as IHE mCSD resources: Organization and Location (the provinces'
jurisdictions and the facilities), OrganizationAffiliation (a hub's support of a facility, with
its specialties), Practitioner (a person who works at a facility), PractitionerRole (a
membership: role, profession, specialties, facility) and HealthcareService (a hub's
teleconsultation service in one specialty).

Mapping only: the rows, their meaning and who may see them are the network app's. The directory
holds no patient data: every signed-in member of the network may read it, as the directory pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.fhir.http import FhirError
from caunoi.fhir.search import (
    NOTHING,
    TZ,
    Include,
    Param,
    ResourceType,
    Source,
    reference_id,
    string_q,
    token,
)
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Membership,
    Role,
    Specialty,
    Status,
    SupportLink,
)
from caunoi.places.models import Province

# Identifier systems of Vietnam's core implementation guide (hl7vn vn-core-ig, canonical
# http://fhir.ehealth.gov.vn/core; README: the ones it names for people and facilities, and
# the two this platform adds under the same root for what it names none).
VN_CORE = "http://fhir.ehealth.gov.vn/core"
SID = f"{VN_CORE}/sid"
FACILITY_CODE = f"{SID}/facility_code"
PROVINCE_CODE = f"{SID}/province_code"
LICENCE = f"{SID}/practising_licence"
# The platform's own code systems (facility kinds, roles, specialties, technical levels) and
# its identifiers of rows that carry no national code.
CAUNOI = "https://fhir.caunoi.vn"
KIND_SYSTEM = f"{CAUNOI}/CodeSystem/facility-kind"
LEVEL_SYSTEM = f"{CAUNOI}/CodeSystem/technical-level"
ROLE_SYSTEM = f"{CAUNOI}/CodeSystem/role"
PROFESSION_SYSTEM = f"{CAUNOI}/CodeSystem/profession"
SPECIALTY_SYSTEM = f"{CAUNOI}/CodeSystem/specialty"
SUPPORT_SYSTEM = f"{CAUNOI}/CodeSystem/affiliation"
PLATFORM_ID = f"{CAUNOI}/sid/public-id"
# IHE mCSD's own codes for a jurisdiction and a facility; FHIR's organisation types.
MCSD_TYPES = "https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
# The provinces as they are since the reform of 1 July 2025: their last change.
REFORM = datetime(2025, 7, 1, tzinfo=TZ)

JURISDICTION_PREFIX = "province-"


def instant(moment: datetime) -> str:
    return timezone.localtime(moment, TZ).isoformat(timespec="milliseconds")


def ref(kind: str, ident: str, display: str = "") -> dict[str, str]:
    out = {"reference": f"{kind}/{ident}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _meta(moment: datetime) -> dict[str, Any]:
    """The resource's meta. **Decision:** its version is the instant of its last change (in
    microseconds): the platform keeps no version table, and a row's ``updated_at`` changes on
    every save, so an ETag (W/"…") built from it changes exactly when the row does."""
    meta: dict[str, Any] = {
        "versionId": str(int(moment.timestamp() * 1_000_000)),
        "lastUpdated": instant(moment),
    }
    return meta


def _uuid_q(field: str, value: str) -> Q:
    try:
        return Q(**{field: UUID(value)})
    except ValueError:
        return NOTHING


def jurisdiction_id(province: Province) -> str:
    return f"{JURISDICTION_PREFIX}{province.code}"


def _province_q(value: str, field: str = "code") -> Q:
    code = value[len(JURISDICTION_PREFIX) :]
    if not value.startswith(JURISDICTION_PREFIX) or not (code.isascii() and code.isdigit()):
        return NOTHING
    return Q(**{field: int(value[len(JURISDICTION_PREFIX) :])})


def _specialty_codings(specialties: Iterable[Specialty]) -> list[dict[str, Any]]:
    return [
        {"coding": [coding(SPECIALTY_SYSTEM, s.code, s.name_vi)], "text": s.name_vi}
        for s in specialties
    ]


def _token_q(value: str, system: str, field: str) -> Q:
    """A token parameter on one code system: ``system|code``, ``code`` or ``|code``."""
    asked_system, code = token(value)
    if asked_system not in (None, system) or not code:
        return NOTHING
    return Q(**{field: code})


def _names(full_name: str) -> dict[str, Any]:
    """A Vietnamese name, family name first: the first word is the family name."""
    words = full_name.split()
    name: dict[str, Any] = {"use": "official", "text": full_name}
    if words:
        name["family"] = words[0]
    if len(words) > 1:
        name["given"] = [" ".join(words[1:])]
    return name


# --- Organization and Location: the jurisdictions, then the facilities --------------------------

ORG_TYPES = {
    FacilityKind.HEALTH_DEPARTMENT: ("govt", "Government"),
}


def organization_of_province(p: Province) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": jurisdiction_id(p),
        "meta": _meta(REFORM),
        "identifier": [{"system": PROVINCE_CODE, "value": f"{p.code:02d}"}],
        "active": True,
        "type": [{"coding": [coding(MCSD_TYPES, "jurisdiction", "Jurisdiction")]}],
        "name": p.name,
    }


def organization_of_facility(f: Facility) -> dict[str, Any]:
    org_type, org_display = ORG_TYPES.get(FacilityKind(f.kind), ("prov", "Healthcare Provider"))
    out: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(f.public_id),
        "meta": _meta(f.updated_at),
        "identifier": [{"system": FACILITY_CODE, "value": f.code}],
        "active": f.status == Status.ACTIVE,
        "type": [
            {"coding": [coding(MCSD_TYPES, "facility", "Facility")]},
            {"coding": [coding(ORG_TYPE, org_type, org_display)]},
            {"coding": [coding(KIND_SYSTEM, f.kind, f.get_kind_display())]},
        ],
        "name": f.name,
        "partOf": ref("Organization", jurisdiction_id(f.province), f.province.name),
    }
    if f.short_name and f.short_name != f.name:
        out["alias"] = [f.short_name]
    if f.phone:
        out["telecom"] = [{"system": "phone", "value": f.phone, "use": "work"}]
    address = _address(f)
    if address:
        out["address"] = [address]
    return out


def _address(f: Facility) -> dict[str, Any]:
    address: dict[str, Any] = {"use": "work", "country": "VN", "state": f.province.name}
    if f.commune is not None:
        address["city"] = f.commune.name
    if f.address:
        address["text"] = f.address
    return address


def location_of_province(p: Province) -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "id": jurisdiction_id(p),
        "meta": _meta(REFORM),
        "identifier": [{"system": PROVINCE_CODE, "value": f"{p.code:02d}"}],
        "status": "active",
        "name": p.name,
        "mode": "instance",
        "type": [{"coding": [coding(MCSD_TYPES, "jurisdiction", "Jurisdiction")]}],
        "physicalType": {"coding": [coding(PHYSICAL_TYPE, "jdn", "Jurisdiction")]},
        "managingOrganization": ref("Organization", jurisdiction_id(p), p.name),
    }


def location_of_facility(f: Facility) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(f.public_id),
        "meta": _meta(f.updated_at),
        "identifier": [{"system": FACILITY_CODE, "value": f.code}],
        "status": "active" if f.status == Status.ACTIVE else "inactive",
        "name": f.name,
        "mode": "instance",
        "type": [
            {"coding": [coding(MCSD_TYPES, "facility", "Facility")]},
            {"coding": [coding(KIND_SYSTEM, f.kind, f.get_kind_display())]},
        ],
        "physicalType": {"coding": [coding(PHYSICAL_TYPE, "bu", "Building")]},
        "address": _address(f),
        "managingOrganization": ref("Organization", str(f.public_id), f.name),
        "partOf": ref("Location", jurisdiction_id(f.province), f.province.name),
    }
    if f.latitude is not None and f.longitude is not None:
        out["position"] = {"latitude": float(f.latitude), "longitude": float(f.longitude)}
    return out


def _directory(user: User) -> bool:
    return user.is_authenticated and user.is_active


def provinces(user: User) -> QuerySet[Province]:
    return Province.objects.all() if _directory(user) else Province.objects.none()


def facilities(user: User) -> QuerySet[Facility]:
    if not _directory(user):
        return Facility.objects.none()
    return Facility.objects.select_related("province", "commune")


def _facility_type_q(value: str) -> Q:
    system, code = token(value)
    if system in (None, KIND_SYSTEM) and code in FacilityKind.values:
        return Q(kind=code)
    if system in (None, MCSD_TYPES) and code == "facility":
        return Q()
    if system in (None, ORG_TYPE) and code == "govt":
        return Q(kind=FacilityKind.HEALTH_DEPARTMENT)
    if system in (None, ORG_TYPE) and code == "prov":
        return ~Q(kind=FacilityKind.HEALTH_DEPARTMENT)
    return NOTHING


def _jurisdiction_type_q(value: str) -> Q:
    system, code = token(value)
    return Q() if system in (None, MCSD_TYPES) and code == "jurisdiction" else NOTHING


def _active_q(modifier: str, value: str) -> Q:
    return Q(status=Status.ACTIVE) if _bool(value) else ~Q(status=Status.ACTIVE)


def _bool(value: str) -> bool:
    """A boolean token's value; anything but true or false is refused."""
    if value not in ("true", "false"):
        raise FhirError(400, "invalid", _("A boolean parameter is true or false."))
    return value == "true"


def _facility_filters(target: str) -> dict[str, Any]:
    """The filters a facility row answers, as an Organization or as a Location."""
    partof = "Organization" if target == "Organization" else "Location"
    filters: dict[str, Any] = {
        "identifier": lambda m, v: _token_q(v, FACILITY_CODE, "code"),
        "name": lambda m, v: string_q("search_name", "name", m, v),
        "type": lambda m, v: _facility_type_q(v),
        "partof": lambda m, v: _province_q(reference_id(v, partof), "province__code"),
    }
    if target == "Organization":
        filters["active"] = _active_q
    else:
        filters["status"] = lambda m, v: Q(status=v) if v in Status.values else NOTHING
        filters["organization"] = lambda m, v: _uuid_q("public_id", reference_id(v, "Organization"))
    return filters


def _province_filters(target: str) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "identifier": lambda m, v: (
            Q(code=int(token(v)[1]))
            if token(v)[0] in (None, PROVINCE_CODE)
            and token(v)[1].isascii()
            and token(v)[1].isdigit()
            else NOTHING
        ),
        "name": lambda m, v: string_q("search_name", "name", m, v),
        "type": lambda m, v: _jurisdiction_type_q(v),
    }
    if target == "Organization":
        filters["active"] = lambda m, v: Q() if _bool(v) else NOTHING
    else:
        filters["status"] = lambda m, v: Q() if v == "active" else NOTHING
        filters["organization"] = lambda m, v: _province_q(reference_id(v, "Organization"))
    return filters


def _id_q_facility(value: str) -> Q:
    return _uuid_q("public_id", value)


# --- OrganizationAffiliation: a hub supports a facility ----------------------------------------


def affiliation(link: SupportLink) -> dict[str, Any]:
    today = timezone.localdate()
    current = (
        link.status == Status.ACTIVE
        and link.valid_from <= today
        and (link.valid_to is None or link.valid_to >= today)
    )
    period: dict[str, str] = {"start": link.valid_from.isoformat()}
    if link.valid_to is not None:
        period["end"] = link.valid_to.isoformat()
    return {
        "resourceType": "OrganizationAffiliation",
        "id": str(link.public_id),
        "meta": _meta(link.updated_at),
        "active": current,
        "period": period,
        "organization": ref("Organization", str(link.hub.public_id), link.hub.name),
        "participatingOrganization": ref(
            "Organization", str(link.spoke.public_id), link.spoke.name
        ),
        "code": [
            {
                "coding": [
                    coding(SUPPORT_SYSTEM, "teleconsultation-support", "Hỗ trợ hội chẩn từ xa")
                ],
                "text": f"Ưu tiên {link.priority}",
            }
        ],
        "specialty": _specialty_codings(link.specialties.all()),
        "location": [ref("Location", str(link.spoke.public_id), link.spoke.name)],
    }


def support_links(user: User) -> QuerySet[SupportLink]:
    if not _directory(user):
        return SupportLink.objects.none()
    return SupportLink.objects.select_related("hub", "spoke").prefetch_related("specialties")


def _current_q(value: str) -> Q:
    today = timezone.localdate()
    current = Q(status=Status.ACTIVE, valid_from__lte=today) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    return current if _bool(value) else ~current


def _specialty_q(value: str, field: str) -> Q:
    return _token_q(value, SPECIALTY_SYSTEM, field)


AFFILIATION_FILTERS: dict[str, Any] = {
    "active": lambda m, v: _current_q(v),
    "primary-organization": lambda m, v: _uuid_q("hub__public_id", reference_id(v, "Organization")),
    "participating-organization": lambda m, v: _uuid_q(
        "spoke__public_id", reference_id(v, "Organization")
    ),
    "role": lambda m, v: Q() if token(v)[1] == "teleconsultation-support" else NOTHING,
    "specialty": lambda m, v: _specialty_q(v, "specialties__code"),
    "location": lambda m, v: _uuid_q("spoke__public_id", reference_id(v, "Location")),
}


# --- Practitioner and PractitionerRole ----------------------------------------------------------

PRACTITIONER_ROLES = [r for r in Role.values if r not in (Role.DONOR, Role.ADMIN)]


def practitioners(user: User) -> QuerySet[User]:
    """People with a role at a facility (not programme viewers or administrators alone)."""
    if not _directory(user):
        return User.objects.none()
    works = Membership.objects.filter(
        user=OuterRef("pk"), facility__isnull=False, role__in=PRACTITIONER_ROLES
    )
    # The person's resource shows their memberships' licences: its last change is the latest
    # of the person's and of those memberships'.
    latest_membership = (
        Membership.objects.filter(user=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    return (
        User.objects.filter(Exists(works))
        .annotate(
            last_change=Greatest("updated_at", Coalesce(Subquery(latest_membership), "updated_at"))
        )
        .prefetch_related("memberships")
    )


def practitioner(person: User) -> dict[str, Any]:
    identifiers = [{"system": PLATFORM_ID, "value": str(person.public_id)}]
    for m in person.memberships.all():
        if m.licence_number:
            identifiers.append({"system": LICENCE, "value": m.licence_number})
    return {
        "resourceType": "Practitioner",
        "id": str(person.public_id),
        "meta": _meta(getattr(person, "last_change", None) or person.updated_at),
        "identifier": identifiers,
        "active": person.is_active,
        "name": [_names(person.full_name)],
    }


def memberships(user: User) -> QuerySet[Membership]:
    if not _directory(user):
        return Membership.objects.none()
    return (
        Membership.objects.filter(facility__isnull=False, role__in=PRACTITIONER_ROLES)
        # A role is active only while its person is: the person's change is the role's too.
        .annotate(last_change=Greatest("updated_at", "user__updated_at"))
        .select_related("user", "facility")
        .prefetch_related("specialties")
    )


def practitioner_role(m: Membership) -> dict[str, Any]:
    assert m.facility is not None
    out: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(m.public_id),
        "meta": _meta(getattr(m, "last_change", None) or m.updated_at),
        "active": m.is_active and m.user.is_active,
        "practitioner": ref("Practitioner", str(m.user.public_id), m.user.full_name),
        "organization": ref("Organization", str(m.facility.public_id), m.facility.name),
        "location": [ref("Location", str(m.facility.public_id), m.facility.name)],
        "code": [
            {
                "coding": [
                    coding(ROLE_SYSTEM, m.role, m.get_role_display()),
                    coding(PROFESSION_SYSTEM, m.profession, m.get_profession_display()),
                ]
            }
        ],
        "specialty": _specialty_codings(m.specialties.all()),
    }
    if m.licence_number:
        out["identifier"] = [{"system": LICENCE, "value": m.licence_number}]
    return out


def _role_q(value: str) -> Q:
    system, code = token(value)
    if system in (None, ROLE_SYSTEM) and code in PRACTITIONER_ROLES:
        return Q(role=code)
    if system in (None, PROFESSION_SYSTEM) and code in {
        p for p, _l in Membership._meta.get_field("profession").choices or []
    }:
        return Q(profession=code)
    return NOTHING


PRACTITIONER_FILTERS: dict[str, Any] = {
    "identifier": lambda m, v: (
        _token_q(v, LICENCE, "memberships__licence_number")
        if token(v)[0] != PLATFORM_ID
        else _uuid_q("public_id", token(v)[1])
    ),
    "name": lambda m, v: string_q("search_name", "full_name", m, v),
    "active": lambda m, v: Q(is_active=_bool(v)),
}

ROLE_FILTERS: dict[str, Any] = {
    "active": lambda m, v: (
        Q(is_active=True, user__is_active=True)
        if _bool(v)
        else Q(is_active=False) | Q(user__is_active=False)
    ),
    "practitioner": lambda m, v: _uuid_q("user__public_id", reference_id(v, "Practitioner")),
    "organization": lambda m, v: _uuid_q("facility__public_id", reference_id(v, "Organization")),
    "location": lambda m, v: _uuid_q("facility__public_id", reference_id(v, "Location")),
    "role": lambda m, v: _role_q(v),
    "specialty": lambda m, v: _specialty_q(v, "specialties__code"),
    "identifier": lambda m, v: _token_q(v, LICENCE, "licence_number"),
}


# --- HealthcareService: a hub's teleconsultation service in a specialty -------------------------

ServiceRow = SupportLink.specialties.through


def services(user: User) -> QuerySet[Any]:
    """One row per (hub, specialty) its support links offer: the first link's specialty row."""
    if not _directory(user):
        return ServiceRow.objects.none()
    first = (
        ServiceRow.objects.values("supportlink__hub_id", "specialty_id")  # type: ignore[misc]
        .annotate(first_row=Min("id"))
        .values_list("first_row", flat=True)
    )
    # Its activity follows the hub's: the hub's change is the service's too.
    return (
        ServiceRow.objects.filter(id__in=first)
        .annotate(last_change=Greatest("supportlink__updated_at", "supportlink__hub__updated_at"))
        .select_related("supportlink__hub", "specialty", "supportlink")
    )


def service_id(hub: Facility, specialty: Specialty) -> str:
    return f"{hub.public_id.hex}-{specialty.code}"


def _service_id_q(value: str) -> Q:
    hex_part, _sep, code = value.partition("-")
    try:
        hub = UUID(hex=hex_part)
    except ValueError:
        return NOTHING
    return Q(supportlink__hub__public_id=hub, specialty__code=code)


def healthcare_service(row: Any) -> dict[str, Any]:
    hub: Facility = row.supportlink.hub
    specialty: Specialty = row.specialty
    return {
        "resourceType": "HealthcareService",
        "id": service_id(hub, specialty),
        "meta": _meta(getattr(row, "last_change", None) or row.supportlink.updated_at),
        "active": hub.status == Status.ACTIVE,
        "providedBy": ref("Organization", str(hub.public_id), hub.name),
        "category": [{"coding": [coding(SUPPORT_SYSTEM, "teleconsultation", "Hội chẩn từ xa")]}],
        "type": _specialty_codings([specialty]),
        "specialty": _specialty_codings([specialty]),
        "location": [ref("Location", str(hub.public_id), hub.name)],
        "name": f"Hội chẩn từ xa – {specialty.name_vi} – {hub.name}",
    }


SERVICE_FILTERS: dict[str, Any] = {
    "active": lambda m, v: (
        Q(supportlink__hub__status=Status.ACTIVE)
        if _bool(v)
        else ~Q(supportlink__hub__status=Status.ACTIVE)
    ),
    "organization": lambda m, v: _uuid_q(
        "supportlink__hub__public_id", reference_id(v, "Organization")
    ),
    "location": lambda m, v: _uuid_q("supportlink__hub__public_id", reference_id(v, "Location")),
    "service-type": lambda m, v: _specialty_q(v, "specialty__code"),
    "specialty": lambda m, v: _specialty_q(v, "specialty__code"),
    "name": lambda m, v: string_q("supportlink__hub__search_name", "supportlink__hub__name", m, v),
}


# --- _include and _revinclude ------------------------------------------------------------------


def _include_practitioners(user: User, rows: list[Any]) -> list[dict[str, Any]]:
    ids = {m.user_id for m in rows}
    return [practitioner(p) for p in practitioners(user).filter(pk__in=ids).order_by("pk")]


def _include_facilities(kind: str) -> Any:
    mapper = organization_of_facility if kind == "Organization" else location_of_facility

    def fetch(user: User, rows: list[Any]) -> list[dict[str, Any]]:
        ids: set[int] = set()
        for row in rows:
            if isinstance(row, Membership) and row.facility_id:
                ids.add(row.facility_id)
            elif isinstance(row, Facility):
                ids.add(row.pk)
        return [mapper(f) for f in facilities(user).filter(pk__in=ids).order_by("pk")]

    return fetch


def _revinclude(kind: str) -> Any:
    def fetch(user: User, rows: list[Any]) -> list[dict[str, Any]]:
        ids = [r.pk for r in rows if isinstance(r, Facility)]
        if kind == "Location":
            return [location_of_facility(f) for f in facilities(user).filter(pk__in=ids)]
        if kind == "PractitionerRole":
            return [practitioner_role(m) for m in memberships(user).filter(facility_id__in=ids)]
        field = "hub_id__in" if kind == "primary" else "spoke_id__in"
        return [affiliation(link) for link in support_links(user).filter(**{field: ids})]

    return fetch


# --- the types ---------------------------------------------------------------------------------

# mCSD ITI-91: each directory type's history since a moment, how a directory keeps in sync.
DIRECTORY_INTERACTIONS = ("read", "vread", "search-type", "history-type")

COMMON = (
    Param("_id", "token", "The resource's id."),
    Param("_lastUpdated", "date", "When it last changed (eq, ne, gt, lt, ge, le, sa, eb)."),
)
NAME = Param(
    "name",
    "string",
    "Each word begins a word of the name, diacritics and case aside; :contains anywhere; "
    ":exact as written.",
    ("contains", "exact"),
)

ORGANIZATION = ResourceType(
    "Organization",
    (
        Source(
            "jurisdiction",
            provinces,
            organization_of_province,
            lambda v: _province_q(v),
            _province_filters("Organization"),
            updated_field=None,
            constant_updated=REFORM,
        ),
        Source(
            "facility",
            facilities,
            organization_of_facility,
            _id_q_facility,
            _facility_filters("Organization"),
        ),
    ),
    (
        *COMMON,
        Param("identifier", "token", "The facility code (MA_CSKCB) or the province code."),
        NAME,
        Param("active", "token", "true or false."),
        Param("type", "token", "jurisdiction, facility, prov, govt, or a facility kind."),
        Param("partof", "reference", "The province's jurisdiction (Organization/province-NN)."),
    ),
    revincludes=(
        Include("Location:organization", "Location", _revinclude("Location")),
        Include(
            "OrganizationAffiliation:primary-organization",
            "OrganizationAffiliation",
            _revinclude("primary"),
        ),
        Include(
            "OrganizationAffiliation:participating-organization",
            "OrganizationAffiliation",
            _revinclude("participating"),
        ),
        Include(
            "PractitionerRole:organization", "PractitionerRole", _revinclude("PractitionerRole")
        ),
    ),
)

LOCATION = ResourceType(
    "Location",
    (
        Source(
            "jurisdiction",
            provinces,
            location_of_province,
            lambda v: _province_q(v),
            _province_filters("Location"),
            updated_field=None,
            constant_updated=REFORM,
        ),
        Source(
            "facility",
            facilities,
            location_of_facility,
            _id_q_facility,
            _facility_filters("Location"),
        ),
    ),
    (
        *COMMON,
        Param("identifier", "token", "The facility code (MA_CSKCB) or the province code."),
        NAME,
        Param("status", "token", "active or inactive."),
        Param("type", "token", "jurisdiction, facility, or a facility kind."),
        Param("partof", "reference", "The province's jurisdiction (Location/province-NN)."),
        Param("organization", "reference", "The managing Organization."),
    ),
    includes=(
        Include("Location:organization", "Organization", _include_facilities("Organization")),
    ),
)

ORGANIZATION_AFFILIATION = ResourceType(
    "OrganizationAffiliation",
    (
        Source(
            "support-link",
            support_links,
            affiliation,
            lambda v: _uuid_q("public_id", v),
            AFFILIATION_FILTERS,
        ),
    ),
    (
        *COMMON,
        Param("active", "token", "Current (true) or not."),
        Param("primary-organization", "reference", "The hub (Organization)."),
        Param("participating-organization", "reference", "The facility it supports."),
        Param("role", "token", "teleconsultation-support."),
        Param("specialty", "token", "A specialty code."),
        Param("location", "reference", "The supported facility's Location."),
    ),
    includes=(
        Include(
            "OrganizationAffiliation:primary-organization",
            "Organization",
            lambda user, rows: [
                organization_of_facility(f)
                for f in facilities(user).filter(pk__in={r.hub_id for r in rows}).order_by("pk")
            ],
        ),
        Include(
            "OrganizationAffiliation:participating-organization",
            "Organization",
            lambda user, rows: [
                organization_of_facility(f)
                for f in facilities(user).filter(pk__in={r.spoke_id for r in rows}).order_by("pk")
            ],
        ),
    ),
)

PRACTITIONER = ResourceType(
    "Practitioner",
    (
        Source(
            "person",
            practitioners,
            practitioner,
            lambda v: _uuid_q("public_id", v),
            PRACTITIONER_FILTERS,
            updated_field="last_change",
        ),
    ),
    (
        *COMMON,
        Param("identifier", "token", "The practising licence number, or the platform's id."),
        Param(
            "name",
            "string",
            "Each word begins a word of the name, diacritics and case aside; :contains "
            "anywhere; :exact as written.",
            ("contains", "exact"),
        ),
        Param("active", "token", "true or false."),
    ),
    revincludes=(
        Include(
            "PractitionerRole:practitioner",
            "PractitionerRole",
            lambda user, rows: [
                practitioner_role(m)
                for m in memberships(user).filter(user_id__in=[r.pk for r in rows])
            ],
        ),
    ),
)

PRACTITIONER_ROLE = ResourceType(
    "PractitionerRole",
    (
        Source(
            "membership",
            memberships,
            practitioner_role,
            lambda v: _uuid_q("public_id", v),
            ROLE_FILTERS,
            updated_field="last_change",
        ),
    ),
    (
        *COMMON,
        Param("active", "token", "true or false."),
        Param("practitioner", "reference", "The Practitioner."),
        Param("organization", "reference", "The facility (Organization)."),
        Param("location", "reference", "The facility (Location)."),
        Param("role", "token", "A role or a profession code."),
        Param("specialty", "token", "A specialty code."),
        Param("identifier", "token", "The practising licence number."),
    ),
    includes=(
        Include("PractitionerRole:practitioner", "Practitioner", _include_practitioners),
        Include(
            "PractitionerRole:organization", "Organization", _include_facilities("Organization")
        ),
        Include("PractitionerRole:location", "Location", _include_facilities("Location")),
    ),
)

HEALTHCARE_SERVICE = ResourceType(
    "HealthcareService",
    (
        Source(
            "service",
            services,
            healthcare_service,
            _service_id_q,
            SERVICE_FILTERS,
            updated_field="last_change",
        ),
    ),
    (
        *COMMON,
        Param("active", "token", "true or false."),
        Param("organization", "reference", "The hub (Organization)."),
        Param("location", "reference", "The hub (Location)."),
        Param("service-type", "token", "A specialty code."),
        Param("specialty", "token", "A specialty code."),
        Param("name", "string", "The hub's name.", ("contains", "exact")),
    ),
    includes=(
        Include(
            "HealthcareService:organization",
            "Organization",
            lambda user, rows: [
                organization_of_facility(f)
                for f in facilities(user)
                .filter(pk__in={r.supportlink.hub_id for r in rows})
                .order_by("pk")
            ],
        ),
    ),
)

DIRECTORY = tuple(
    replace(r, interactions=DIRECTORY_INTERACTIONS, count_total=True)
    for r in (
        ORGANIZATION,
        LOCATION,
        ORGANIZATION_AFFILIATION,
        PRACTITIONER,
        PRACTITIONER_ROLE,
        HEALTHCARE_SERVICE,
    )
)
