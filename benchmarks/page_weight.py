"""Bytes a commune worker's browser transfers, first visit and repeat visit, and load time at
256 kbit/s, measured in Chromium through the DevTools protocol.

    .venv/bin/python benchmarks/page_weight.py            # serves var/caunoi.sqlite3 (make demo's)

Starts `caunoi serve` on a free port against the configured database (seed it first).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from playwright.sync_api import sync_playwright

CAUNOI = os.path.join(os.path.dirname(sys.executable), "caunoi")
PAGES = [
    ("home", "/"),
    ("directory", "/network/facilities/?q=lung+cu"),
    ("directory, province filter", "/network/facilities/?province=8"),
    ("province", "/network/provinces/8/"),
]
KBIT = 256


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    subprocess.run([CAUNOI, "collectstatic", "--no-input", "-v0"], check=True)
    server = subprocess.Popen([CAUNOI, "serve", "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:  # serving (503: no task worker here)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            # Without the service worker (core/pwa.py): the page's DevTools session does not see
            # the requests a worker makes, so bytes would be undercounted.
            context = browser.new_context(base_url=base, locale="vi-VN", service_workers="block")
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("#id_username", "worker")
            page.fill("#id_password", "caunoi-demo")
            page.click("button[type=submit].primary")
            page.wait_for_url(base + "/")
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            transferred: list[int] = []
            cdp.on(
                "Network.loadingFinished", lambda e: transferred.append(int(e["encodedDataLength"]))
            )
            # The consult form, for a patient of the worker's station (its scripts include the
            # resumable-upload client).
            page.goto("/patients/")
            patient = page.locator("li > a[href^='/patients/']").first.get_attribute("href")
            pages = [*PAGES, ("consult form", f"/consults/new/?patient={patient.split('/')[2]}")]
            print(f"{'page':32} {'first visit':>12} {'repeat':>10} {'load at 256 kbit/s':>20}")
            for label, path in pages:
                cdp.send("Network.clearBrowserCache")
                transferred.clear()
                page.goto(path, wait_until="load")
                first = sum(transferred)
                transferred.clear()
                page.goto(path, wait_until="load")
                repeat = sum(transferred)
                cdp.send("Network.clearBrowserCache")
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 150,
                        "downloadThroughput": KBIT * 1000 / 8,
                        "uploadThroughput": KBIT * 1000 / 8,
                    },
                )
                started = time.perf_counter()
                page.goto(path, wait_until="load")
                slow = time.perf_counter() - started
                cdp.send(
                    "Network.emulateNetworkConditions",
                    {
                        "offline": False,
                        "latency": 0,
                        "downloadThroughput": -1,
                        "uploadThroughput": -1,
                    },
                )
                print(
                    f"{label:32} {first / 1024:>9.1f} KB {repeat / 1024:>7.1f} KB {slow:>18.1f} s"
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
