"""Programmes in the JSON API: the programmes you follow with their money, and recording one
(network administrators)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Header
from pydantic import ConfigDict

from caunoi.accounts.api_auth import api_user
from caunoi.audit.origin import origin_of
from caunoi.core.api import (
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.network.models import Facility
from caunoi.places.models import Province
from caunoi.programmes.access import access_programme, visible_programmes
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.logframe import flatten, progress
from caunoi.programmes.models import Kit, Partner, PriorityArea, Programme, ProgrammePartner
from caunoi.programmes.selectors import CENT, KitUse, grant_share, idle_kits, kit_use, with_money
from caunoi.programmes.services import KitInput, ProgrammeInput, kit_register, programme_create

router = Router(tags=["programmes"])


class PartnerOut(Schema):
    name: str
    short_name: str
    kind: str
    role: str


class ProgrammeOut(Schema):
    id: UUID
    code: str
    iati_identifier: str
    title: str
    title_vi: str
    title_en: str
    status: str
    starts_on: date
    ends_on: date
    partners: list[PartnerOut]
    priority_areas: list[str]
    provinces: list[int]
    committed_usd: Decimal
    disbursed_usd: Decimal
    grant_share: Decimal | None = Field(description="Percent of the commitments that are grants")
    url: str


def _out(p: Programme) -> dict[str, object]:
    """``p`` comes from ``with_money`` (its totals) and ``_related`` (its partners, areas and
    provinces in three queries for a whole page)."""
    return {
        "id": p.public_id,
        "code": p.code,
        "iati_identifier": p.iati_identifier,
        "title": p.title,
        "title_vi": p.title_vi,
        "title_en": p.title_en,
        "status": p.status,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "partners": [
            {
                "name": r.partner.name,
                "short_name": r.partner.short_name,
                "kind": r.partner.kind,
                "role": r.role,
            }
            for r in p.partners.all()
        ],
        "priority_areas": [a.code for a in p.priority_areas.all()],
        "provinces": [v.code for v in p.provinces.all()],
        "committed_usd": Decimal(getattr(p, "committed")).quantize(CENT),  # noqa: B009 -- annotated
        "disbursed_usd": Decimal(getattr(p, "disbursed")).quantize(CENT),  # noqa: B009
        "grant_share": grant_share(getattr(p, "committed"), getattr(p, "grant_committed")),  # noqa: B009
        "url": p.get_absolute_url(),
    }


@router.get("/programmes", response=list[ProgrammeOut], summary="Programmes you follow")
@paginate(Pagination)
def list_programmes(request: HttpRequest, filters: ListFilters = no_filters()) -> SerializedPage:
    """A programme viewer's organisation's programmes, an officer's province's, all for a
    network administrator; newest first."""
    return SerializedPage(
        _related(with_money(visible_programmes(request.user))).order_by("-starts_on", "code"),
        lambda rows: [_out(p) for p in rows],
    )


def _related(programmes: QuerySet[Programme]) -> QuerySet[Programme]:
    return programmes.prefetch_related(
        Prefetch("partners", queryset=ProgrammePartner.objects.select_related("partner")),
        "priority_areas",
        "provinces",
    )


def _one(request: HttpRequest, programme_id: UUID) -> dict[str, object]:
    p = access_programme(request.user, programme_id)
    return _out(_related(with_money(Programme.objects.filter(pk=p.pk))).get())


@router.get("/programmes/{programme_id}", response=ProgrammeOut, summary="One programme")
def get_programme(
    request: HttpRequest, programme_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return _one(request, programme_id)


class PartnerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    partner: str = Field(..., max_length=40, description="A partner's short name")
    role: Literal["funding", "accountable", "extending", "implementing"]


class ProgrammeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., min_length=1, max_length=40)
    iati_identifier: str = Field("", max_length=150)
    title_vi: str = Field(..., min_length=1, max_length=300)
    title_en: str = Field("", max_length=300)
    description: str = Field("", max_length=10000)
    status: Literal["pipeline", "implementation", "finalisation", "closed", "cancelled"]
    starts_on: date
    ends_on: date
    partners: list[PartnerIn] = Field(..., min_length=1, max_length=20)
    priority_areas: list[str] = Field(..., min_length=1, max_length=10)
    provinces: list[int] = Field(default_factory=list, max_length=34, description="Codes")


@router.post(
    "/programmes",
    response={201: ProgrammeOut, 200: ProgrammeOut},
    summary="Record a programme (network administrators)",
)
def create_programme(
    request: HttpRequest,
    payload: ProgrammeIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """The same `Idempotency-Key` again answers the programme it made (200)."""
    partners = {
        p.short_name: p
        for p in Partner.objects.filter(short_name__in=[x.partner for x in payload.partners])
    }
    if len(partners) != len({x.partner for x in payload.partners}):
        raise FieldErrors({"partners": _("Unknown partner.")})
    areas = list(PriorityArea.objects.filter(code__in=payload.priority_areas))
    if len(areas) != len(set(payload.priority_areas)):
        raise FieldErrors({"priority_areas": _("Unknown priority area.")})
    provinces = list(Province.objects.filter(code__in=payload.provinces))
    if len(provinces) != len(set(payload.provinces)):
        raise FieldErrors({"provinces": _("Unknown province code.")})
    p, created = programme_create(
        actor=api_user(request),
        client_id=idempotency_key,
        data=ProgrammeInput(
            code=payload.code,
            iati_identifier=payload.iati_identifier,
            title_vi=payload.title_vi,
            title_en=payload.title_en,
            description=payload.description,
            status=payload.status,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            partners=[(partners[x.partner], x.role) for x in payload.partners],
            priority_areas=areas,
            provinces=provinces,
        ),
        origin=origin_of(request),
    )
    return Status(
        201 if created else 200, _out(_related(with_money(Programme.objects.filter(pk=p.pk))).get())
    )


@router.get(
    "/programmes/{programme_id}/iati.xml",
    response={200: str},
    summary="One programme as an IATI 2.03 activity file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "IATI activities XML, version 2.03",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    },
)
def programme_iati(
    request: HttpRequest, programme_id: UUID, filters: NoFilters = no_filters()
) -> HttpResponse:
    """Checked against the IATI Standard's own schema in the tests."""
    p = access_programme(request.user, programme_id)
    return HttpResponse(activities_xml([p]), content_type="application/xml")


class PeriodOut(Schema):
    period: str = Field(description="2025, 2025-Q3 or 2025-10")
    target: float | None
    actual: float | None = Field(description="null when suppressed or not known")
    suppressed: bool
    source: Literal["computed", "entered"] | None
    state: Literal["met", "near", "behind", "missing", "running", "future", "suppressed", "none"]


class LogframeIndicatorOut(Schema):
    code: str
    title: str
    title_vi: str
    title_en: str
    bound_to: str | None = Field(description="the M&E catalogue code whose figure is the actual")
    unit: str
    ascending: bool
    baseline: float | None
    baseline_year: int | None
    missing: list[str] = Field(description="past periods with a target and no actual")
    periods: list[PeriodOut]


class LogframeResultOut(Schema):
    level: Literal["goal", "outcome", "output"]
    code: str
    parent: str | None
    title: str
    title_vi: str
    title_en: str
    indicators: list[LogframeIndicatorOut]


class LogframeOut(Schema):
    programme: UUID
    results: list[LogframeResultOut]


@router.get(
    "/programmes/{programme_id}/logframe",
    response=LogframeOut,
    summary="A programme's logframe with targets, actuals and progress per period",
)
def programme_logframe(
    request: HttpRequest, programme_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    """Results top down (goal, outcomes, outputs), each indicator with its periods. An actual
    bound to the platform is the M&E engine's figure over the programme's provinces and
    facilities and its dates, suppressed under 5 people as on the dashboards."""
    p = access_programme(request.user, programme_id)
    results = []
    for node in flatten(progress(p)):
        r = node.result
        results.append(
            {
                "level": r.level,
                "code": r.code,
                "parent": r.parent.code if r.parent else None,
                "title": r.title,
                "title_vi": r.title_vi,
                "title_en": r.title_en,
                "indicators": [
                    {
                        "code": ip.indicator.code,
                        "title": ip.indicator.title,
                        "title_vi": ip.indicator.title_vi,
                        "title_en": ip.indicator.title_en,
                        "bound_to": ip.indicator.bound_code or None,
                        "unit": ip.unit,
                        "ascending": ip.indicator.ascending,
                        "baseline": None
                        if ip.indicator.baseline is None
                        else float(ip.indicator.baseline),
                        "baseline_year": ip.indicator.baseline_year,
                        "missing": ip.missing,
                        "periods": [row.as_dict() for row in ip.periods],
                    }
                    for ip in node.indicators
                ],
            }
        )
    return {"programme": p.public_id, "results": results}


class KitFilters(ListFilters):
    programme: UUID | None = Field(None, description="A programme's id")
    idle_days: int | None = Field(
        None, ge=1, le=3650, description="Only kits in use whose facility used none of it so long"
    )


class KitOut(Schema):
    id: UUID
    kind: str
    serial: str
    programme: str
    facility: UUID
    facility_name: str
    delivered_on: date
    status: str
    video_sessions: int = Field(
        description="Sessions its facility joined in the last 30 days (or idle_days)"
    )
    consults: int = Field(description="Consultations its facility sent in the same days")
    last_used: date | None


def _kit_out(u: KitUse) -> dict[str, object]:
    k = u.kit
    return {
        "id": k.public_id,
        "kind": k.kind,
        "serial": k.serial,
        "programme": k.programme.code,
        "facility": k.facility.public_id,
        "facility_name": k.facility.name,
        "delivered_on": k.delivered_on,
        "status": k.status,
        "video_sessions": u.video_sessions,
        "consults": u.consults,
        "last_used": u.last_used,
    }


@router.get("/kits", response=list[KitOut], summary="Telehealth kits and their use")
@paginate(Pagination)
def list_kits(request: HttpRequest, filters: Query[KitFilters]) -> SerializedPage:
    """The kits of the programmes you follow, with their facility's use of them; `idle_days`
    keeps only those in use whose facility joined no video session and sent no consultation in
    that many days (delivered at least that long ago)."""
    kits = Kit.objects.filter(programme__in=visible_programmes(request.user)).select_related(
        "programme", "facility"
    )
    if filters.programme is not None:
        kits = kits.filter(programme__public_id=filters.programme)
    today = timezone.localdate()
    days = filters.idle_days or 30
    if filters.idle_days is not None:
        kits = kits.filter(pk__in=[u.kit.pk for u in idle_kits(kits, days=days, today=today)])

    def page(rows: list[Kit]) -> list[dict[str, object]]:
        one_page = Kit.objects.filter(pk__in=[k.pk for k in rows]).select_related(
            "programme", "facility"
        )
        uses = {
            u.kit.pk: u
            for u in kit_use(one_page, since=today - timedelta(days=days - 1), until=today)
        }
        return [_kit_out(uses[k.pk]) for k in rows]

    return SerializedPage(kits.order_by("facility__name", "serial"), page)


class KitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    programme: UUID
    kind: Literal["kit", "server", "other"]
    serial: str = Field(..., min_length=1, max_length=100)
    facility: UUID
    delivered_on: date


@router.post("/kits", response={201: KitOut}, summary="Record a kit a programme delivered")
def create_kit(request: HttpRequest, payload: KitIn) -> Status[dict[str, object]]:
    """The programme's managers; a serial number used twice is refused (422)."""
    programme = access_programme(request.user, payload.programme)
    facility = Facility.objects.filter(public_id=payload.facility).first()
    if facility is None:
        raise FieldErrors({"facility": _("Unknown facility.")})
    kit = kit_register(
        programme=programme,
        actor=api_user(request),
        data=KitInput(
            kind=payload.kind,
            serial=payload.serial,
            facility=facility,
            delivered_on=payload.delivered_on,
        ),
        origin=origin_of(request),
    )
    today = timezone.localdate()
    use = kit_use(Kit.objects.filter(pk=kit.pk), since=today - timedelta(days=29), until=today)
    return Status(201, _kit_out(use[0]))
