from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import FieldErrors, ListFilters, NoFilters, Pagination, no_filters
from caunoi.network.access import access_facility
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Specialty,
    SupportLink,
    TechnicalLevel,
)
from caunoi.network.selectors import (
    FacilityFilters,
    HubForSpecialty,
    facility_directory,
    hubs_by_specialty,
    specialty_exists,
    specialty_list,
    support_link_list,
)

router = Router(tags=["network"])


class DirectoryFilters(ListFilters):
    q: str = ""
    province: int | None = None
    commune: int | None = None
    kind: FacilityKind | None = None
    level: TechnicalLevel | None = None
    hub: bool | None = None


class SupportLinkFilters(ListFilters):
    spoke: UUID | None = None
    hub: UUID | None = None
    specialty: str = ""


class SpecialtyOut(Schema):
    code: str
    name_vi: str
    name_en: str
    is_common: bool


class FacilityRefOut(Schema):
    id: UUID
    code: str
    name: str

    @staticmethod
    def resolve_id(obj: Facility) -> UUID:
        return obj.public_id


class FacilityOut(Schema):
    id: UUID
    code: str
    name: str
    short_name: str
    kind: FacilityKind
    level: TechnicalLevel | None
    province_code: int
    commune_code: int | None
    address: str
    phone: str
    latitude: Decimal | None
    longitude: Decimal | None
    is_hub: bool
    status: str
    url: str

    @staticmethod
    def resolve_id(obj: Facility) -> UUID:
        return obj.public_id

    @staticmethod
    def resolve_level(obj: Facility) -> str | None:
        return obj.level or None

    @staticmethod
    def resolve_province_code(obj: Facility) -> int:
        return obj.province.code

    @staticmethod
    def resolve_commune_code(obj: Facility) -> int | None:
        return obj.commune.code if obj.commune else None

    @staticmethod
    def resolve_url(obj: Facility) -> str:
        return obj.get_absolute_url()


class HubOut(Schema):
    specialty: str
    hubs: list[FacilityRefOut]


@dataclass(frozen=True)
class FacilityWithHubs:
    """A facility and its hubs per specialty, read beforehand by the selector (a schema reads
    no database): what FacilityDetailOut answers. Other attributes are the facility's."""

    facility: Facility
    hubs: list[HubForSpecialty]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.facility, name)


class FacilityDetailOut(FacilityOut):
    hubs: list[HubOut]

    @staticmethod
    def resolve_hubs(obj: FacilityWithHubs) -> list[dict[str, object]]:
        return [
            {"specialty": entry.specialty.code, "hubs": [link.hub for link in entry.links]}
            for entry in obj.hubs
        ]


class SupportLinkOut(Schema):
    id: UUID
    hub: FacilityRefOut
    spoke: FacilityRefOut
    specialties: list[str]
    priority: int
    valid_from: date
    valid_to: date | None

    @staticmethod
    def resolve_id(obj: SupportLink) -> UUID:
        return obj.public_id

    @staticmethod
    def resolve_specialties(obj: SupportLink) -> list[str]:
        return [s.code for s in obj.specialties.all()]


@router.get("/specialties", response=list[SpecialtyOut], summary="Specialty catalogue")
@paginate(Pagination)
def list_specialties(
    request: HttpRequest, filters: ListFilters = no_filters()
) -> QuerySet[Specialty]:
    return specialty_list()


@router.get("/facilities", response=list[FacilityOut], summary="Facility directory")
@paginate(Pagination)
def list_facilities(request: HttpRequest, filters: Query[DirectoryFilters]) -> QuerySet[Facility]:
    """Search ignores diacritics and case: `q=tram y te lung cu` finds "Trạm Y tế xã Lũng Cú"."""
    return facility_directory(
        request.user,
        FacilityFilters(
            q=filters.q,
            province=filters.province,
            commune=filters.commune,
            kind=filters.kind or "",
            level=filters.level or "",
            hub=filters.hub,
        ),
    )


@router.get("/facilities/{facility_id}", response=FacilityDetailOut, summary="One facility")
def get_facility(
    request: HttpRequest, facility_id: UUID, filters: NoFilters = no_filters()
) -> FacilityWithHubs:
    """With, for a supported facility, its hubs per specialty (first hub first)."""
    facility = access_facility(request.user, facility_id)
    return FacilityWithHubs(facility, hubs_by_specialty(facility))


@router.get("/support-links", response=list[SupportLinkOut], summary="Hub ↔ spoke support links")
@paginate(Pagination)
def list_support_links(
    request: HttpRequest, filters: Query[SupportLinkFilters]
) -> QuerySet[SupportLink]:
    if filters.specialty and not specialty_exists(filters.specialty):
        raise FieldErrors({"specialty": _("Unknown specialty code.")})
    return support_link_list(
        request.user, spoke=filters.spoke, hub=filters.hub, specialty=filters.specialty
    )
