"""Peak memory of the server while photos are uploaded at once (issue 10, item 4).

    createdb caunoi_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed
    .venv/bin/python benchmarks/upload_memory.py

For each case it starts `caunoi serve` (one uvicorn process) on a free port, uploads one small
photo to warm it up, resets the process's peak-memory counter (/proc/<pid>/clear_refs) and
sends the uploads at once through the API as the worker persona, each to a consult of its
own (uploads to one consult queue on its row lock). It prints the resident memory before, the
peak during the uploads (VmHWM, and the highest of VmRSS sampled every 10 ms), the answers and
the time taken. Cases:

- 8 × the PNG of issue 10: 7740 × 7740 RGBA in about 250 kB (240 MB once decoded);
- 8 × the largest PNG accepted by default: 4096 × 4096 RGBA (64 MB once decoded);
- 8 × a JPEG of a 50-megapixel phone camera's size, 8160 × 6120;
- 1 × a 50 MB body.

PostgreSQL, because SQLite's one writer would process the uploads one after another anyway.
The consults made are deleted at the end. Linux only (/proc).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.consults.tests.images import flat_png
from caunoi.patients.models import Patient

CAUNOI = str(Path(sys.executable).parent / "caunoi")
AT_ONCE = int(os.environ.get("BENCH_UPLOADS", "8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass
class Result:
    before_mb: float
    peak_mb: float
    sampled_mb: float
    answers: dict[int, int]
    seconds: float


def upload(port: int, token: str, consult: Consultation, name: str, data: bytes) -> int:
    photo = io.BytesIO(data)
    photo.name = name
    body = encode_multipart(BOUNDARY, {"attachments": [photo]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request(
            "POST",
            f"/api/consults/{consult.public_id}/attachments",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": MULTIPART_CONTENT},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the server closed the connection before the body was sent
    finally:
        conn.close()


def measure(
    token: str,
    warm_up: Consultation,
    targets: list[Consultation],
    name: str,
    make: Callable[[], bytes],
) -> Result:
    data = make()
    port = free_port()
    server = subprocess.Popen(
        [CAUNOI, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # Warm up: Pillow, the upload path and a database connection are loaded once.
        upload(port, token, warm_up, "warm.jpg", jpeg_bytes(color="teal"))
        time.sleep(1)
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # reset the peak to now
        before = status_kb(server.pid, "VmRSS")
        sampled = before
        done = threading.Event()

        def sample() -> None:
            nonlocal sampled
            while not done.is_set():
                sampled = max(sampled, status_kb(server.pid, "VmRSS"))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        answers: dict[int, int] = {}
        lock = threading.Lock()

        def send(consult: Consultation) -> None:
            status = upload(port, token, consult, name, data)
            with lock:
                answers[status] = answers.get(status, 0) + 1

        started = time.monotonic()
        senders = [threading.Thread(target=send, args=(c,)) for c in targets]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
        peak = status_kb(server.pid, "VmHWM")
        return Result(before / 1024, peak / 1024, sampled / 1024, answers, seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)


def phone_photo() -> bytes:
    """The size of a 50-megapixel phone camera's photo (the content does not change the
    memory a decode takes)."""
    from PIL import Image

    image = Image.new("RGB", (8160, 6120), (200, 170, 150))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL with the demo seed (see the docstring).")
    worker = User.objects.get(username="worker")
    patient = Patient.objects.filter(
        facility__memberships__user=worker, consents__withdrawn_at__isnull=True
    ).first()
    assert patient is not None
    _row, token = api_token_create(user=worker, name="benchmark", actor=worker)
    made: list[Consultation] = []

    def consults(n: int) -> list[Consultation]:
        fresh = [
            consultation_submit(
                actor=worker,
                client_id=uuid.uuid4(),
                submit=True,
                data=ConsultationInput(
                    patient=patient,
                    specialty=internal_medicine(),
                    summary=summary(reason="Benchmark: upload memory"),
                ),
            )
            for _ in range(n)
        ]
        made.extend(fresh)
        return fresh

    cases = [
        (f"{AT_ONCE} × PNG 7740×7740 RGBA", AT_ONCE, "bom.png", lambda: flat_png(7740, 7740)),
        (f"{AT_ONCE} × PNG 4096×4096 RGBA", AT_ONCE, "lon.png", lambda: flat_png(4096, 4096)),
        (f"{AT_ONCE} × JPEG 8160×6120 (50 MP)", AT_ONCE, "anh.jpg", phone_photo),
        (
            "1 × 50 MB body",
            1,
            "to.jpg",
            lambda: jpeg_bytes() + b"\0" * (50 * 1024 * 1024),
        ),
    ]
    rows = []
    try:
        for label, n, name, make in cases:
            result = measure(token, consults(1)[0], consults(n), name, make)
            rows.append((label, result))
            print(label, result, flush=True)
    finally:
        for c in made:
            for a in c.attachments.all():
                a.file.delete(save=False)
                if a.thumbnail:
                    a.thumbnail.delete(save=False)
        Consultation.objects.filter(pk__in=[c.pk for c in made]).delete()

    print("\n| case | RSS before (MB) | peak RSS (MB) | growth (MB) | answers | seconds |")
    print("|---|---|---|---|---|---|")
    for label, r in rows:
        answers = ", ".join(f"{n}× {s or 'reset'}" for s, n in sorted(r.answers.items()))
        print(
            f"| {label} | {r.before_mb:.0f} | {r.peak_mb:.0f} | {r.peak_mb - r.before_mb:.0f} | "
            f"{answers} | {r.seconds:.1f} |"
        )
    print(json.dumps({"uploads_at_once": AT_ONCE, "cpu_count": os.cpu_count()}))


if __name__ == "__main__":
    main()
