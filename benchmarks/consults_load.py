"""Teleconsultation under load: the specialist's queue, the consult page and consult submission
at 32 concurrent clients, with the query count of each.

    createdb caunoi_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench REDIS_URL=redis://127.0.0.1:6379/0
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed --consults 200000
    .venv/bin/python benchmarks/consults_load.py

Serves the platform with `caunoi serve --workers 2` and drives it with wrk (Debian package),
whose Lua hook reports the 95th percentile. Needs PostgreSQL with the scale seed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.consults.models import Consultation
from caunoi.patients.models import Patient

CAUNOI = str(Path(sys.executable).parent / "caunoi")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32").split(",")[0])  # serving.py: a list
WORKERS = os.environ.get("BENCH_WORKERS", "2")
DURATION = os.environ.get("BENCH_DURATION", "20s")

REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50=%.1f p95=%.1f p99=%.1f errors=%d non2xx=%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""

SUBMIT = """
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end
request = function()
  wrk.headers["Idempotency-Key"] = uuid4()
  return wrk.format("POST", nil, nil, wrk.body)
end
"""


def session_cookie(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def queries(client: Client, method: str, path: str, **kwargs: object) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code in (200, 201), (path, response.status_code)
    return len(ctx.captured_queries)


def wrk(
    url: str, headers: dict[str, str], script: str, body: str | None = None
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if body is not None:
            fh.write(f"wrk.method = 'POST'\nwrk.body = [[{body}]]\n")
        fh.write(script + REPORT)
        lua = fh.name
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s", "-s", lua]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (.*)", out)
    assert match, out
    return {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}


def demo_targets(worker: User) -> tuple[Consultation, str, str]:
    """A closed consultation of Huế's hub to open, an API token of ``worker`` and the JSON body
    of a consultation ``worker`` may submit (a patient of their station with consent)."""
    consult = (
        Consultation.objects.filter(hub__name="Bệnh viện Trung ương Huế", status="closed")
        .order_by("-id")
        .first()
    )
    assert consult is not None, "seed the demo first"
    patient = Patient.objects.filter(
        facility__memberships__user=worker, consents__withdrawn_at__isnull=True
    ).first()
    assert patient is not None
    _row, token = api_token_create(user=worker, name="benchmark", actor=worker)
    body = json.dumps(
        {
            "patient": str(patient.public_id),
            "specialty": "internal-medicine",
            "urgency": "routine",
            "reason": "Ho kéo dài",
            "question": "Cần chụp X-quang không?",
            "temperature": 37.8,
        },
        ensure_ascii=False,
    )
    return consult, token, body


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL with the scale seed (see the docstring).")
    subprocess.run([CAUNOI, "collectstatic", "--no-input", "-v0"], check=True)
    total = Consultation.objects.count()
    print(f"consultations in the database: {total:,}")
    specialist = User.objects.get(username="specialist")
    worker = User.objects.get(username="worker")
    consult, token, body = demo_targets(worker)

    queue_path = "/consults/?queue=hub"
    consult_path = consult.get_absolute_url()
    s = Client()
    s.force_login(specialist)
    w = Client(headers={"Authorization": f"Bearer {token}"})
    counts = {
        "specialist queue": queries(s, "get", queue_path),
        "consult page": queries(s, "get", consult_path),
        "consult submission (API)": queries(
            w,
            "post",
            "/api/consults",
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ),
    }

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [CAUNOI, "serve", "--workers", WORKERS, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:  # serving (503: no task worker here)
                break
            except OSError:
                time.sleep(0.1)
        cookie = session_cookie(specialist)
        results = {
            "specialist queue": wrk(base + queue_path, {"Cookie": cookie}, ""),
            "consult page": wrk(base + consult_path, {"Cookie": cookie}, ""),
            "consult submission (API)": wrk(
                base + "/api/consults",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                SUBMIT,
                body=body,
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    made = Consultation.objects.count() - total
    print(
        f"\n{CONNECTIONS} concurrent clients, {DURATION} each, {WORKERS} uvicorn workers; "
        f"{made:,} consults submitted\n"
    )
    print("| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors | queries |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
            f"{int(r['errors'] + r['non2xx'])} | {counts[name]} |"
        )


if __name__ == "__main__":
    main()
