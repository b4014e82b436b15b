"""The programmes' pages: the list with the portfolio's figures, a programme (partners,
money, budgets, documents), its logframe against what happened, its kits; the managers' forms
on those pages (one POST view runs each step through its service); the IATI file, the donor
report (PDF) and the tables (XLSX)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.core.access import get_or_404
from caunoi.core.actions import run_guarded
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Role
from caunoi.programmes.access import access_programme, can_manage, visible_programmes
from caunoi.programmes.forms import (
    ActualForm,
    BudgetForm,
    DocumentForm,
    IndicatorForm,
    KitForm,
    KitStatusForm,
    NarrativeForm,
    ResultForm,
    TargetForm,
)
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.logframe import flatten, parse_target_period, progress
from caunoi.programmes.models import (
    EnteredActual,
    Kit,
    KitStatus,
    LogframeIndicator,
    Programme,
    ProgrammeDocument,
)
from caunoi.programmes.report import (
    IDLE_DAYS,
    budget_sheet,
    kit_sheet,
    logframe_sheet,
    money_sheet,
    portfolio_sheets,
    report_pdf,
    workbook,
)
from caunoi.programmes.selectors import grant_share, idle_kits, kit_use, portfolio, with_money
from caunoi.programmes.services import (
    IndicatorInput,
    KitInput,
    actual_enter,
    budget_set,
    document_add,
    indicator_add,
    kit_register,
    kit_status_set,
    narrative_save,
    result_add,
    target_set,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


@login_required
def programme_list(request: AuthedRequest) -> HttpResponse:
    """The programmes the reader follows, and the portfolio's figures over them."""
    scope = user_scope(request.user)
    programmes = visible_programmes(request.user).prefetch_related("partners__partner")
    readers = scope.is_network_admin or scope.province_ids or Role.DONOR in scope.roles
    if not readers and not programmes.exists():
        raise Http404
    figures = portfolio(programmes)
    if request.GET.get("export") == "xlsx":
        return _xlsx(workbook(portfolio_sheets(figures)), "portfolio")
    page = Paginator(programmes, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "programmes/programme_list.html",
        {"page": page, "query": "", "figures": figures},
    )


def _kits(p: Programme) -> dict[str, int]:
    counts = {value: 0 for value, _label in KitStatus.choices}
    for status in p.kits.values_list("status", flat=True):
        counts[status] += 1
    return counts


def _periods(p: Programme) -> list[str]:
    """The years of the programme, for the report's choice of period."""
    return [str(y) for y in range(p.starts_on.year, p.ends_on.year + 1)]


def _this_year(p: Programme) -> str:
    """The report's period unless one is chosen: this year, or the programme's nearest one."""
    return str(min(max(timezone.localdate().year, p.starts_on.year), p.ends_on.year))


@login_required
def programme_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    p = access_programme(request.user, public_id)
    money = with_money(Programme.objects.filter(pk=p.pk)).get()
    manager = can_manage(request.user, p)
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "p": p,
            "manager": manager,
            "partners": p.partners.select_related("partner").order_by("role"),
            "provinces": list(p.provinces.all()),
            "priorities": list(p.priority_areas.all()),
            "transactions": p.transactions.select_related("provider").order_by("on", "id"),
            "budgets": list(p.budgets.all()),
            "documents": list(p.documents.all()),
            "committed": getattr(money, "committed"),  # noqa: B009 -- annotated
            "disbursed": getattr(money, "disbursed"),  # noqa: B009
            "grant_share": grant_share(
                getattr(money, "committed"),  # noqa: B009
                getattr(money, "grant_committed"),  # noqa: B009
            ),
            "kits": _kits(p),
            "idle": idle_kits(p.kits.all(), days=IDLE_DAYS),
            "idle_days": IDLE_DAYS,
            "periods": _periods(p),
            "this_year": _this_year(p),
            "budget_form": BudgetForm() if manager else None,
            "document_form": DocumentForm(initial={"client_id": uuid.uuid4()}) if manager else None,
            "narrative_form": NarrativeForm() if manager else None,
        },
    )


def _result_choices(p: Programme) -> list[tuple[str, str]]:
    return [(str(r.pk), f"{r.code} {r.title}") for r in p.results.all()]


def _indicator_choices(p: Programme, *, entered: bool = False) -> list[tuple[str, str]]:
    indicators = LogframeIndicator.objects.filter(result__programme=p)
    if entered:
        indicators = indicators.filter(bound_code="")
    return [(str(i.pk), f"{i.code} {i.title}") for i in indicators]


@login_required
def programme_logframe(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The logframe, each indicator's periods with target, actual and light."""
    p = access_programme(request.user, public_id)
    manager = can_manage(request.user, p)
    if request.GET.get("export") == "xlsx":
        return _xlsx(workbook([logframe_sheet(p)]), f"logframe-{p.code}")
    tree = flatten(progress(p))
    context: dict[str, Any] = {
        "p": p,
        "manager": manager,
        "results": tree,
        "missing": sum(len(ip.missing) for node in tree for ip in node.indicators),
    }
    if manager:
        results = _result_choices(p)
        context |= {
            "result_form": ResultForm(parents=results),
            "indicator_form": IndicatorForm(results=results) if results else None,
            "target_form": TargetForm(indicators=_indicator_choices(p)),
            "actual_form": ActualForm(indicators=_indicator_choices(p, entered=True)),
        }
    return render(request, "programmes/logframe.html", context)


# The kits page shows each kit's use of this many days.
KIT_USE_DAYS = 30


def _kit_facility(p: Programme, text: str) -> Facility:
    """The facility a manager names for a kit: by its code, else by its name (diacritics
    aside), among the active facilities the programme covers."""
    covered = Facility.objects.active().filter(
        Q(province__in=p.provinces.all()) | Q(pk__in=p.facilities.values("pk"))
    )
    by_code = covered.filter(code=text.strip()).first()
    if by_code is not None:
        return by_code
    named = list(covered.search(text)[:2]) if text.strip() else []
    if len(named) == 1:
        return named[0]
    raise ValidationError(
        {
            "facility": [
                _("Several facilities match “%(text)s”: give the code.") % {"text": text}
                if named
                else _("No facility of the programme matches “%(text)s”.") % {"text": text}
            ]
        }
    )


@login_required
def programme_kits(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The programme's kits and servers with their use of the last 30 days."""
    p = access_programme(request.user, public_id)
    manager = can_manage(request.user, p)
    if request.GET.get("export") == "xlsx":
        return _xlsx(workbook([kit_sheet(p)]), f"kits-{p.code}")
    kits = p.kits.all()
    status = request.GET.get("status", "")
    if status in KitStatus.values:
        kits = kits.filter(status=status)
    idle = request.GET.get("idle") == "1"
    if idle:
        kits = kits.filter(pk__in=[u.kit.pk for u in idle_kits(p.kits.all(), days=IDLE_DAYS)])
    query = request.GET.get("q", "").strip()
    if query:
        kits = kits.filter(
            Q(serial__icontains=query) | Q(facility__in=Facility.objects.search(query).values("pk"))
        )
    page = Paginator(kits.select_related("facility"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = kit_use(
        Kit.objects.filter(pk__in=[k.pk for k in page.object_list]),
        since=today - timedelta(days=KIT_USE_DAYS - 1),
        until=today,
    )
    return render(
        request,
        "programmes/kits.html",
        {
            "p": p,
            "manager": manager,
            "page": page,
            "rows": rows,
            "status": status,
            "query": query,
            "idle": idle,
            "idle_days": IDLE_DAYS,
            "statuses": KitStatus.choices,
            "days": KIT_USE_DAYS,
            "kit_form": KitForm() if manager else None,
            "status_form": KitStatusForm() if manager else None,
        },
    )


def _valid(form: django_forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError([m for errors in form.errors.values() for m in errors])
    return form.cleaned_data


def _step(request: AuthedRequest, p: Programme, step: str) -> str | None:
    """One manager's step from a form of the programme's pages, through its service."""
    origin = origin_of(request)
    actor = request.user
    post, files = request.POST, request.FILES
    if step == "budget":
        d = _valid(BudgetForm(post))
        budget_set(
            programme=p,
            actor=actor,
            year=d["year"],
            kind=d["kind"],
            currency=d["currency"],
            amount=d["amount"],
            origin=origin,
        )
        return _("The budget for %(year)s is recorded.") % {"year": d["year"]}
    if step == "document":
        d = _valid(DocumentForm(post, files))
        document_add(
            programme=p,
            actor=actor,
            kind=d["kind"],
            title=d["title"],
            signed_on=d["signed_on"],
            content=d["file"].read(),
            client_id=d["client_id"],
            origin=origin,
        )
        return _("The document is kept.")
    if step == "narrative":
        d = _valid(NarrativeForm(post))
        narrative_save(
            programme=p,
            actor=actor,
            period=d["period"],
            progress=d["progress"],
            difficulties=d["difficulties"],
            next_steps=d["next_steps"],
            origin=origin,
        )
        return _("The report's narrative is saved.")
    if step == "result":
        d = _valid(ResultForm(post, parents=_result_choices(p)))
        result_add(
            programme=p,
            actor=actor,
            level=d["level"],
            code=d["code"],
            title_vi=d["title_vi"],
            title_en=d["title_en"],
            parent=p.results.filter(pk=d["parent"]).first() if d["parent"] else None,
            origin=origin,
        )
        return _("The result is added to the logframe.")
    if step == "indicator":
        d = _valid(IndicatorForm(post, results=_result_choices(p)))
        indicator_add(
            result=get_or_404(p.results.all(), pk=d["result"]),
            actor=actor,
            data=IndicatorInput(
                code=d["code"],
                title_vi=d["title_vi"],
                title_en=d["title_en"],
                bound_code=d["bound_code"],
                measure=d["measure"],
                ascending=d["ascending"],
                baseline=d["baseline"],
                baseline_year=d["baseline_year"],
            ),
            origin=origin,
        )
        return _("The indicator is added.")
    if step == "target":
        d = _valid(TargetForm(post, indicators=_indicator_choices(p)))
        target_set(
            indicator=get_or_404(
                LogframeIndicator.objects.filter(result__programme=p), pk=d["indicator"]
            ),
            actor=actor,
            period=d["period"],
            value=d["value"],
            origin=origin,
        )
        return _("The target is set.")
    if step == "actual":
        d = _valid(ActualForm(post, files, indicators=_indicator_choices(p, entered=True)))
        actual_enter(
            indicator=get_or_404(
                LogframeIndicator.objects.filter(result__programme=p), pk=d["indicator"]
            ),
            actor=actor,
            period=d["period"],
            value=d["value"],
            evidence=d["evidence"].read(),
            note=d["note"],
            origin=origin,
        )
        return _("The actual is recorded with its evidence.")
    if step == "kit":
        d = _valid(KitForm(post))
        kit = kit_register(
            programme=p,
            actor=actor,
            data=KitInput(
                kind=d["kind"],
                serial=d["serial"],
                facility=_kit_facility(p, d["facility"]),
                delivered_on=d["delivered_on"],
            ),
            origin=origin,
        )
        return _("Kit %(serial)s is recorded.") % {"serial": kit.serial}
    if step == "kit_status":
        d = _valid(KitStatusForm(post))
        changed = p.kits.filter(serial=d["serial"].strip().upper()).first()
        if changed is None:
            raise ValidationError(
                {"serial": [_("No kit of this programme has this serial number.")]}
            )
        kit_status_set(kit=changed, actor=actor, status=d["status"], note=d["note"], origin=origin)
        return _("Kit %(serial)s: %(status)s.") % {
            "serial": changed.serial,
            "status": changed.get_status_display(),
        }
    raise Http404


# Where each step's page is, to go back to after it.
STEP_PAGES = {
    "result": "programmes:logframe",
    "indicator": "programmes:logframe",
    "target": "programmes:logframe",
    "actual": "programmes:logframe",
    "kit": "programmes:kits",
    "kit_status": "programmes:kits",
}


@login_required
@require_POST
def programme_step(request: AuthedRequest, public_id: str, step: str) -> HttpResponse:
    p = access_programme(request.user, public_id)
    to = reverse(STEP_PAGES.get(step, "programmes:detail"), kwargs={"public_id": p.public_id})
    return run_guarded(request, lambda: _step(request, p, step), to)


def _inline(file: FieldFile, content_type: str) -> FileResponse:
    """A stored file shown in the browser as the type its content was checked to be."""
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def document_file(request: AuthedRequest, public_id: str, document_id: str) -> FileResponse:
    p = access_programme(request.user, public_id)
    doc = get_or_404(ProgrammeDocument.objects.filter(programme=p), public_id=document_id)
    return _inline(doc.file, doc.content_type)


@login_required
def evidence_file(request: AuthedRequest, public_id: str, actual_id: int) -> FileResponse:
    p = access_programme(request.user, public_id)
    actual = get_or_404(EnteredActual.objects.filter(indicator__result__programme=p), pk=actual_id)
    return _inline(actual.evidence, actual.evidence_type)


def _report_period(request: AuthedRequest, p: Programme) -> Any:
    text = request.GET.get("period", "").strip() or _this_year(p)
    try:
        return parse_target_period(text)
    except ValueError:
        return None


@login_required
def programme_report(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The donor report for a period (?period=2025, 2025-Q3, 2025-10) as a PDF, or the
    period's tables (?export=xlsx)."""
    p = access_programme(request.user, public_id)
    period = _report_period(request, p)
    if period is None:
        messages.error(request, _("Write the period as 2025, 2025-Q3 or 2025-10."))
        return redirect(p)
    if request.GET.get("export") == "xlsx":
        return _xlsx(
            workbook(
                [
                    logframe_sheet(p, period),
                    money_sheet(p, period),
                    budget_sheet(p, period),
                    kit_sheet(p, period),
                ]
            ),
            f"{p.code}-{period.label}",
        )
    response = HttpResponse(report_pdf(p, period), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{p.code}-{period.label}.pdf"'
    return response


@login_required
def programme_iati(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The programme as an IATI 2.03 activity file."""
    p = access_programme(request.user, public_id)
    response = HttpResponse(activities_xml([p]), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="iati-{p.code}.xml"'
    return response
