"""The FHIR interface under load (issue 17), beside a bare Django view in the same run.

    createdb caunoi_fhir_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_fhir_bench REDIS_URL=redis://127.0.0.1:6379/0
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed
    .venv/bin/caunoi seed --workers 20000 && .venv/bin/caunoi seed --consults 1000000
    .venv/bin/caunoi collectstatic --no-input
    .venv/bin/python benchmarks/fhir.py

The server is ``caunoi serve`` as ``serving.py`` runs it (gunicorn, kept connections,
``BENCH_WORKERS`` processes of ``BENCH_THREADS`` threads), driven by wrk at
``BENCH_CONNECTIONS`` (64) for ``BENCH_DURATION`` per run, every call with a platform API token
(so every read of patient data writes its audit row, as in production):

- the **mixed load** — 70 % searches (directory by name, roles with ``_include``, locations of
  a province, patients by identifier and by name, a patient's ServiceRequests, a hub's Tasks),
  20 % reads (Organization, Practitioner, Patient, ServiceRequest), 10 % conditional creates of
  a new Patient — requests/s, per core, p50/p95/p99, errors, app and PostgreSQL CPU per request;
- each request of the mix alone, and the Patient searches by identifier and by name;
- ``/_bench/bare`` (one row): the ceiling the serving set-up leaves.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from django.db import connection
from serving import (  # type: ignore[import-not-found]
    Page,
    cpu_seconds,
    free_port,
    largest_rss_mb,
    start,
    wrk,
)

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.consults.models import Consultation
from caunoi.network.models import Membership
from caunoi.patients.access import visible_patients
from caunoi.patients.models import Patient

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64").split(",")[0])
DURATION = os.environ.get("BENCH_DURATION", "15s")

# The mixed load: wrk picks each request by weight; a create carries a fresh citizen ID.
MIX = """
local requests = REQUESTS
local total = 0
for _, r in ipairs(requests) do total = total + r.weight end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local pick = math.random() * total
  for _, r in ipairs(requests) do
    pick = pick - r.weight
    if pick <= 0 then
      if r.method == "POST" then
        local id = string.format("0019%08d", math.random(0, 99999999))
        local body = string.gsub(r.body, "CITIZEN", id)
        wrk.headers["If-None-Exist"] = "identifier=" .. id
        wrk.headers["Content-Type"] = "application/fhir+json"
        return wrk.format("POST", r.path, nil, body)
      end
      wrk.headers["If-None-Exist"] = nil
      return wrk.format("GET", r.path)
    end
  end
end
"""

NEW_PATIENT = {
    "resourceType": "Patient",
    "identifier": [
        {"system": "http://fhir.ehealth.gov.vn/core/sid/national_id", "value": "CITIZEN"}
    ],
    "name": [{"family": "Lò", "given": ["Văn Thử"]}],
    "gender": "male",
    "birthDate": "1985-03-04",
}


def lua_table(requests: list[tuple[str, str, str, float]]) -> str:
    rows = []
    for method, path, body, weight in requests:
        rows.append(
            f"{{method={json.dumps(method)}, path={json.dumps(path)}, "
            f"body=[[{body}]], weight={weight}}}"
        )
    return "{" + ",\n".join(rows) + "}"


def targets(worker: User) -> dict[str, str]:
    """Rows the worker may see, so that every request of the load answers 200."""
    station = Membership.objects.filter(user=worker).select_related("facility").first()
    assert station is not None
    assert station.facility is not None
    patient = (
        visible_patients(worker).exclude(citizen_id="").order_by("pk").first()
        or visible_patients(worker).order_by("pk").first()
    )
    assert patient is not None, "the worker sees no patient: seed the demo first"
    consult = (
        Consultation.objects.filter(patient=patient).first()
        or Consultation.objects.filter(requester_facility=station.facility).first()
    )
    assert consult is not None
    hub = consult.hub
    assert hub is not None
    specialist = (
        Membership.objects.filter(facility=hub, role="specialist").select_related("user").first()
    )
    assert specialist is not None
    word = patient.full_name.split()[-1]
    return {
        "facility": str(station.facility.public_id),
        "province": str(station.facility.province.code),
        "hub": str(hub.public_id),
        "patient": str(patient.public_id),
        "citizen": patient.citizen_id or "",
        "name": urllib.parse.quote(word),
        "consult": str(consult.public_id),
        "practitioner": str(specialist.user.public_id),
    }


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL with the scale seed (see the docstring).")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    worker = User.objects.get(username="worker")
    _row, token = api_token_create(user=worker, name="fhir benchmark", actor=worker)
    t = targets(worker)
    identifier = (
        f"Patient?identifier={t['citizen']}" if t["citizen"] else f"Patient?_id={t['patient']}"
    )
    searches = [
        ("GET", "/fhir/R4/Organization?name=tram%20y%20te&_count=20", "", 12),
        (
            "GET",
            f"/fhir/R4/PractitionerRole?organization=Organization/{t['hub']}"
            "&_include=PractitionerRole:practitioner&_count=20",
            "",
            12,
        ),
        ("GET", f"/fhir/R4/Location?partof=Location/province-{t['province']}&_count=20", "", 10),
        ("GET", f"/fhir/R4/{identifier}", "", 12),
        ("GET", f"/fhir/R4/Patient?name={t['name']}&_count=20", "", 10),
        ("GET", f"/fhir/R4/ServiceRequest?patient=Patient/{t['patient']}", "", 7),
        ("GET", f"/fhir/R4/Task?owner=Organization/{t['hub']}&_count=20", "", 7),
    ]
    reads = [
        ("GET", f"/fhir/R4/Organization/{t['facility']}", "", 5),
        ("GET", f"/fhir/R4/Practitioner/{t['practitioner']}", "", 5),
        ("GET", f"/fhir/R4/Patient/{t['patient']}", "", 5),
        ("GET", f"/fhir/R4/ServiceRequest/{t['consult']}", "", 5),
    ]
    creates = [("POST", "/fhir/R4/Patient", json.dumps(NEW_PATIENT, ensure_ascii=False), 10)]
    mix = [*searches, *reads, *creates]
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    runs = [
        Page("bare Django view", "/_bench/bare", {}),
        Page("mixed FHIR load (70/20/10)", "/", bearer, MIX.replace("REQUESTS", lua_table(mix))),
        *(
            Page(
                path.split("?")[0].removeprefix("/fhir/R4/")
                + (" ?" + path.split("?")[1] if "?" in path else ""),
                path,
                bearer,
            )
            for _method, path, _body, _weight in [*searches, *reads]
        ),
    ]
    cores = os.cpu_count() or 1
    print(
        f"patients {Patient.objects.count():,}; consultations {Consultation.objects.count():,}; "
        f"practitioners {User.objects.filter(memberships__facility__isnull=False).distinct().count():,}; "
        f"{cores} cores; {CONNECTIONS} connections; {DURATION} per run\n"
    )
    port = free_port()
    server = start("wsgi", port)
    try:
        print(
            "| run | req/s | req/s per core | ×bare | p50 ms | p95 ms | p99 ms | errors | app CPU ms/req | PG CPU ms/req |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        bare = None
        for page in runs:
            url = f"http://127.0.0.1:{port}{page.path}"
            wrk(url, page, CONNECTIONS, "2s")
            app0, db0 = cpu_seconds(server.pid)
            r = wrk(url, page, CONNECTIONS, DURATION)
            app1, db1 = cpu_seconds(server.pid)
            n = max(r["requests"], 1)
            bare = bare or r["rps"]
            print(
                f"| {page.name} | {r['rps']:.0f} | {r['rps'] / cores:.0f} | {r['rps'] / bare:.2f} | "
                f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
                f"{int(r['errors'] + r['non2xx'])} | {(app1 - app0) * 1000 / n:.1f} | "
                f"{(db1 - db0) * 1000 / n:.1f} |",
                flush=True,
            )
        print(f"\nlargest server process: {largest_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
