"""Load the replica test's primary: the schema, places, ICD-10, the fixture network, five
patients each with a consultation sent this month (five, so that the province's figure is not
suppressed), and API tokens. Run in a subprocess with DATABASE_URL pointing at the primary;
prints what the test needs as JSON."""

from __future__ import annotations

import json
import os
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.test_settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from caunoi.accounts.models import User  # noqa: E402
from caunoi.accounts.services import api_token_create  # noqa: E402
from caunoi.codes.loader import icd_load  # noqa: E402
from caunoi.consults.services import ConsultationInput, consultation_submit  # noqa: E402
from caunoi.consults.tests.factories import internal_medicine, summary  # noqa: E402
from caunoi.network.tests.factories import fixture_network_load  # noqa: E402
from caunoi.patients.tests.factories import make_patient  # noqa: E402
from caunoi.places.loader import places_load  # noqa: E402

CONSULTS = 5


def main() -> None:
    call_command("migrate", verbosity=0)
    places_load()
    icd_load()
    fixture_network_load()
    worker = User.objects.get(username="worker")
    officer = User.objects.get(username="officer")
    patients = [make_patient(worker, name=f"Bệnh nhân {n}") for n in range(CONSULTS)]
    for patient in patients:
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            data=ConsultationInput(
                patient=patient, specialty=internal_medicine(), summary=summary()
            ),
            submit=True,
        )
    facility = worker.memberships.get(role="worker").facility
    assert facility is not None
    out = {
        "consults": CONSULTS,
        "patient": str(patients[0].public_id),
        "province": facility.province.code,
        "worker_token": api_token_create(user=worker, name="replica test", actor=worker)[1],
        "officer_token": api_token_create(user=officer, name="replica test", actor=officer)[1],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
