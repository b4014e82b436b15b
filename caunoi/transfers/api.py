"""Technique transfer in the JSON API: the hub records and steers, the receiver logs cases and
files its monthly reports."""

from datetime import date
from typing import Literal
from uuid import UUID

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Header
from pydantic import ConfigDict

from caunoi.accounts.api_auth import api_user
from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.core.api import (
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Specialty
from caunoi.transfers.access import access_transfer
from caunoi.transfers.models import CaseKind, Technique, Transfer, TransferStatus
from caunoi.transfers.selectors import report_lines, transfer_list
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    authorise,
    case_record,
    report_file,
    sign_off,
    transfer_create,
)

router = Router(tags=["technique transfer"])


class TransferFilters(ListFilters):
    status: Literal[
        "", "agreed", "theory_done", "observed", "assessed", "signed_off", "authorised", "cancelled"
    ] = ""
    q: str = Field("", max_length=100, description="Words of the technique or a facility's name")


class TransferOut(Schema):
    id: UUID
    technique: str
    technique_code: str
    specialty: str
    level: str
    hub: UUID
    hub_name: str
    receiver: UUID
    receiver_name: str
    status: TransferStatus
    agreed_on: date
    planned_end: date
    observed: int
    observed_target: int
    supervised: int
    supervised_target: int
    signed_off_on: date | None
    authorised_on: date | None
    url: str


class MonthOut(Schema):
    month: str = Field(description="yyyy-mm")
    performed: int | None
    complications: int | None
    referred_onward: int | None
    overdue: bool


class TransferDetailOut(TransferOut):
    trainers: list[UUID]
    trainees: list[UUID]
    assessment_passed: bool | None
    months: list[MonthOut] = Field(description="The twelve months after authorisation")


def _counts(t: Transfer) -> tuple[int, int]:
    observed = getattr(t, "observed", None)
    supervised = getattr(t, "supervised", None)
    if observed is None or supervised is None:
        c = t.cases.aggregate(
            o=Count("id", filter=Q(kind=CaseKind.OBSERVED)),
            s=Count("id", filter=Q(kind=CaseKind.SUPERVISED)),
        )
        return c["o"], c["s"]
    return observed, supervised


def _out(t: Transfer) -> dict[str, object]:
    observed, supervised = _counts(t)
    return {
        "id": t.public_id,
        "technique": t.technique_name,
        "technique_code": t.technique_code,
        "specialty": t.specialty.code,
        "level": t.level,
        "hub": t.hub.public_id,
        "hub_name": t.hub.name,
        "receiver": t.receiver.public_id,
        "receiver_name": t.receiver.name,
        "status": t.status,
        "agreed_on": t.agreed_on,
        "planned_end": t.planned_end,
        "observed": observed,
        "observed_target": t.observed_target,
        "supervised": supervised,
        "supervised_target": t.supervised_target,
        "signed_off_on": t.signed_off_at.date() if t.signed_off_at else None,
        "authorised_on": t.authorised_on,
        "url": t.get_absolute_url(),
    }


@router.get("/transfers", response=list[TransferOut], summary="Technique transfers you follow")
@paginate(Pagination)
def list_transfers(request: HttpRequest, filters: Query[TransferFilters]) -> SerializedPage:
    """The hub's transfers for its staff, the receiver's for its staff, the province's for an
    officer; newest agreement first."""
    qs = transfer_list(request.user, status=filters.status, q=filters.q)
    return SerializedPage(qs, lambda rows: [_out(t) for t in rows])


def _detail(request: HttpRequest, transfer_id: UUID) -> dict[str, object]:
    t = access_transfer(request.user, transfer_id)
    return {
        **_out(t),
        "trainers": [u.public_id for u in t.trainers.all()],
        "trainees": [u.public_id for u in t.trainees.all()],
        "assessment_passed": t.assessment_passed,
        "months": [
            {
                "month": f"{line.month:%Y-%m}",
                "performed": line.performed,
                "complications": line.complications,
                "referred_onward": line.referred_onward,
                "overdue": line.overdue,
            }
            for line in report_lines(t, today=timezone.localdate())
        ],
    }


@router.get("/transfers/{transfer_id}", response=TransferDetailOut, summary="One transfer")
def get_transfer(
    request: HttpRequest, transfer_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return _detail(request, transfer_id)


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")
    receiver: UUID = Field(description="The receiving facility's id")
    technique: UUID | None = Field(None, description="A technique of the catalogue, or omit")
    technique_name: str = Field("", max_length=300)
    technique_code: str = Field("", max_length=40, description="Circular 23/2024/TT-BYT code")
    specialty: str = Field("", max_length=40, description="A specialty code (without technique)")
    level: Literal["", "initial", "basic", "specialised"] = ""
    agreement_number: str = Field("", max_length=100)
    agreed_on: date
    planned_end: date
    observed_target: int = Field(3, ge=0, le=500)
    supervised_target: int = Field(..., ge=1, le=500)
    trainers: list[UUID] = Field(..., min_length=1, max_length=20)
    trainees: list[UUID] = Field(default_factory=list, max_length=50)


def _users(ids: list[UUID], field: str) -> list[User]:
    users = list(User.objects.filter(public_id__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        raise FieldErrors({field: _("Unknown person.")})
    return users


@router.post(
    "/transfers",
    response={201: TransferDetailOut, 200: TransferDetailOut},
    summary="Record a technique transfer (a hub's staff)",
)
def create_transfer(
    request: HttpRequest,
    payload: TransferIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """The same `Idempotency-Key` again answers the transfer it made (200)."""
    user = api_user(request)
    hub = Facility.objects.filter(pk__in=user_scope(user).hub_ids).order_by("id").first()
    if hub is None:
        raise FieldErrors(
            {"hub": _("Only the hub's specialists and coordinators record its transfers.")}
        )
    receiver = Facility.objects.filter(public_id=payload.receiver).first()
    if receiver is None:
        raise FieldErrors({"receiver": _("Unknown facility.")})
    technique = None
    if payload.technique is not None:
        technique = Technique.objects.filter(public_id=payload.technique, is_active=True).first()
        if technique is None:
            raise FieldErrors({"technique": _("Unknown technique.")})
    specialty = None
    if payload.specialty:
        specialty = Specialty.objects.filter(code=payload.specialty).first()
        if specialty is None:
            raise FieldErrors({"specialty": _("Unknown specialty code.")})
    t, created = transfer_create(
        actor=user,
        hub=hub,
        client_id=idempotency_key,
        data=TransferInput(
            receiver=receiver,
            technique=technique,
            technique_name=payload.technique_name,
            technique_code=payload.technique_code,
            specialty=specialty,
            level=payload.level,
            agreement_number=payload.agreement_number,
            agreed_on=payload.agreed_on,
            planned_end=payload.planned_end,
            observed_target=payload.observed_target,
            supervised_target=payload.supervised_target,
            trainers=_users(payload.trainers, "trainers"),
            trainees=_users(payload.trainees, "trainees"),
        ),
        origin=origin_of(request),
    )
    return Status(201 if created else 200, _detail(request, t.public_id))


class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["observed", "supervised"]
    performed_on: date
    trainee: UUID
    supervisor: UUID
    complication: bool = False
    note: str = Field("", max_length=500, description="No patient identity")


class CaseOut(Schema):
    id: UUID
    kind: str
    performed_on: date
    observed: int
    supervised: int


@router.post(
    "/transfers/{transfer_id}/cases",
    response={201: CaseOut, 200: CaseOut},
    summary="Log a case observed or performed under supervision",
)
def add_case(
    request: HttpRequest,
    transfer_id: UUID,
    payload: CaseIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    t = access_transfer(request.user, transfer_id)
    trainee, supervisor = (
        _users([payload.trainee], "trainee")[0],
        _users([payload.supervisor], "supervisor")[0],
    )
    case, created = case_record(
        transfer=t,
        actor=api_user(request),
        client_id=idempotency_key,
        data=CaseInput(
            kind=payload.kind,
            performed_on=payload.performed_on,
            trainee=trainee,
            supervisor=supervisor,
            complication=payload.complication,
            note=payload.note,
        ),
        origin=origin_of(request),
    )
    observed, supervised = _counts(Transfer.objects.get(pk=t.pk))
    return Status(
        201 if created else 200,
        {
            "id": case.public_id,
            "kind": case.kind,
            "performed_on": case.performed_on,
            "observed": observed,
            "supervised": supervised,
        },
    )


@router.post(
    "/transfers/{transfer_id}/sign-off",
    response=TransferDetailOut,
    summary="Sign a transfer off (the hub)",
)
def sign_off_transfer(request: HttpRequest, transfer_id: UUID) -> dict[str, object]:
    """After the last supervised case and a passed competency assessment; else 422 with why."""
    t = access_transfer(request.user, transfer_id)
    sign_off(transfer=t, actor=api_user(request), origin=origin_of(request))
    return _detail(request, transfer_id)


class AuthoriseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    decision_number: str = Field("", max_length=100)
    on: date | None = Field(None, description="The decision's date; default today")


@router.post(
    "/transfers/{transfer_id}/authorise",
    response=TransferDetailOut,
    summary="Authorise the technique (the receiving facility's head)",
)
def authorise_transfer(
    request: HttpRequest, transfer_id: UUID, payload: AuthoriseIn
) -> dict[str, object]:
    """After the hub's sign-off; starts the twelve monthly reports."""
    t = access_transfer(request.user, transfer_id)
    authorise(
        transfer=t,
        actor=api_user(request),
        decision_number=payload.decision_number,
        on=payload.on,
        origin=origin_of(request),
    )
    return _detail(request, transfer_id)


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="yyyy-mm")
    performed: int = Field(..., ge=0, le=100000)
    complications: int = Field(0, ge=0, le=100000)
    referred_onward: int = Field(0, ge=0, le=100000)
    note: str = Field("", max_length=1000)


class ReportOut(Schema):
    month: str
    performed: int
    complications: int
    referred_onward: int


@router.post(
    "/transfers/{transfer_id}/monthly-reports",
    response={201: ReportOut, 200: ReportOut},
    summary="File a monthly report (the receiving facility)",
)
def file_report(
    request: HttpRequest, transfer_id: UUID, payload: ReportIn
) -> Status[dict[str, object]]:
    """One of the twelve months after authorisation, once it has ended. Once per month: the
    same month again answers the report filed (200) and changes nothing."""
    t = access_transfer(request.user, transfer_id)
    year, month = (int(x) for x in payload.month.split("-"))
    report, created = report_file(
        transfer=t,
        actor=api_user(request),
        data=ReportInput(
            month=date(year, month, 1),
            performed=payload.performed,
            complications=payload.complications,
            referred_onward=payload.referred_onward,
            note=payload.note,
        ),
        origin=origin_of(request),
    )
    return Status(
        201 if created else 200,
        {
            "month": f"{report.month:%Y-%m}",
            "performed": report.performed,
            "complications": report.complications,
            "referred_onward": report.referred_onward,
        },
    )
