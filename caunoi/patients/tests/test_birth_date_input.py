"""The date of birth is picked in the browser's date input (dd/mm/yyyy on a Vietnamese
browser), which offers no day after today and sends ISO."""

import re
import uuid
from datetime import date

import pytest
from django.utils import timezone

from caunoi.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_birth_date_is_a_date_input_that_stops_at_today(worker, login):
    page = login(worker).get("/patients/new/").content.decode()
    field = re.search(r'<input type="date" name="birth_date"[^>]*>', page)
    assert field is not None
    assert f'max="{timezone.localdate():%Y-%m-%d}"' in field.group(0)
    assert "placeholder" not in field.group(0)


def test_a_birth_date_sent_by_the_browser_is_stored(worker, login):
    facility = worker.memberships.get(role="worker").facility
    response = login(worker).post(
        "/patients/new/",
        {
            "client_id": str(uuid.uuid4()),
            "full_name": "Lò Thị Xuân",
            "sex": "female",
            "birth_date": "1987-11-23",
            "province": str(facility.province.code),
            "commune": str(facility.commune_id),
            "ethnicity": "08",
            "consent_given": "on",
            "consent_method": "verbal",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(full_name="Lò Thị Xuân").birth_date == date(1987, 11, 23)
