"""A commune station on a weak line: page loads, a consult with two phone photos, a 3 MB scan
going ahead from the consult form when the browser loses its network, and a 3 MB upload cut
part-way and resumed — everything through ``tests/weaklink``'s line (256 kbit/s,
150 ms and 3 % loss each way), with the platform's own server on this machine and Chromium
(or tuspy) inside the line's network namespace. Needs root (a network namespace and TUN
devices) and a seeded database (``make demo``; or ``DATABASE_URL`` naming one)::

    sudo .venv/bin/python benchmarks/weak_station.py   # BENCH_RATE=256 BENCH_DELAY=150 BENCH_LOSS=3
                                                       # BENCH_PARTS=pages,consult,cut,resume

Prints one table per measurement (BENCHMARKS.md, "A commune station on a weak line").
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import CHROMIUM_ARGS
from tests.weaklink import WeakLink, unavailable

CAUNOI = os.path.join(os.path.dirname(sys.executable), "caunoi")
RATE = float(os.environ.get("BENCH_RATE", 256))
DELAY = float(os.environ.get("BENCH_DELAY", 150))
LOSS = float(os.environ.get("BENCH_LOSS", 3))
# Which measurements: BENCH_PARTS=pages,consult,cut,resume (all by default).
PARTS = set(os.environ.get("BENCH_PARTS", "pages,consult,cut,resume").split(","))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def phone_photo(path: Path, seed: int) -> Path:
    """Something like a phone's 12-megapixel photo of a wound or a rash: skin tones, many
    small shapes, the sensor's grain; about 3 MB as the phone saves it and about 260 KB once the
    page has shrunk it to 2,048 px (a real photo of skin shrinks to 250–500 KB)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (4000, 3000), (196, 150, 128))
    draw = ImageDraw.Draw(image)
    for _ in range(800):
        x, y, r = rng.randrange(4000), rng.randrange(3000), rng.randrange(20, 700)
        tone = tuple(max(0, min(255, c + rng.randrange(-50, 50))) for c in (190, 140, 120))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tone)
    image = image.filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((4000, 3000), 18).convert("RGB")
    image = Image.blend(image, grain, 0.25)
    image.save(path, "JPEG", quality=92)
    return path


def serve(port: int, host: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ALLOWED_HOSTS": f"127.0.0.1,localhost,{host}"}
    subprocess.run([CAUNOI, "collectstatic", "--no-input", "-v0"], check=True, env=env)
    server = subprocess.Popen(
        [CAUNOI, "serve", "--with-worker", "--host", "0.0.0.0", "--port", str(port)],  # noqa: S104
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    return server


def sign_in(page: object) -> None:
    page.goto("/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", "worker")  # type: ignore[attr-defined]
    page.fill("#id_password", "caunoi-demo")  # type: ignore[attr-defined]
    page.click("button[type=submit].primary")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=120_000)  # type: ignore[attr-defined]


def page_loads(context: object, cdp: object, paths: list[tuple[str, str]]) -> None:
    page = context.pages[0]  # type: ignore[attr-defined]
    got: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: got.append(int(e["encodedDataLength"])))  # type: ignore[attr-defined]
    print(f"\n{'page':24} {'first':>14} {'repeat':>14}")
    for label, path in paths:
        cdp.send("Network.clearBrowserCache")  # type: ignore[attr-defined]
        row = []
        for _visit in (1, 2):
            got.clear()
            started = time.perf_counter()
            page.goto(path, wait_until="load", timeout=120_000)
            row.append((time.perf_counter() - started, sum(got)))
        print(
            f"{label:24} {row[0][0]:>5.1f} s {row[0][1] / 1024:>5.0f} KB"
            f" {row[1][0]:>5.1f} s {row[1][1] / 1024:>5.0f} KB"
        )


def consult_with_photos(page: object, patient: str, photos: list[Path]) -> None:
    page.goto(f"/consults/new/?patient={patient}", wait_until="load", timeout=120_000)  # type: ignore[attr-defined]
    sent: list[int] = []
    page.on(  # type: ignore[attr-defined]
        "request",
        lambda r: (
            sent.append(int(r.headers.get("upload-length", 0)))
            if r.method == "POST" and "/api/uploads/" in r.url
            else None
        ),
    )
    started = time.perf_counter()
    page.set_input_files("#id_attachments", [str(p) for p in photos])  # type: ignore[attr-defined]
    page.select_option("#id_specialty", index=1)  # type: ignore[attr-defined]
    page.check("input[name=urgency][value=urgent]")  # type: ignore[attr-defined]
    page.fill("#id_reason", "Vết loét cẳng chân chảy dịch, sốt nhẹ 2 ngày")  # type: ignore[attr-defined]
    page.fill("#id_question", "Có cần chuyển tuyến không? Dùng kháng sinh gì?")  # type: ignore[attr-defined]
    page.locator("#pending-files li").nth(len(photos) - 1).wait_for(timeout=300_000)  # type: ignore[attr-defined]
    ahead = time.perf_counter() - started
    page.click("button[name=submit]", timeout=300_000)  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/consults/new/" not in url, timeout=300_000)  # type: ignore[attr-defined]
    total = time.perf_counter() - started
    original = sum(p.stat().st_size for p in photos)
    print(
        f"\nconsult with {len(photos)} phone photos ({original / 1e6:.1f} MB as taken,"
        f" {sum(sent) / 1024:.0f} KB sent after shrinking): photos received {ahead:.1f} s after"
        f" choosing them, consult sent at {total:.1f} s"
    )


RESUME = r"""
import hashlib, io, json, sys, time
from tusclient import client
url, cookie, token, patient, form, path, cut = sys.argv[1:8]
data = open(path, "rb").read()
headers = {"Cookie": cookie, "X-CSRFToken": token}
meta = {"filename": "phim-x-quang.pdf", "client_id": form, "patient": patient,
        "sha256": hashlib.sha256(data).hexdigest()}
t = client.TusClient(url, headers=headers)
first = t.uploader(file_stream=io.BytesIO(data), chunk_size=256 * 1024, metadata=meta, retries=0)
started = time.perf_counter()
first.upload(stop_at=int(len(data) * float(cut)))
before = time.perf_counter() - started
# The line fell here; the client comes back knowing only the upload's address.
again = t.uploader(file_stream=io.BytesIO(data), chunk_size=256 * 1024, metadata=meta,
                   url=first.url, retries=0)
resumed_at = again.offset
started = time.perf_counter()
again.upload()
print(json.dumps({"cut_at": first.offset, "resumed_at": resumed_at, "size": len(data),
                  "before": before, "after": time.perf_counter() - started}))
"""


def scanned_pdf() -> bytes:
    """A scanned document of about 3 MB: a PDF holding one page's scan (a JPEG of grain, which
    does not compress). PDFs are checked, not re-encoded, so it arrives as it left."""
    from fpdf import FPDF

    rng = random.Random(3)
    scan = Image.frombytes("RGB", (2200, 1600), rng.randbytes(2200 * 1600 * 3))
    jpeg = io.BytesIO()
    scan.save(jpeg, "JPEG", quality=90)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(jpeg.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def browser_cut(page: object, patient: str, pdf: Path, cuts: int = 3) -> None:
    """The station's own browser, on the consult form, sending a 3 MB scan ahead (PDFs go as
    they are) when its network goes: the browser is offline for 10 s (a phone losing its
    network: the piece on its way fails, the page pauses the upload), then back. The page then
    asks the server where the upload stands and goes on from there."""
    page.context.set_offline(False)  # type: ignore[attr-defined]
    print(
        f"\n{'cut during the piece from':>26} {'went on from':>13} {'sent again, at most':>20} {'received after':>15}"
    )
    for _ in range(cuts):
        page.goto(f"/consults/new/?patient={patient}", wait_until="load", timeout=120_000)  # type: ignore[attr-defined]
        pieces: list[tuple[float, int]] = []

        def piece(r: object, pieces: list[tuple[float, int]] = pieces) -> None:
            if r.method == "PATCH" and "/api/uploads/" in r.url:  # type: ignore[attr-defined]
                pieces.append((time.perf_counter(), int(r.headers.get("upload-offset", 0))))  # type: ignore[attr-defined]

        page.on("request", piece)  # type: ignore[attr-defined]
        started = time.perf_counter()
        page.set_input_files("#id_attachments", str(pdf))  # type: ignore[attr-defined]
        while len(pieces) < 5:  # the fifth piece (1 MB sent) is on its way
            page.wait_for_timeout(200)  # type: ignore[attr-defined]
        page.wait_for_timeout(3000)  # type: ignore[attr-defined]
        cut_at = time.perf_counter()
        cut_piece = pieces[-1][1]
        page.context.set_offline(True)  # type: ignore[attr-defined]
        page.wait_for_timeout(10_000)  # type: ignore[attr-defined]
        page.context.set_offline(False)  # type: ignore[attr-defined]
        page.locator("#pending-files li").first.wait_for(timeout=600_000)  # type: ignore[attr-defined]
        done = time.perf_counter()
        page.remove_listener("request", piece)  # type: ignore[attr-defined]
        after = [offset for moment, offset in pieces if moment > cut_at]
        resumed = after[0] if after else 0
        print(
            f"{cut_piece / 1024:>23.0f} KB {resumed / 1024:>10.0f} KB"
            f" {max(0, cut_piece + 256 * 1024 - resumed) / 1024:>17.0f} KB"
            f" {done - cut_at - 10:>13.1f} s   (whole upload {done - started:.0f} s)"
        )


def resumed_uploads(link: WeakLink, base: str, cookie: str, token: str, patient: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="caunoi-weak-"))
    (folder / "scan.pdf").write_bytes(scanned_pdf())
    (folder / "resume.py").write_text(RESUME)
    print(
        f"\n{'cut at':>8} {'resumed from':>13} {'sent again':>11} {'before the cut':>15} {'after':>8}"
    )
    for cut in ("0.25", "0.5", "0.9"):
        form = os.urandom(16).hex()
        form = f"{form[:8]}-{form[8:12]}-4{form[13:16]}-a{form[17:20]}-{form[20:32]}"
        out = subprocess.run(
            link.command(
                sys.executable,
                str(folder / "resume.py"),
                f"{base}/api/uploads/",
                cookie,
                token,
                patient,
                form,
                str(folder / "scan.pdf"),
                cut,
            ),
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(out.stderr[-2000:])
            return
        r = json.loads(out.stdout)
        print(
            f"{float(cut) * 100:>7.0f} % {r['resumed_at'] / 1024:>10.0f} KB"
            f" {(r['cut_at'] - r['resumed_at']) / 1024:>8.0f} KB {r['before']:>13.1f} s"
            f" {r['after']:>6.1f} s"
        )


def main() -> None:
    why = unavailable()
    if why:
        print(
            f"No weak line on this machine: {why}. The figures in BENCHMARKS.md are from a run where it could."
        )
        return
    with WeakLink(rate=RATE, delay=DELAY, loss=LOSS) as link:
        port = free_port()
        server = serve(port, link.host)
        base = f"http://{link.host}:{port}"
        print(f"line: {RATE:g} kbit/s, {DELAY:g} ms and {LOSS:g} % loss each way; server {base}")
        folder = Path(tempfile.mkdtemp(prefix="caunoi-photos-"))
        photos = [phone_photo(folder / f"anh-{i}.jpg", i) for i in (1, 2)]
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=link.chromium(),
                    args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={base}"],
                )
                # Without the service worker: with it, the page's own DevTools session does not
                # see the requests the worker makes, and the bytes would be undercounted (the
                # static files' long HTTP caching still serves the repeat visits).
                context = browser.new_context(
                    base_url=base, locale="vi-VN", service_workers="block"
                )
                context.set_default_timeout(120_000)
                page = context.new_page()
                started = time.perf_counter()
                sign_in(page)
                print(f"sign-in (login page, then home): {time.perf_counter() - started:.1f} s")
                page.goto("/patients/")
                href = page.locator("li > a[href^='/patients/']").first.get_attribute("href") or ""
                patient = href.strip("/").split("/")[-1]
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                if "pages" in PARTS:
                    page_loads(
                        context,
                        cdp,
                        [
                            ("home", "/"),
                            ("patients", "/patients/"),
                            ("patient", f"/patients/{patient}/"),
                            ("consult form", f"/consults/new/?patient={patient}"),
                        ],
                    )
                if "consult" in PARTS:
                    consult_with_photos(page, patient, photos)
                if "cut" in PARTS:
                    pdf = folder / "phim-x-quang.pdf"
                    pdf.write_bytes(scanned_pdf())
                    browser_cut(page, patient, pdf)
                cookies = {c["name"]: c["value"] for c in context.cookies()}
                token = cookies.get("csrftoken") or page.locator(
                    "input[name=csrfmiddlewaretoken]"
                ).first.get_attribute("value")
                cookie = f"sessionid={cookies['sessionid']}; csrftoken={token}"
                browser.close()
            if "resume" in PARTS:
                resumed_uploads(link, base, cookie, token or "", patient)
        finally:
            server.terminate()
            server.wait(timeout=20)
        report = link.stop()
    print(f"\nthe line carried: {json.dumps(report)}")


if __name__ == "__main__":
    main()
