"""The patient pages: registration, search, the record page with its consent and access
history, and who may reach them."""

import uuid
from datetime import date

import pytest
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.network.models import Membership
from caunoi.patients.models import Patient, PatientConsent
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Commune

pytestmark = pytest.mark.django_db


def vi(text: str, **params: object) -> str:
    """A message as the pages show it to the (Vietnamese-speaking) demo users."""
    with translation.override("vi"):
        value = gettext(text)
    return value % params if params else value


def _facility(user):
    return user.memberships.get(role="worker").facility


def _form(worker, **overrides):
    facility = _facility(worker)
    data = {
        "client_id": str(uuid.uuid4()),
        "full_name": "Lò Văn Pó",
        "sex": "male",
        "birth_date": "02/05/1960",
        "age_years": "",
        "citizen_id": "008060001234",
        "insurance_number": "HN2080123456789",
        "phone": "0912 345 678",
        "province": str(facility.province.code),
        "commune": str(facility.commune_id),
        "address": "Thôn Lô Lô Chải",
        "ethnicity": "08",
        "household": "poor",
        "has_disability": "",
        "consent_given": "on",
        "consent_method": "verbal",
        "consent_given_by": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _colleague(worker):
    """Another health worker of the same station."""
    m = (
        Membership.objects.filter(facility=_facility(worker), role="worker")
        .exclude(user=worker)
        .select_related("user")
        .order_by("id")[0]
    )
    return m.user


def _other_station_worker(worker):
    facility = _facility(worker)
    m = (
        Membership.objects.filter(role="worker", facility__province=facility.province)
        .exclude(facility=facility)
        .select_related("user")
        .order_by("id")[0]
    )
    return m.user


def _messages(response):
    return [str(m) for m in response.context["messages"]]


# --- registration --------------------------------------------------------------------------------


def test_worker_registers_a_patient_with_consent_and_lands_on_the_record(worker, login):
    response = login(worker).post("/patients/new/", _form(worker), follow=True)
    patient = Patient.objects.get(registered_by=worker, full_name="Lò Văn Pó")
    assert response.redirect_chain[-1][0] == patient.get_absolute_url()
    assert patient.facility == _facility(worker)
    assert patient.birth_date == date(1960, 5, 2)
    assert not patient.birth_date_estimated
    assert patient.citizen_id == "008060001234"
    assert patient.insurance_number == "HN2080123456789"
    assert patient.phone == "+84912345678"
    assert patient.address == "Thôn Lô Lô Chải"
    consent = PatientConsent.objects.get(patient=patient)
    assert consent.is_active
    assert consent.method == "verbal"
    assert consent.recorded_by == worker
    assert vi("Patient %(name)s registered.", name="Lò Văn Pó") in _messages(response)
    assert AuditEvent.objects.filter(
        object_type="patients.patient", object_id=str(patient.public_id), action="create"
    ).exists()


def test_registration_without_the_consent_box_records_no_consent(worker, login):
    login(worker).post("/patients/new/", _form(worker, consent_given=None))
    patient = Patient.objects.get(registered_by=worker, full_name="Lò Văn Pó")
    assert not PatientConsent.objects.filter(patient=patient).exists()


def test_consent_given_by_a_representative_is_recorded_with_the_method(worker, login):
    login(worker).post(
        "/patients/new/",
        _form(
            worker,
            full_name="Giàng A Sử",
            birth_date="",
            age_years="3",
            citizen_id="",
            consent_method="written",
            consent_given_by="  Giàng Thị Mỷ (mẹ)  ",
        ),
    )
    consent = PatientConsent.objects.get(patient__full_name="Giàng A Sử")
    assert consent.method == "written"
    assert consent.given_by == "Giàng Thị Mỷ (mẹ)"


def test_posting_the_same_form_twice_registers_one_patient(worker, login):
    client = login(worker)
    data = _form(worker)
    first = client.post("/patients/new/", data)
    second = client.post("/patients/new/", data)
    patients = Patient.objects.filter(registered_by=worker, full_name="Lò Văn Pó")
    assert patients.count() == 1
    assert first["Location"] == second["Location"] == patients.get().get_absolute_url()
    assert PatientConsent.objects.filter(patient=patients.get()).count() == 1
    assert (
        AuditEvent.objects.filter(
            object_type="patients.patient",
            object_id=str(patients.get().public_id),
            action="create",
        ).count()
        == 1
    )


def test_age_instead_of_a_date_gives_first_of_january_flagged_estimated(worker, login):
    response = login(worker).post(
        "/patients/new/",
        _form(worker, birth_date="", age_years="45", citizen_id="", full_name="Vàng Thị Dính"),
        follow=True,
    )
    patient = Patient.objects.get(registered_by=worker, full_name="Vàng Thị Dính")
    assert patient.birth_date == date(timezone.localdate().year - 45, 1, 1)
    assert patient.birth_date_estimated
    page = response.content.decode()
    assert str(timezone.localdate().year - 45) in page
    assert escape(vi("about %(year)s (estimated from the age)", year="X").split("X")[0]) in page


def test_date_of_birth_is_read_day_first(worker, login):
    login(worker).post(
        "/patients/new/", _form(worker, birth_date="03/04/1980", citizen_id="", full_name="Ma A Lử")
    )
    assert Patient.objects.get(full_name="Ma A Lử").birth_date == date(1980, 4, 3)


def test_neither_date_nor_age_is_refused_and_nothing_saved(worker, login):
    before = Patient.objects.count()
    response = login(worker).post("/patients/new/", _form(worker, birth_date="", age_years=""))
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        vi("Enter the date of birth, or the age when it is not known.")
    ]
    assert Patient.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("citizen_id", "12345", "A citizen ID has exactly 12 digits."),
        ("insurance_number", "HN9080123456789", None),
        ("phone", "0169 123 4567", None),
    ],
)
def test_malformed_identifier_is_refused_with_a_message_and_nothing_saved(
    worker, login, field, value, expected
):
    client = login(worker)
    patients, consents = Patient.objects.count(), PatientConsent.objects.count()
    audits = AuditEvent.objects.count()
    response = client.post("/patients/new/", _form(worker, **{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if expected:
        assert errors[field] == [vi(expected)]
    if field == "phone":
        assert value in errors[field][0]
    assert escape(errors[field][0]) in response.content.decode()
    assert (Patient.objects.count(), PatientConsent.objects.count()) == (patients, consents)
    assert AuditEvent.objects.count() == audits


def test_citizen_id_of_no_province_names_the_prefix(worker, login):
    before = Patient.objects.count()
    response = login(worker).post("/patients/new/", _form(worker, citizen_id="003060001234"))
    assert "003" in response.context["form"].errors["citizen_id"][0]
    assert Patient.objects.count() == before


def test_birth_date_in_the_future_is_refused(worker, login):
    before = Patient.objects.count()
    tomorrow = timezone.localdate().replace(year=timezone.localdate().year + 1)
    response = login(worker).post(
        "/patients/new/", _form(worker, birth_date=tomorrow.strftime("%d/%m/%Y"))
    )
    assert response.context["form"].errors["birth_date"] == [
        vi("The date of birth is in the future.")
    ]
    assert Patient.objects.count() == before


def test_commune_of_another_province_is_refused_on_the_commune_field(worker, login):
    before = Patient.objects.count()
    hue_commune = Commune.objects.filter(province__code=46).order_by("code")[0]
    response = login(worker).post("/patients/new/", _form(worker, commune=str(hue_commune.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["commune"]
    assert Patient.objects.count() == before


def test_commune_of_another_province_says_it_is_not_in_the_chosen_province(worker, login):
    hue_commune = Commune.objects.filter(province__code=46).order_by("code")[0]
    response = login(worker).post("/patients/new/", _form(worker, commune=str(hue_commune.pk)))
    assert response.context["form"].errors["commune"] == [
        vi("The commune is not in the chosen province.")
    ]


def test_patient_living_in_another_province_can_be_registered_with_that_province(worker, login):
    hue_commune = Commune.objects.filter(province__code=46).order_by("code")[0]
    login(worker).post(
        "/patients/new/", _form(worker, province="46", commune=str(hue_commune.pk), citizen_id="")
    )
    patient = Patient.objects.get(registered_by=worker, full_name="Lò Văn Pó")
    assert patient.commune == hue_commune
    assert patient.facility == _facility(worker)


def test_same_name_birth_date_and_commune_warn_even_without_diacritics(worker, login):
    client = login(worker)
    client.post("/patients/new/", _form(worker))
    response = client.post(
        "/patients/new/", _form(worker, full_name="lo van  po", citizen_id="", insurance_number="")
    )
    assert response.context["duplicates_warning"]
    assert Patient.objects.filter(registered_by=worker, search_name="lo van po").count() == 1


def test_same_name_in_another_commune_is_not_a_duplicate(worker, login):
    client = login(worker)
    client.post("/patients/new/", _form(worker, citizen_id=""))
    other = Commune.objects.filter(province=_facility(worker).province).exclude(
        pk=_facility(worker).commune_id
    )
    response = client.post(
        "/patients/new/",
        _form(
            worker,
            citizen_id="",
            insurance_number="",  # the same card would be the same person
            commune=str(other.order_by("code")[0].pk),
        ),
    )
    assert response.status_code == 302
    assert Patient.objects.filter(registered_by=worker, search_name="lo van po").count() == 2


def test_confirm_new_person_registers_a_look_alike_without_the_same_identifiers(worker, login):
    client = login(worker)
    client.post("/patients/new/", _form(worker))
    data = _form(worker, citizen_id="", insurance_number="")
    first = client.post("/patients/new/", data)
    assert first.context["duplicates_warning"]
    assert "Lò Văn Pó (02/05/1960)" in first.context["form"].non_field_errors()[0]
    response = client.post("/patients/new/", {**data, "confirm_new_person": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(registered_by=worker, search_name="lo van po").count() == 2


def test_citizen_id_that_contradicts_sex_is_registered_with_a_warning(worker, login):
    response = login(worker).post("/patients/new/", _form(worker, sex="female"), follow=True)
    assert Patient.objects.filter(full_name="Lò Văn Pó", sex="female").exists()
    assert vi("The citizen ID suggests the other sex; please check both.") in _messages(response)


def test_script_in_the_name_is_shown_escaped_on_the_patient_page(worker, login):
    client = login(worker)
    name = "<script>alert(1)</script> Lò"
    response = client.post("/patients/new/", _form(worker, full_name=name), follow=True)
    patient = Patient.objects.get(registered_by=worker, full_name=name)
    for page in (response, client.get(patient.get_absolute_url()), client.get("/patients/")):
        html = page.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("persona", ["officer", "donor", "outsider", "specialist"])
def test_registration_page_is_404_without_a_clinical_facility(persona, request, login):
    # Specialists are clinical and may register at their hospital; the others have none.
    user = request.getfixturevalue(persona)
    status = login(user).get("/patients/new/").status_code
    assert status == (200 if persona == "specialist" else 404)


# --- search --------------------------------------------------------------------------------------


def test_search_ignores_diacritics_and_case(worker, login):
    make_patient(worker, name="Giàng Thị Dợ")
    make_patient(worker, name="Sùng A Tủa")
    client = login(worker)
    for query in ("giang thi do", "GIÀNG dợ", "Giang Thi Do"):
        page = client.get("/patients/", {"q": query})
        names = [p.full_name for p in page.context["page"].object_list]
        assert names == ["Giàng Thị Dợ"], query


def test_search_finds_by_citizen_id(worker, login):
    make_patient(
        worker,
        name="Hầu Thị Sua",
        citizen_id="008185002222",
        age_years=None,
        birth_date=date(1985, 6, 1),
    )
    make_patient(
        worker,
        name="Hầu Thị Sua",
        citizen_id="008185003333",
        age_years=None,
        birth_date=date(1985, 6, 1),
    )
    page = login(worker).get("/patients/", {"q": "008 185 002 222"})
    found = list(page.context["page"].object_list)
    assert [p.citizen_id for p in found] == ["008185002222"]


def test_search_does_not_reach_patients_of_another_station(worker, login):
    make_patient(worker, name="Vừ Thị Chía")
    other = _other_station_worker(worker)
    page = login(other).get("/patients/", {"q": "vu thi chia"})
    assert list(page.context["page"].object_list) == []


# --- the record page -----------------------------------------------------------------------------


def test_patient_page_shows_the_decoded_card_and_the_equity_groups(worker, login):
    client = login(worker)
    response = client.post("/patients/new/", _form(worker), follow=True)
    html = response.content.decode()
    assert "HN2080123456789" in html
    assert escape(vi("100%, with a ceiling for high-tech services")) in html
    assert "Tỉnh Tuyên Quang" in html
    for label in ("poor household", "ethnic minority", "elderly (60+)"):
        assert escape(vi(label)) in html, label
    assert (
        escape(vi("disability")) not in html.split(escape(vi("Equity groups")))[1].split("</dd>")[0]
    )


def test_patient_page_shows_the_consent_history_after_a_withdrawal(worker, login):
    patient = make_patient(worker)
    client = login(worker)
    consent = PatientConsent.objects.get(patient=patient)
    response = client.post(
        f"/patients/{patient.public_id}/consent/{consent.public_id}/withdraw/", follow=True
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_by == worker
    assert vi("Consent withdrawn. No new consultation can be sent for this patient.") in _messages(
        response
    )
    html = response.content.decode()
    assert f"<s>{escape(vi('Given'))}</s>" in html
    assert worker.full_name in html
    # Consent can be given again: a new row, the old one kept.
    client.post(f"/patients/{patient.public_id}/consent/", {"method": "written"})
    assert PatientConsent.objects.filter(patient=patient).count() == 2
    assert PatientConsent.objects.active().get(patient=patient).method == "written"


def test_withdrawn_consent_stops_a_new_consultation(worker, login):
    patient = make_patient(worker)
    client = login(worker)
    consent = PatientConsent.objects.get(patient=patient)
    client.post(f"/patients/{patient.public_id}/consent/{consent.public_id}/withdraw/")
    response = client.post(
        "/consults/new/",
        {
            "client_id": str(uuid.uuid4()),
            "patient": str(patient.public_id),
            "specialty": internal_medicine().pk,
            "urgency": "urgent",
            "submit": "1",
            **summary(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        vi("Record the patient's consent to teleconsultation before sending the case.")
    ]
    assert not Consultation.objects.filter(patient=patient).exists()


def test_withdrawing_twice_keeps_the_first_withdrawal(worker, login):
    patient = make_patient(worker)
    consent = PatientConsent.objects.get(patient=patient)
    client = login(worker)
    url = f"/patients/{patient.public_id}/consent/{consent.public_id}/withdraw/"
    client.post(url)
    consent.refresh_from_db()
    first = consent.withdrawn_at
    audits = AuditEvent.objects.filter(object_type="patients.patientconsent").count()
    client.post(url)
    consent.refresh_from_db()
    assert consent.withdrawn_at == first
    assert AuditEvent.objects.filter(object_type="patients.patientconsent").count() == audits


def test_each_view_is_audited_and_listed_under_who_accessed_the_record(worker, login):
    patient = make_patient(worker)
    colleague = _colleague(worker)
    views = AuditEvent.objects.filter(
        object_type="patients.patient", object_id=str(patient.public_id), action="view"
    )
    assert not views.exists()
    login(colleague).get(patient.get_absolute_url())
    assert list(views.values_list("actor", flat=True)) == [colleague.pk]
    html = login(worker).get(patient.get_absolute_url()).content.decode()
    log = html.split(escape(vi("Who accessed this record")))[1]
    assert colleague.full_name in log
    assert worker.full_name in log
    assert views.count() == 2


def test_colleague_of_the_same_station_can_record_consent(worker, login):
    patient = make_patient(worker, consent=False)
    colleague = _colleague(worker)
    login(colleague).post(f"/patients/{patient.public_id}/consent/", {"method": "verbal"})
    consent = PatientConsent.objects.get(patient=patient)
    assert consent.recorded_by == colleague


def test_consent_form_without_a_method_records_nothing(worker, login):
    patient = make_patient(worker, consent=False)
    response = login(worker).post(
        f"/patients/{patient.public_id}/consent/", {"method": "telepathy"}, follow=True
    )
    assert vi("Choose how the consent was given.") in _messages(response)
    assert not PatientConsent.objects.filter(patient=patient).exists()


# --- who may reach the record --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_station", "officer", "donor", "outsider", "receiver"])
def test_strangers_get_404_for_the_patient_page_and_the_consent_actions(
    persona, worker, login, request
):
    patient = make_patient(worker)
    consent = PatientConsent.objects.get(patient=patient)
    user = (
        _other_station_worker(worker)
        if persona == "other_station"
        else request.getfixturevalue(persona)
    )
    client = login(user)
    audits = AuditEvent.objects.count()
    assert client.get(patient.get_absolute_url()).status_code == 404
    assert (
        client.post(f"/patients/{patient.public_id}/consent/", {"method": "written"}).status_code
        == 404
    )
    withdraw = f"/patients/{patient.public_id}/consent/{consent.public_id}/withdraw/"
    assert client.post(withdraw).status_code == 404
    consent.refresh_from_db()
    assert consent.is_active
    assert PatientConsent.objects.filter(patient=patient).count() == 1
    assert AuditEvent.objects.count() == audits


def test_unknown_patient_id_is_404(worker, login):
    assert login(worker).get(f"/patients/{uuid.uuid4()}/").status_code == 404


def test_consent_of_another_patient_cannot_be_withdrawn_through_this_one(worker, login):
    first = make_patient(worker, name="Thào A Chứ")
    second = make_patient(worker, name="Thào Thị Dế")
    other_consent = PatientConsent.objects.get(patient=second)
    response = login(worker).post(
        f"/patients/{first.public_id}/consent/{other_consent.public_id}/withdraw/"
    )
    assert response.status_code == 404
    other_consent.refresh_from_db()
    assert other_consent.is_active


def test_citizen_id_typed_in_fullwidth_digits_is_saved_in_ascii_or_refused_on_the_field(
    worker, login
):
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in "008060001234")
    response = login(worker).post("/patients/new/", _form(worker, citizen_id=fullwidth))
    saved = Patient.objects.filter(registered_by=worker, full_name="Lò Văn Pó").first()
    if saved is not None:
        assert saved.citizen_id == "008060001234"
    else:
        assert "citizen_id" in response.context["form"].errors
