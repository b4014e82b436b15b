from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from caunoi.core.api import Pagination, reject_unknown_params
from caunoi.places.models import Commune, Province

router = Router(tags=["places"])

PAGE_PARAMS = {"limit", "offset"}


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
def list_provinces(request: HttpRequest, q: str = ""):  # type: ignore[no-untyped-def]
    reject_unknown_params(request, {"q"} | PAGE_PARAMS)
    qs = Province.objects.all()
    if q:
        qs = qs.search(q)
    return qs


@router.get("/communes", response=list[CommuneOut], summary="Communes, wards and special zones")
@paginate(Pagination)
def list_communes(request: HttpRequest, province: int | None = None, q: str = ""):  # type: ignore[no-untyped-def]
    reject_unknown_params(request, {"province", "q"} | PAGE_PARAMS)
    qs = Commune.objects.select_related("province")
    if province is not None:
        qs = qs.filter(province__code=province)
    if q:
        qs = qs.search(q)
    return qs
