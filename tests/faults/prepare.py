"""Load a fault test's throwaway database: the schema, places, code tables and the demo network,
a patient with consent, API tokens and a signed-in session. Run in a subprocess with
DATABASE_URL pointing at the throwaway cluster; prints what the tests need as JSON."""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from caunoi.accounts.models import User  # noqa: E402
from caunoi.accounts.services import api_token_create  # noqa: E402
from caunoi.codes.loader import icd_load  # noqa: E402
from caunoi.demo.network import demo_network_load  # noqa: E402
from caunoi.patients.tests.factories import make_patient  # noqa: E402
from caunoi.places.loader import places_load  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    places_load()
    icd_load()
    demo_network_load()
    people = {name: User.objects.get(username=name) for name in ("worker", "specialist")}
    patient = make_patient(people["worker"], name="Vàng Thị Lở")
    out: dict[str, object] = {"patient": str(patient.public_id)}
    for name, user in people.items():
        _row, token = api_token_create(user=user, name="fault tests", actor=None)
        client = Client()
        client.force_login(user)
        out[name] = {
            "token": token,
            "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "email": user.email,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
