from datetime import date
from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import FieldErrors, Pagination, reject_unknown_params
from caunoi.network.access import access_facility, visible_facilities
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Specialty,
    SupportLink,
    TechnicalLevel,
)
from caunoi.network.selectors import FacilityFilters, facility_directory, hubs_by_specialty

router = Router(tags=["network"])

PAGE_PARAMS = {"limit", "offset"}


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


class FacilityDetailOut(FacilityOut):
    hubs: list[HubOut]

    @staticmethod
    def resolve_hubs(obj: Facility) -> list[dict[str, object]]:
        return [
            {"specialty": entry.specialty.code, "hubs": [link.hub for link in entry.links]}
            for entry in hubs_by_specialty(obj)
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
def list_specialties(request: HttpRequest):  # type: ignore[no-untyped-def]
    reject_unknown_params(request, PAGE_PARAMS)
    return Specialty.objects.all()


@router.get("/facilities", response=list[FacilityOut], summary="Facility directory")
@paginate(Pagination)
def list_facilities(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    q: str = "",
    province: int | None = None,
    commune: int | None = None,
    kind: FacilityKind | None = None,
    level: TechnicalLevel | None = None,
    hub: bool | None = None,
):
    """Search ignores diacritics and case: `q=tram y te lung cu` finds "Trạm Y tế xã Lũng Cú"."""
    reject_unknown_params(
        request, {"q", "province", "commune", "kind", "level", "hub"} | PAGE_PARAMS
    )
    filters = FacilityFilters(
        q=q,
        province=province,
        commune=commune,
        kind=kind or "",
        level=level or "",
        hub=hub,
    )
    return facility_directory(request.user, filters)


@router.get("/facilities/{facility_id}", response=FacilityDetailOut, summary="One facility")
def get_facility(request: HttpRequest, facility_id: UUID) -> Facility:
    """With, for a supported facility, its hubs per specialty (first hub first)."""
    reject_unknown_params(request, set())
    return access_facility(request.user, facility_id)


@router.get("/support-links", response=list[SupportLinkOut], summary="Hub ↔ spoke support links")
@paginate(Pagination)
def list_support_links(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    spoke: UUID | None = None,
    hub: UUID | None = None,
    specialty: str = "",
):
    reject_unknown_params(request, {"spoke", "hub", "specialty"} | PAGE_PARAMS)
    facilities = visible_facilities(request.user)
    qs = (
        SupportLink.objects.current()
        .filter(hub__in=facilities, spoke__in=facilities)
        .select_related("hub", "spoke")
        .prefetch_related("specialties")
        .order_by("spoke__name", "priority", "id")
    )
    if spoke is not None:
        qs = qs.filter(spoke__public_id=spoke)
    if hub is not None:
        qs = qs.filter(hub__public_id=hub)
    if specialty:
        if not Specialty.objects.filter(code=specialty).exists():
            raise FieldErrors({"specialty": _("Unknown specialty code.")})
        qs = qs.filter(specialties__code=specialty)
    return qs
