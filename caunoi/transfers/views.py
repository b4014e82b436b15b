from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.core.actions import guarded_action, show_on_form
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Facility, FacilityKind, Membership, Role
from caunoi.transfers.access import access_transfer, heads_receiver, manages, receives
from caunoi.transfers.forms import (
    AssessmentForm,
    AuthoriseForm,
    CaseForm,
    PeopleForm,
    ReportForm,
    TransferForm,
)
from caunoi.transfers.models import CaseKind, Transfer, TransferStatus
from caunoi.transfers.selectors import report_lines, transfer_list
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    assessment_record,
    authorise,
    case_record,
    observation_complete,
    report_file,
    sign_off,
    theory_complete,
    trainees_set,
    transfer_create,
)

PAGE_SIZE = 20


def _errors(form: Any) -> ValidationError:
    return ValidationError([m for errors in form.errors.values() for m in errors])


def _people(facility_id: int, roles: list[str]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for m in (
        Membership.objects.active()
        .filter(facility_id=facility_id, role__in=roles)
        .select_related("user")
        .order_by("user__full_name", "id")
    ):
        seen.setdefault(str(m.user.public_id), m.user.full_name)
    return list(seen.items())


@login_required
def transfer_list_view(request: AuthedRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if not (scope.hub_ids or scope.facility_ids or scope.province_ids):
        raise Http404
    status = request.GET.get("status", "")
    q = request.GET.get("q", "")[:100]
    page = Paginator(transfer_list(request.user, status=status, q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode([(k, v) for k, v in (("status", status), ("q", q)) if v])
    return render(
        request,
        "transfers/transfer_list.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "query": query,
            "statuses": TransferStatus.choices,
            "can_create": bool(scope.hub_ids),
        },
    )


def _receivers(hub_ids: frozenset[int]) -> list[tuple[str, str]]:
    facilities = (
        Facility.objects.active()
        .exclude(kind__in=[FacilityKind.HEALTH_DEPARTMENT, FacilityKind.STATION])
        .exclude(pk__in=hub_ids)
        .select_related("province")
        .order_by("province__name", "name")
    )
    return [(str(f.public_id), f"{f.name} ({f.province.name})") for f in facilities]


@login_required
def transfer_new(request: AuthedRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if not scope.hub_ids:
        raise Http404
    hub = Facility.objects.filter(pk__in=scope.hub_ids).order_by("id").first()
    assert hub is not None
    form = TransferForm(
        request.POST or None,
        request.FILES or None,
        receivers=_receivers(scope.hub_ids),
        trainers=_people(hub.pk, [Role.SPECIALIST, Role.COORDINATOR]),
        initial={"client_id": uuid.uuid4(), "agreed_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        made: list[Transfer] = []

        def step() -> str:
            upload = d.get("agreement")
            transfer, created = transfer_create(
                actor=request.user,
                hub=hub,
                client_id=d["client_id"],
                data=TransferInput(
                    receiver=Facility.objects.get(public_id=d["receiver"]),
                    technique=d.get("technique"),
                    technique_name=d.get("technique_name") or "",
                    technique_code=d.get("technique_code") or "",
                    specialty=d.get("specialty"),
                    level=d.get("level") or "",
                    agreement_number=d.get("agreement_number") or "",
                    agreed_on=d["agreed_on"],
                    planned_end=d["planned_end"],
                    agreement=upload.read() if upload else None,
                    observed_target=d["observed_target"],
                    supervised_target=d["supervised_target"],
                    trainers=list(User.objects.filter(public_id__in=d["trainers"])),
                ),
                origin=origin_of(request),
            )
            made.append(transfer)
            if not created:
                return _("This transfer was recorded already.")
            return _("The transfer is recorded; the receiving facility is told.")

        try:
            message = step()
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, message)
            return redirect(made[0].get_absolute_url())
    return render(request, "transfers/transfer_form.html", {"form": form, "hub": hub})


@login_required
def transfer_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    t = access_transfer(request.user, public_id)
    hub_side, receiver_side = manages(request.user, t), receives(request.user, t)
    trainees = [(str(u.public_id), u.full_name) for u in t.trainees.order_by("full_name")]
    trainers = [(str(u.public_id), u.full_name) for u in t.trainers.order_by("full_name")]
    cases = list(t.cases.select_related("trainee", "supervisor").order_by("performed_on", "id"))
    observed = sum(1 for c in cases if c.kind == CaseKind.OBSERVED)
    supervised = len(cases) - observed
    case_kind = {
        TransferStatus.THEORY_DONE: CaseKind.OBSERVED,
        TransferStatus.OBSERVED: CaseKind.SUPERVISED,
    }.get(TransferStatus(t.status))
    case_form = None
    if case_kind and (hub_side or receiver_side) and trainees and trainers:
        case_form = CaseForm(
            trainees=trainees,
            supervisors=trainers,
            initial={
                "client_id": uuid.uuid4(),
                "kind": case_kind,
                "performed_on": timezone.localdate(),
            },
        )
    today = timezone.localdate()
    lines = report_lines(t, today=today)
    editable_trainees = (hub_side or receiver_side) and t.status in (
        TransferStatus.AGREED,
        TransferStatus.THEORY_DONE,
        TransferStatus.OBSERVED,
        TransferStatus.ASSESSED,
    )
    return render(
        request,
        "transfers/transfer_detail.html",
        {
            "t": t,
            "hub_side": hub_side,
            "receiver_side": receiver_side,
            "head": heads_receiver(request.user, t),
            "trainees": t.trainees.order_by("full_name"),
            "trainers": t.trainers.order_by("full_name"),
            "cases": cases,
            "observed": observed,
            "supervised": supervised,
            "case_form": case_form,
            "case_kind": case_kind,
            "people_form": (
                PeopleForm(
                    people=_people(t.receiver_id, sorted(CLINICAL_ROLES)),
                    initial={"people": [p for p, _name in trainees]},
                )
                if editable_trainees
                else None
            ),
            "assessment_form": AssessmentForm(),
            "authorise_form": AuthoriseForm(initial={"on": today}),
            "lines": lines,
            "performed_total": sum(line.performed or 0 for line in lines),
            "events": t.events.select_related("actor").order_by("at", "id"),
            "steps": [
                (value, label)
                for value, label in TransferStatus.choices
                if value != TransferStatus.CANCELLED
            ],
        },
    )


@login_required
def agreement_file(request: AuthedRequest, public_id: str) -> FileResponse:
    t = access_transfer(request.user, public_id)
    if not t.agreement:
        raise Http404
    response = FileResponse(t.agreement.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
@guarded_action(access_transfer)
def step_view(request: AuthedRequest, t: Transfer, step: str) -> str | None:
    """The buttons of the transfer page: each a guarded step of ``services.py``."""
    origin = origin_of(request)
    form: forms.Form
    if step == "theory":
        theory_complete(transfer=t, actor=request.user, origin=origin)
        return _("Theory recorded as taught.")
    if step == "observation":
        observation_complete(transfer=t, actor=request.user, origin=origin)
        return _("Observation complete: cases under supervision can be logged.")
    if step == "assessment":
        form = AssessmentForm(request.POST)
        if not form.is_valid():
            raise _errors(form)
        done = assessment_record(
            transfer=t,
            actor=request.user,
            passed=form.cleaned_data["passed"],
            note=form.cleaned_data["note"],
            origin=origin,
        )
        if done.status == TransferStatus.ASSESSED:
            return _("Competency assessed: passed. The hub can sign off.")
        return _("Assessment recorded: not yet. Log more supervised cases.")
    if step == "sign-off":
        sign_off(transfer=t, actor=request.user, origin=origin)
        return _("Signed off. The receiving facility is told.")
    if step == "authorise":
        form = AuthoriseForm(request.POST)
        if not form.is_valid():
            raise _errors(form)
        authorise(
            transfer=t,
            actor=request.user,
            decision_number=form.cleaned_data["decision_number"],
            on=form.cleaned_data["on"],
            origin=origin,
        )
        return _("Authorised. Monthly reports start next month.")
    if step == "trainees":
        form = PeopleForm(request.POST, people=_people(t.receiver_id, sorted(CLINICAL_ROLES)))
        if not form.is_valid():
            raise _errors(form)
        trainees_set(
            transfer=t,
            actor=request.user,
            trainees=list(User.objects.filter(public_id__in=form.cleaned_data["people"])),
            origin=origin,
        )
        return _("The trainees are saved.")
    if step == "case":
        form = CaseForm(
            request.POST,
            trainees=[(str(u.public_id), u.full_name) for u in t.trainees.all()],
            supervisors=[(str(u.public_id), u.full_name) for u in t.trainers.all()],
        )
        if not form.is_valid():
            raise _errors(form)
        d = form.cleaned_data
        _case, created = case_record(
            transfer=t,
            actor=request.user,
            client_id=d["client_id"],
            data=CaseInput(
                kind=d["kind"],
                performed_on=d["performed_on"],
                trainee=User.objects.get(public_id=d["trainee"]),
                supervisor=User.objects.get(public_id=d["supervisor"]),
                complication=d["complication"],
                note=d["note"],
            ),
            origin=origin,
        )
        return _("The case is logged.") if created else _("This case was logged already.")
    if step == "report":
        form = ReportForm(request.POST)
        if not form.is_valid():
            raise _errors(form)
        d = form.cleaned_data
        try:
            month = date.fromisoformat(d["month"])
        except ValueError as exc:
            raise ValidationError(
                _("Report one of the twelve months after the authorisation.")
            ) from exc
        _report, created = report_file(
            transfer=t,
            actor=request.user,
            data=ReportInput(
                month=month,
                performed=d["performed"],
                complications=d["complications"],
                referred_onward=d["referred_onward"],
                note=d["note"],
            ),
            origin=origin,
        )
        return (
            _("The report of %(month)s is filed.") % {"month": f"{month:%m/%Y}"}
            if created
            else _("This month was reported already.")
        )
    raise Http404
