from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.consults.access import access_consultation
from caunoi.core.actions import guarded_action, show_on_form
from caunoi.network.access import user_scope
from caunoi.patients.access import access_patient
from caunoi.referrals.access import access_referral, referral_permissions, visible_referrals
from caunoi.referrals.counter import counter_referral_pdf
from caunoi.referrals.forms import (
    ArriveForm,
    CounterReferralForm,
    DeclineForm,
    DischargeForm,
    ReferralForm,
)
from caunoi.referrals.models import Referral
from caunoi.referrals.services import (
    ReferralInput,
    referral_accept,
    referral_acknowledge,
    referral_arrive,
    referral_cancel,
    referral_counter_refer,
    referral_create,
    referral_decline,
    referral_discharge,
)
from caunoi.referrals.slip import referral_slip_pdf
from caunoi.referrals.suggest import suggested_destinations


@login_required
def referral_list(request: AuthedRequest) -> HttpResponse:
    scope = user_scope(request.user)
    if not scope.is_clinical:
        raise Http404
    box = "in" if request.GET.get("box") == "in" else "out"
    side = "to_facility_id__in" if box == "in" else "from_facility_id__in"
    qs = (
        visible_referrals(request.user)
        .filter(**{side: scope.facility_ids})
        .select_related("patient", "from_facility", "to_facility")
        .order_by("-sent_at", "-id")
    )
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "referrals/referral_list.html", {"page": page, "box": box, "query": f"box={box}"}
    )


@login_required
def referral_new(request: AuthedRequest) -> HttpResponse:
    consult = None
    previous: Referral | None = None
    if request.GET.get("consult") or request.POST.get("consult"):
        consult = access_consultation(
            request.user, request.GET.get("consult") or request.POST.get("consult", "")
        )
        patient = consult.patient
    elif request.GET.get("redirect") or request.POST.get("redirect"):
        previous = access_referral(
            request.user, request.GET.get("redirect") or request.POST.get("redirect", "")
        )
        if not referral_permissions(request.user, previous).can_redirect:
            raise Http404
        patient, consult = previous.patient, previous.consultation
    else:
        patient = access_patient(
            request.user, request.GET.get("patient") or request.POST.get("patient") or ""
        )
    if patient.facility_id not in user_scope(request.user).facility_ids:
        raise Http404
    suggestions = [
        f
        for f in suggested_destinations(patient.facility)
        if not previous or f.pk != previous.to_facility_id
    ]
    if request.method == "POST":
        form = ReferralForm(request.POST, suggestions=suggestions)
        if form.is_valid():
            d = form.cleaned_data
            try:
                referral, _created = referral_create(
                    actor=request.user,
                    client_id=d["client_id"],
                    data=ReferralInput(
                        patient=patient,
                        to_facility=d["target"],
                        reason=d["reason"],
                        consultation=consult,
                        clinical_summary=d["clinical_summary"],
                        diagnoses=d["diagnoses"],
                        treatment_given=d["treatment_given"],
                        urgency=d["urgency"],
                        transport=d["transport"],
                        accompanying_staff=d["accompanying_staff"],
                        insurance_number=d["insurance_number"],
                        departed_at=d["departed_at"],
                        redirected_from=previous,
                    ),
                    origin=origin_of(request),
                )
            except ValidationError as exc:
                show_on_form(form, exc)
            else:
                messages.success(
                    request, _("Referral sent to %(to)s.") % {"to": referral.to_facility.name}
                )
                return redirect(referral.get_absolute_url())
    else:
        initial: dict[str, Any] = {
            "client_id": uuid.uuid4(),
            "insurance_number": patient.insurance_number,
        }
        if consult is not None:
            # The reason is left for the worker to write: the consult's question was put to
            # the specialist ("should I refer?"), not to the receiving facility. The page shows
            # the question and the specialist's advice beside it.
            initial.update(
                urgency=consult.urgency,
                clinical_summary="\n".join(
                    x for x in [consult.reason, consult.history, consult.examination] if x
                ),
                treatment_given=consult.current_treatment,
                diagnoses=", ".join(d.code for d in consult.diagnoses.all()),
            )
        if previous is not None:
            initial.update(
                urgency=previous.urgency,
                reason=previous.reason,
                clinical_summary=previous.clinical_summary,
                treatment_given=previous.treatment_given,
                transport=previous.transport,
                diagnoses=", ".join(d.code for d in previous.diagnoses.all()),
            )
        form = ReferralForm(initial=initial, suggestions=suggestions)
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "patient": patient, "consult": consult, "previous": previous},
    )


@login_required
def referral_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    r = access_referral(request.user, public_id)
    perms = referral_permissions(request.user, r)
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "r": r,
            "perms": perms,
            "events": r.events.select_related("actor"),
            "diagnoses": r.diagnoses.all(),
            "decline_form": DeclineForm(),
            "arrive_form": ArriveForm(),
            "discharge_form": DischargeForm(),
            "counter_form": CounterReferralForm(),
        },
    )


def _form_or_error(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    return dict(form.cleaned_data)


@login_required
@require_POST
@guarded_action(access_referral)
def referral_step(request: AuthedRequest, referral: Referral, step: str) -> str:
    actor = request.user

    def accept(r: Referral) -> str:
        referral_accept(referral=r, actor=actor, origin=origin_of(request))
        return _("Referral accepted.")

    def decline(r: Referral) -> str:
        d = _form_or_error(DeclineForm(request.POST))
        referral_decline(referral=r, actor=actor, reason=d["reason"], origin=origin_of(request))
        return _("Referral declined; the referring facility was told.")

    def arrive(r: Referral) -> str:
        d = _form_or_error(ArriveForm(request.POST))
        referral_arrive(
            referral=r, actor=actor, arrived_at=d["arrived_at"], origin=origin_of(request)
        )
        return _("Arrival recorded.")

    def discharge(r: Referral) -> str:
        d = _form_or_error(DischargeForm(request.POST))
        referral_discharge(
            referral=r,
            actor=actor,
            outcome=d["outcome"],
            discharged_at=d["discharged_at"],
            origin=origin_of(request),
        )
        return _("Discharge recorded. Now write the counter-referral.")

    def counter(r: Referral) -> str:
        d = _form_or_error(CounterReferralForm(request.POST))
        referral_counter_refer(referral=r, actor=actor, origin=origin_of(request), **d)
        return _("Counter-referral sent to the referring facility.")

    def acknowledge(r: Referral) -> str:
        referral_acknowledge(referral=r, actor=actor, origin=origin_of(request))
        return _("Counter-referral acknowledged: the loop is closed.")

    def cancel(r: Referral) -> str:
        referral_cancel(referral=r, actor=actor, origin=origin_of(request))
        return _("Referral cancelled.")

    steps: dict[str, Callable[[Referral], str]] = {
        "accept": accept,
        "decline": decline,
        "arrive": arrive,
        "discharge": discharge,
        "counter-referral": counter,
        "acknowledge": acknowledge,
        "cancel": cancel,
    }
    if step not in steps:
        raise Http404
    return steps[step](referral)


@login_required
def referral_slip(request: AuthedRequest, public_id: str) -> HttpResponse:
    r = access_referral(request.user, public_id)
    response = HttpResponse(referral_slip_pdf(r), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="giay-chuyen-{str(r.public_id)[:8]}.pdf"'
    )
    return response


@login_required
def referral_counter_pdf(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The counter-referral as a document, for the two facilities of the referral (the station
    files it; the receiving side keeps its copy) once it has been sent."""
    r = access_referral(request.user, public_id)
    perms = referral_permissions(request.user, r)
    if not (perms.is_sender or perms.is_receiver) or r.counter_referred_at is None:
        raise Http404
    response = HttpResponse(counter_referral_pdf(r), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="phieu-phan-hoi-{str(r.public_id)[:8]}.pdf"'
    )
    return response
