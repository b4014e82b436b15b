"""A citizen ID — and the social-insurance number that ends a health-insurance card number —
names one person: a facility holds one record under each, whatever the worker confirms. The
page, the API, the service and the database refuse a second one; a look-alike (same name, date
of birth and commune, no shared identifier) can still be confirmed as another person."""

import importlib
import io
import uuid
from contextlib import redirect_stdout

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from caunoi.patients.models import Patient
from caunoi.patients.services import IdentifierTaken, PatientInput, patient_register
from caunoi.patients.tests.test_pages import _facility, _form

pytestmark = pytest.mark.django_db

CITIZEN_ID = "008060001234"
CARD = "HN2080123456789"


def _register(worker, **overrides):
    facility = _facility(worker)
    values = {
        "full_name": "Lò Văn Pó",
        "sex": "male",
        "commune": facility.commune,
        "age_years": 66,
        "citizen_id": CITIZEN_ID,
        "insurance_number": CARD,
        **overrides,
    }
    return patient_register(
        actor=worker,
        facility=facility,
        data=PatientInput(**values),
        client_id=uuid.uuid4(),
        allow_duplicate=True,
    )[0]


# --- the page ------------------------------------------------------------------------------------


def test_the_same_citizen_id_is_refused_even_when_confirmed_as_another_person(worker, login):
    client = login(worker)
    client.post("/patients/new/", _form(worker))
    client.cookies["django_language"] = "en"  # the messages are checked in English
    first = Patient.objects.get(registered_by=worker, citizen_id=CITIZEN_ID)
    data = _form(worker, full_name="Lò Thị Mai", sex="female", insurance_number="")
    for attempt in (data, {**data, "confirm_new_person": "on"}):
        response = client.post("/patients/new/", attempt, headers={"Accept-Language": "en"})
        assert response.status_code == 200
        html = response.content.decode()
        errors = response.context["form"].errors
        assert errors["citizen_id"] == [
            "A patient with this citizen ID is already registered here: Lò Văn Pó, born "
            "02/05/1960. A citizen ID belongs to one person: open their record instead."
        ]
        assert f'href="{first.get_absolute_url()}"' in html
        assert 'id="already-registered"' in html
        assert not response.context["duplicates_warning"]
        assert 'name="confirm_new_person"' not in html
    assert Patient.objects.filter(citizen_id=CITIZEN_ID).count() == 1
    assert not Patient.objects.filter(full_name="Lò Thị Mai").exists()


def test_the_same_social_insurance_number_on_a_renewed_card_is_refused(worker, login):
    client = login(worker)
    client.post("/patients/new/", _form(worker))
    client.cookies["django_language"] = "en"  # the messages are checked in English
    first = Patient.objects.get(registered_by=worker, insurance_number=CARD)
    # The group and benefit level changed (poor household → retired), the person did not.
    renewed = "HT3080123456789"
    response = client.post(
        "/patients/new/",
        _form(worker, full_name="Lò Văn Pó", citizen_id="", insurance_number=renewed),
        headers={"Accept-Language": "en"},
    )
    assert "insurance_number" in response.context["form"].errors
    assert "Lò Văn Pó, born 02/05/1960" in response.context["form"].errors["insurance_number"][0]
    assert f'href="{first.get_absolute_url()}"' in response.content.decode()
    assert Patient.objects.filter(insurance_number__endswith="0123456789").count() == 1


def test_another_facility_keeps_its_own_record_of_the_same_person(worker, login):
    """Records are per facility (Circular 46/2018): the same citizen ID at two stations is
    two records of one person, not a duplicate."""
    _register(worker)
    other_facility = (
        type(_facility(worker))
        .objects.filter(kind=_facility(worker).kind)
        .exclude(pk=_facility(worker).pk)
        .order_by("id")[0]
    )
    Patient.objects.create(
        facility=other_facility,
        full_name="Lò Văn Pó",
        sex="male",
        birth_date=Patient.objects.get(citizen_id=CITIZEN_ID).birth_date,
        citizen_id=CITIZEN_ID,
        insurance_number=CARD,
        commune=other_facility.commune or _facility(worker).commune,
        registered_by=worker,
    )
    assert Patient.objects.filter(citizen_id=CITIZEN_ID).count() == 2


def test_a_retry_of_the_same_form_answers_with_the_first_record(worker, login):
    client = login(worker)
    data = _form(worker)
    first = client.post("/patients/new/", data)
    again = client.post("/patients/new/", data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Patient.objects.filter(citizen_id=CITIZEN_ID).count() == 1


# --- the API -------------------------------------------------------------------------------------


def _body(**overrides):
    return {
        "full_name": "Lò Văn Pó",
        "sex": "male",
        "birth_date": "1960-05-02",
        "citizen_id": CITIZEN_ID,
        "insurance_number": CARD,
        "commune": 715,
        **overrides,
    }


def test_the_api_refuses_a_second_record_with_409_naming_the_first(worker, api_client):
    client = api_client(worker)
    created = client.post("/api/patients", _body(), content_type="application/json")
    assert created.status_code == 201, created.content
    first = created.json()
    answer = client.post(
        "/api/patients",
        _body(full_name="Lò Thị Mai", sex="female", allow_duplicate=True),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "conflict"
    assert first["url"] in body["message"]
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"citizen_id", "insurance_number"}
    assert "already registered here: Lò Văn Pó, born 02/05/1960" in fields["citizen_id"]
    assert Patient.objects.filter(citizen_id=CITIZEN_ID).count() == 1


def test_the_api_still_lets_a_look_alike_through_when_confirmed(worker, api_client):
    client = api_client(worker)
    client.post("/api/patients", _body(), content_type="application/json")
    look_alike = _body(citizen_id="", insurance_number="")
    refused = client.post("/api/patients", look_alike, content_type="application/json")
    assert refused.status_code == 409
    confirmed = client.post(
        "/api/patients", {**look_alike, "allow_duplicate": True}, content_type="application/json"
    )
    assert confirmed.status_code == 201
    assert Patient.objects.filter(search_name="lo van po").count() == 2


# --- the service and the database ----------------------------------------------------------------


def test_the_service_refuses_with_the_existing_record_whatever_allow_duplicate_says(worker):
    first = _register(worker)
    with pytest.raises(IdentifierTaken) as refused:
        _register(worker, full_name="Lò Thị Mai", sex="female", insurance_number="")
    assert refused.value.existing == [first]
    assert list(refused.value.message_dict) == ["citizen_id"]
    with pytest.raises(IdentifierTaken) as refused:
        _register(worker, full_name="Lò Thị Mai", citizen_id="", insurance_number="DN4790123456789")
    assert refused.value.existing == [first]
    assert list(refused.value.message_dict) == ["insurance_number"]


def test_the_service_answers_a_refusal_in_the_readers_language(worker):
    _register(worker)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _register(worker, full_name="Lò Thị Mai")
    assert "belongs to one person" in refused.value.message_dict["citizen_id"][0]


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("citizen_id", CITIZEN_ID, CITIZEN_ID),
        ("insurance_number", CARD, "HT3080123456789"),
    ],
)
def test_the_database_refuses_a_second_record_that_skips_the_service(worker, field, first, second):
    facility = _facility(worker)
    values = {"citizen_id": "", "insurance_number": ""}
    _register(worker, **{**values, field: first})
    twin = Patient(
        facility=facility,
        full_name="Lò Thị Mai",
        sex="female",
        birth_date=Patient.objects.get(**{field: first}).birth_date,
        commune=facility.commune,
        registered_by=worker,
        **{**values, field: second},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_blank_identifiers_are_not_duplicates(worker):
    _register(worker, citizen_id="", insurance_number="")
    _register(worker, full_name="Lò Thị Mai", citizen_id="", insurance_number="")
    assert Patient.objects.filter(facility=_facility(worker), citizen_id="").count() >= 2


# --- the upgrade: records already duplicated are kept and marked, not deleted -------------------


def test_the_upgrade_marks_the_later_duplicates_reports_them_and_deletes_nothing(worker, login):
    migration = importlib.import_module(
        "caunoi.patients.migrations.0004_flag_duplicate_identifiers"
    )
    first = _register(worker)
    # Rows as the code before this version let them in: drop the new constraints inside the
    # test's transaction (both databases roll DDL back with it).
    with connection.cursor() as cursor:
        for name in ("patient_citizen_id_once_per_facility", "patient_insurance_once_per_facility"):
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    second = _register(
        worker, full_name="Lò Thị Mai", sex="female", citizen_id="", insurance_number=""
    )
    Patient.objects.filter(pk=second.pk).update(citizen_id=CITIZEN_ID)
    third = _register(worker, full_name="Lò A Sử", citizen_id="", insurance_number="")
    Patient.objects.filter(pk=third.pk).update(insurance_number="HT3080123456789")
    apart = _register(worker, full_name="Vàng Thị Dính", citizen_id="", insurance_number="")
    before = Patient.objects.count()

    out = io.StringIO()
    with redirect_stdout(out):
        migration.flag_duplicate_identifiers(apps, None)

    assert Patient.objects.count() == before
    flagged = set(Patient.objects.filter(identifier_conflict=True).values_list("pk", flat=True))
    assert flagged == {second.pk, third.pk}
    assert apart.pk not in flagged
    report = out.getvalue()
    assert f"citizen ID {CITIZEN_ID}: kept {first.public_id}, marked {second.public_id}" in report
    assert f"social-insurance number 0123456789: kept {first.public_id}" in report
    assert str(third.public_id) in report

    # The marked record's page links to the record that holds the identifier.
    page = login(worker).get(second.get_absolute_url()).content.decode()
    assert 'id="identifier-conflict"' in page
    assert f'href="{first.get_absolute_url()}"' in page
    assert (
        'id="identifier-conflict"'
        not in login(worker).get(first.get_absolute_url()).content.decode()
    )

    migration.unflag(apps, None)
    assert not Patient.objects.filter(identifier_conflict=True).exists()
