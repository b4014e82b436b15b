from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import ListFilters, Pagination
from caunoi.places.models import Commune, Province
from caunoi.places.selectors import commune_list, province_list

router = Router(tags=["places"])


class ProvinceFilters(ListFilters):
    q: str = ""


class CommuneFilters(ListFilters):
    province: int | None = None
    q: str = ""


class ProvinceOut(Schema):
    code: int
    name: str
    short_name: str
    division_type: str
    phone_code: int | None
    legacy_codes: list[int]


class CommuneOut(Schema):
    code: int
    name: str
    division_type: str
    province_code: int
    legacy_codes: list[int]
    is_remote: bool
    is_island: bool

    @staticmethod
    def resolve_province_code(obj: Commune) -> int:
        return obj.province.code


@router.get("/provinces", response=list[ProvinceOut], summary="Provinces (34 since 1 July 2025)")
@paginate(Pagination)
def list_provinces(request: HttpRequest, filters: Query[ProvinceFilters]) -> QuerySet[Province]:
    return province_list(q=filters.q)


@router.get("/communes", response=list[CommuneOut], summary="Communes, wards and special zones")
@paginate(Pagination)
def list_communes(request: HttpRequest, filters: Query[CommuneFilters]) -> QuerySet[Commune]:
    return commune_list(province=filters.province, q=filters.q)
