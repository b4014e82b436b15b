from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.audit.origin import origin_of
from caunoi.network.access import user_scope
from caunoi.patients.access import (
    access_patient,
    can_edit_patient,
    registration_facility,
    visible_patients,
)
from caunoi.patients.forms import ConsentForm, PatientForm, PatientSearchForm
from caunoi.patients.identifiers import citizen_id_warnings, insurance_decode
from caunoi.patients.models import Patient, PatientConsent
from caunoi.patients.services import (
    IdentifierTaken,
    PatientInput,
    consent_record,
    consent_withdraw,
    identifier_holders,
    patient_register,
)
from caunoi.patients.sharing import patient_shares


@login_required
def patient_list(request: AuthedRequest) -> HttpResponse:
    if not user_scope(request.user).is_clinical:
        raise Http404
    form = PatientSearchForm(request.GET or None)
    qs = visible_patients(request.user).select_related("commune")
    query = ""
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        qs = qs.search(query)
    page = Paginator(qs.order_by("full_name", "id"), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "patients/patient_list.html"
    if request.headers.get("HX-Target") == "results":
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": f"q={query}" if query else "",
            "can_register": registration_facility(request.user) is not None,
        },
    )


@login_required
def patient_register_view(request: AuthedRequest) -> HttpResponse:
    facility = registration_facility(request.user)
    if facility is None:
        raise Http404
    duplicates_warning = False
    registered: list[Patient] = []
    if request.method == "POST":
        form = PatientForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            data = PatientInput(
                full_name=d["full_name"],
                sex=d["sex"],
                commune=d["commune"],
                birth_date=d["birth_date"],
                age_years=d["age_years"],
                citizen_id=d["citizen_id"],
                insurance_number=d["insurance_number"],
                phone=d["phone"],
                address=d["address"],
                ethnicity=d["ethnicity"],
                household=d["household"] or "",
                has_disability=d["has_disability"],
            )
            try:
                with transaction.atomic():
                    patient, _created = patient_register(
                        actor=request.user,
                        facility=facility,
                        data=data,
                        client_id=d["client_id"],
                        allow_duplicate=d["confirm_new_person"],
                        origin=origin_of(request),
                    )
                    if d["consent_given"]:
                        consent_record(
                            patient=patient,
                            actor=request.user,
                            method=d["consent_method"] or "verbal",
                            given_by=d["consent_given_by"],
                            origin=origin_of(request),
                        )
            except IdentifierTaken as exc:
                # Not a look-alike the worker may confirm: the identifier is someone's already.
                registered = exc.existing
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            except ValidationError as exc:
                if getattr(exc, "code", None) == "duplicate":
                    duplicates_warning = True
                    form.add_error(None, exc)
                elif hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Patient %(name)s registered.") % {"name": patient.full_name}
                )
                for warning in citizen_id_warnings(
                    patient.citizen_id, sex=patient.sex, birth_date=patient.birth_date
                ):
                    messages.warning(request, warning)
                return redirect(patient.get_absolute_url())
    else:
        initial = {"client_id": uuid.uuid4(), "province": facility.province.code}
        if facility.commune_id:
            initial["commune"] = facility.commune_id
        form = PatientForm(initial=initial)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "facility": facility,
            "duplicates_warning": duplicates_warning,
            "registered": registered,
        },
    )


@login_required
def patient_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    patient = access_patient(request.user, public_id)
    # The consultations and referrals about the patient (patients.sharing).
    shared = {share.name: share.rows(request.user, patient) for share in patient_shares()}
    access_log = AuditEvent.objects.for_object("patients.patient", str(patient.public_id)).order_by(
        "-id"
    )[:30]
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "card": insurance_decode(patient.insurance_number),
            "vulnerabilities": patient.vulnerabilities(),
            "consents": patient.consents.select_related("recorded_by", "withdrawn_by"),
            **shared,
            "access_log": access_log,
            "can_edit": can_edit_patient(request.user, patient),
            "consent_form": ConsentForm(),
            "identifier_twins": _identifier_twins(request.user, patient),
        },
    )


def _identifier_twins(user: User, patient: Patient) -> list[Patient]:
    """For a record registered twice under one identifier before that was refused (marked by
    migration 0004): the other records of the facility that share it."""
    if not patient.identifier_conflict:
        return []
    holders = identifier_holders(
        facility_id=patient.facility_id,
        citizen_id=patient.citizen_id,
        insurance_number=patient.insurance_number,
    )
    ids = {p.pk for p in holders.values()} - {patient.pk}
    return list(visible_patients(user).filter(pk__in=ids))


@login_required
@require_POST
def consent_give(request: AuthedRequest, public_id: str) -> HttpResponse:
    patient = access_patient(request.user, public_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            consent_record(
                patient=patient,
                actor=request.user,
                method=form.cleaned_data["method"],
                given_by=form.cleaned_data["given_by"],
                origin=origin_of(request),
            )
            messages.success(request, _("Consent recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose how the consent was given."))
    return redirect(patient.get_absolute_url())


@login_required
@require_POST
def consent_withdraw_view(request: AuthedRequest, public_id: str, consent_id: str) -> HttpResponse:
    patient = access_patient(request.user, public_id)
    consent = get_object_or_404(PatientConsent, public_id=consent_id, patient=patient)
    try:
        if consent_withdraw(consent=consent, actor=request.user, origin=origin_of(request)):
            messages.success(
                request, _("Consent withdrawn. No new consultation can be sent for this patient.")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(patient.get_absolute_url())
