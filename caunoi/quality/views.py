from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.core.access import get_or_404
from caunoi.core.actions import guarded_action, run_guarded
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Facility, FacilityKind, Membership
from caunoi.protocols.access import visible_protocols
from caunoi.quality.access import access_assessment, heads, visible_assessments, works_at
from caunoi.quality.forms import ActionForm, ScoreForm
from caunoi.quality.models import (
    Assessment,
    AssessmentStatus,
    Criterion,
    ImprovementAction,
    Score,
)
from caunoi.quality.selectors import across_years, overall, province_table, section_scores
from caunoi.quality.services import (
    NEEDS_ACTION_AT,
    ScoreInput,
    action_add,
    action_done,
    assessment_start,
    assessment_submit,
    criteria_for,
    score_record,
)


def _assessable(user: Any) -> list[Facility]:
    """The facilities the user works at that have a criteria set (hospitals, centres)."""
    facilities = Facility.objects.filter(pk__in=user_scope(user).facility_ids).exclude(
        kind__in=[FacilityKind.STATION, FacilityKind.HEALTH_DEPARTMENT]
    )
    return [f for f in facilities if criteria_for(f) is not None]


@login_required
def quality_home(request: AuthedRequest) -> HttpResponse:
    scope = user_scope(request.user)
    facilities = _assessable(request.user)
    if not facilities and not scope.province_ids:
        raise Http404
    year = timezone.localdate().year
    try:
        shown_year = int(request.GET.get("year", year))
    except ValueError:
        shown_year = year
    province_rows: tuple[list[str], list[Any]] = ([], [])
    if scope.province_ids:
        submitted = list(
            Assessment.objects.filter(
                facility__province_id__in=scope.province_ids,
                year=shown_year,
                status=AssessmentStatus.SUBMITTED,
            ).select_related("facility", "criteria_set")
        )
        province_rows = province_table(submitted)
    return render(
        request,
        "quality/quality_home.html",
        {
            "facilities": facilities,
            "mine": visible_assessments(request.user)
            .filter(facility__in=facilities)
            .select_related("facility", "criteria_set")
            .order_by("-year"),
            "year": year,
            "shown_year": shown_year,
            "years": list(range(year, year - 6, -1)),
            "codes": province_rows[0],
            "rows": province_rows[1],
            "officer": bool(scope.province_ids),
        },
    )


@login_required
@require_POST
def quality_start(request: AuthedRequest) -> HttpResponse:
    facility = get_or_404(
        Facility.objects.filter(pk__in=[f.pk for f in _assessable(request.user)]),
        public_id=request.POST.get("facility", "")[:40] or "-",
    )
    made: list[Assessment] = []

    def step() -> str:
        a, created = assessment_start(
            facility=facility,
            year=timezone.localdate().year,
            actor=request.user,
            origin=origin_of(request),
        )
        made.append(a)
        return _("The self-assessment is started.") if created else ""

    response = run_guarded(request, step, "/quality/")
    return redirect(made[0].get_absolute_url()) if made else response


@login_required
def assessment_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    a = access_assessment(request.user, public_id)
    editable = a.status == AssessmentStatus.DRAFT and works_at(request.user, a.facility_id)
    scores = {
        s.criterion_id: s for s in Score.objects.filter(assessment=a).select_related("protocol")
    }
    sections = []
    for section in a.criteria_set.sections.prefetch_related("criteria"):
        sections.append((section, [(c, scores.get(c.pk)) for c in section.criteria.all()]))
    protocols = [
        (str(p.public_id), p.title_vi)
        for p in visible_protocols(request.user).order_by("title_vi")[:100]
    ]
    criteria = [(c.code, f"{c.code} {c.text}") for _s, rows in sections for c, _x in rows]
    rows = section_scores(a)
    return render(
        request,
        "quality/assessment_detail.html",
        {
            "a": a,
            "sections": sections,
            "editable": editable,
            "head": heads(request.user, a.facility_id),
            "levels": range(1, a.criteria_set.levels + 1),
            "protocols": protocols,
            "section_rows": rows,
            "overall": overall(rows),
            "years": across_years(a),
            "actions": a.actions.select_related("owner", "criterion"),
            "action_form": ActionForm(criteria=criteria, owners=_owners(a)) if editable else None,
            "needs_action_at": NEEDS_ACTION_AT,
            "scored": len(scores),
            "total": sum(len(r) for _s, r in sections),
        },
    )


def _owners(a: Assessment) -> list[tuple[str, str]]:
    """The facility's clinical staff, who own the steps of its plan."""
    people = {
        str(m.user.public_id): m.user.full_name
        for m in Membership.objects.active()
        .filter(facility_id=a.facility_id, role__in=sorted(CLINICAL_ROLES))
        .select_related("user")
        .order_by("user__full_name")
    }
    return list(people.items())


def _criterion(a: Assessment, code: str) -> Criterion:
    return get_or_404(Criterion.objects.filter(section__criteria_set=a.criteria_set), code=code)


@login_required
@require_POST
@guarded_action(access_assessment)
def step_view(request: AuthedRequest, a: Assessment, step: str) -> str | None:
    origin = origin_of(request)
    form: forms.Form
    if step == "score":
        form = ScoreForm(
            request.POST,
            request.FILES,
            levels=a.criteria_set.levels,
            protocols=[(str(p.public_id), p.title_vi) for p in visible_protocols(request.user)],
        )
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        d = form.cleaned_data
        upload = d.get("evidence")
        criterion = _criterion(a, d["criterion"])
        score_record(
            assessment=a,
            criterion=criterion,
            actor=request.user,
            data=ScoreInput(
                level=d["level"],
                note=d.get("note") or "",
                evidence=upload.read() if upload else None,
                evidence_url=d.get("evidence_url") or "",
                protocol=visible_protocols(request.user).filter(public_id=d["protocol"]).first()
                if d.get("protocol")
                else None,
            ),
            origin=origin,
        )
        return _("%(code)s scored %(level)s.") % {"code": criterion.code, "level": d["level"]}
    if step == "action":
        form = ActionForm(
            request.POST,
            criteria=[
                (c.code, c.code)
                for c in Criterion.objects.filter(section__criteria_set=a.criteria_set)
            ],
            owners=_owners(a),
        )
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        d = form.cleaned_data
        action_add(
            assessment=a,
            actor=request.user,
            action=d["action"],
            owner=get_or_404(User.objects.all(), public_id=d["owner"]),
            due_on=d["due_on"],
            criterion=_criterion(a, d["criterion"]) if d.get("criterion") else None,
            origin=origin,
        )
        return _("The step is added to the improvement plan.")
    if step == "submit":
        assessment_submit(assessment=a, actor=request.user, origin=origin)
        return _("The self-assessment is submitted; the health department can read it.")
    raise Http404


@login_required
@require_POST
@guarded_action(access_assessment)
def action_done_view(request: AuthedRequest, a: Assessment, action_id: str) -> str | None:
    step = get_or_404(ImprovementAction.objects.filter(assessment=a), public_id=action_id)
    action_done(action=step, actor=request.user, origin=origin_of(request))
    return _("Marked as done.")


@login_required
def evidence_file(request: AuthedRequest, public_id: str, code: str) -> FileResponse:
    a = access_assessment(request.user, public_id)
    score = get_or_404(Score.objects.filter(assessment=a), criterion__code=code)
    if not score.evidence:
        raise Http404
    response = FileResponse(score.evidence.open("rb"), content_type=score.evidence_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
