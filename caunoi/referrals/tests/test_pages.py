"""The referral pages: what the form starts with when it comes from a consultation, the
browser's date and time inputs (read in Vietnam time), and outcomes that make sense at
discharge, worded so the page reads right, stored rows included."""

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from caunoi.consults.services import ConsultationInput, advice_record, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.forms import DischargeForm
from caunoi.referrals.models import DischargeOutcome, Referral
from caunoi.referrals.services import referral_accept, referral_arrive, referral_discharge
from caunoi.referrals.tests.factories import make_referral, provincial_hospital

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
QUESTION = "Có cần chuyển tuyến để làm điện tâm đồ gắng sức không?"
ADVICE = "Nghi cơn đau thắt ngực không ổn định: chuyển bệnh viện tỉnh trong ngày."


def _english(login, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(user)


@pytest.fixture
def patient(worker):
    return make_patient(worker, name="Mua Thị Súa")


@pytest.fixture
def consult(worker, specialist, patient):
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), summary=summary(question=QUESTION)
        ),
    )
    return advice_record(
        consultation=c, actor=specialist, advice=ADVICE, outcome="refer", diagnoses=[]
    )


def _fresh(r):
    return Referral.objects.get(pk=r.pk)


def _textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None, name
    return found.group(1).strip()


# --- the form ------------------------------------------------------------------------------------


def test_a_referral_from_a_consultation_leaves_the_reason_to_write_and_shows_the_question(
    worker, consult, login
):
    html = _english(login, worker).get(f"/referrals/new/?consult={consult.public_id}")
    html = html.content.decode()
    assert _textarea(html, "reason") == ""
    context = re.search(
        r'<section class="wide notice" id="consult-context".*?</section>', html, re.S
    )
    assert context is not None
    assert QUESTION in context.group(0)
    assert ADVICE in context.group(0)
    assert "refer the patient" in context.group(0)  # the specialist's recommendation
    assert "what the patient needs there" in html  # the reason's help
    # What the consultation already says still fills the clinical fields.
    assert "Sốt cao 3 ngày, ho" in _textarea(html, "clinical_summary")
    assert QUESTION not in _textarea(html, "clinical_summary")


def test_a_referral_sent_with_the_browsers_departure_time_leaves_at_that_vietnam_time(
    worker, patient, login
):
    client = login(worker)
    page = client.get(f"/referrals/new/?patient={patient.public_id}").content.decode()
    assert '<input type="datetime-local" name="departed_at"' in page
    hospital = provincial_hospital()
    option = re.search(rf'<option value="([0-9a-f-]+)">{hospital.name} ', page)
    assert option is not None
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        "/referrals/new/",
        {
            "client_id": str(uuid.uuid4()),
            "patient": str(patient.public_id),
            "to_facility": option.group(1),
            "urgency": "routine",
            "reason": "Cần chụp X-quang ngực",
            "transport": "family",
            "departed_at": f"{tomorrow:%Y-%m-%d}T06:30",
        },
    )
    assert response.status_code == 302
    r = Referral.objects.get(patient=patient)
    assert r.departed_at == datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 6, 30, tzinfo=HANOI
    )


# --- arrival, discharge, counter-referral --------------------------------------------------------


def test_arrival_and_discharge_take_the_browsers_date_and_time_in_vietnam_time(
    worker, receiver, patient, login
):
    r = make_referral(worker, patient)
    referral_accept(referral=_fresh(r), actor=receiver)
    client = login(receiver)
    page = client.get(r.get_absolute_url()).content.decode()
    assert '<input type="datetime-local" name="arrived_at"' in page
    now = timezone.localtime()
    arrived = now.replace(second=0, microsecond=0) - timedelta(minutes=30)
    client.post(
        f"/referrals/{r.public_id}/arrive/", {"arrived_at": arrived.strftime("%Y-%m-%dT%H:%M")}
    )
    assert _fresh(r).arrived_at == arrived
    page = client.get(r.get_absolute_url()).content.decode()
    assert '<input type="datetime-local" name="discharged_at"' in page
    discharged = arrived + timedelta(minutes=20)
    client.post(
        f"/referrals/{r.public_id}/discharge/",
        {"outcome": "outpatient", "discharged_at": discharged.strftime("%Y-%m-%dT%H:%M")},
    )
    assert _fresh(r).discharged_at == discharged
    assert _fresh(r).discharged_at.tzinfo is not None
    page = client.get(r.get_absolute_url()).content.decode()
    assert '<input type="date" name="next_appointment"' in page
    next_visit = timezone.localdate() + timedelta(days=30)
    client.post(
        f"/referrals/{r.public_id}/counter-referral/",
        {
            "diagnosis": "Cơn đau thắt ngực ổn định",
            "follow_up": "Đo huyết áp hằng ngày",
            "next_appointment": f"{next_visit:%Y-%m-%d}",
        },
    )
    assert _fresh(r).next_appointment == next_visit


def test_the_discharge_form_offers_only_how_a_stay_ends_and_picks_none(receiver):
    with translation.override("en"):
        field: Any = DischargeForm().fields["outcome"]
        choices = {value: str(label) for value, label in field.choices}
    assert choices.pop("") == "Choose the outcome"
    assert set(choices) == set(DischargeOutcome.values)
    labels = list(choices.values())
    assert "admitted" not in labels
    assert "treated as an inpatient, then discharged" in labels
    assert DischargeForm(data={"outcome": ""}).is_valid() is False


def test_a_stored_admitted_discharge_reads_as_an_inpatient_stay_on_its_own_line(
    worker, receiver, patient, login
):
    r = make_referral(worker, patient)
    referral_accept(referral=_fresh(r), actor=receiver)
    referral_arrive(referral=_fresh(r), actor=receiver)
    referral_discharge(referral=_fresh(r), actor=receiver, outcome="admitted")
    assert _fresh(r).outcome == "admitted"  # the stored value is unchanged
    page = _english(login, receiver).get(r.get_absolute_url()).content.decode()
    discharged = re.search(r"<dt>Discharged</dt><dd>([^<]*)</dd>", page)
    assert discharged is not None
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", discharged.group(1).strip())
    outcome = re.search(r'<dt>Outcome</dt><dd id="referral-outcome">([^<]*)</dd>', page)
    assert outcome is not None
    assert outcome.group(1) == "treated as an inpatient, then discharged"
