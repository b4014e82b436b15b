"""Screenshots of every main page, as each persona sees it, at 1366 px and 360 px wide, in
Vietnamese and in English — taken from a RUNNING demo, so that a person can look at the product.

    make demo                      # in another terminal (or any running Cầu Nối with the demo seed)
    make screenshots               # or: .venv/bin/python tools/screenshots.py --persona worker

The pages are the table ``PAGES`` of ``tests/e2e/test_accessibility.py`` (one list for both: a
new page joins it once). Objects a page names ({patient}, {consult}, …) are found on the
persona's own lists in the demo; a page whose object the persona cannot see is left out and said.

    .venv/bin/python tools/screenshots.py --readme   # the few pictures of README.md

Settings (flags win over the environment):
  CAUNOI_URL        the demo's address (default http://127.0.0.1:8000)
  SCREENSHOTS_DIR   where the PNGs go (default var/screenshots/, git-ignored):
                    <dir>/<persona>/<page>-<lang>-<width>.png
  CHROMIUM          the browser (default /usr/bin/chromium, Debian's)
  DEMO_PASSWORD     the demo accounts' password (default caunoi-demo)

Only the language cookie of the browser changes language: the accounts' stored choice is not
touched. Signing in is recorded in the demo's audit trail like any other sign-in.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.test_accessibility import PAGES, WIDTHS, run_steps  # noqa: E402

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Where each object of the table is found: the first link of this shape on this list.
FIND = {
    "patient": ("/patients/", rf"/patients/({UUID})/$"),
    "consult": ("/consults/", rf"/consults/({UUID})/$"),
    "waiting": ("/consults/?queue=hub", rf"/consults/({UUID})/$"),
    "referral": ("/referrals/", rf"/referrals/({UUID})/$"),
    "video": ("/video/", rf"/video/({UUID})/$"),
    "facility": ("/network/facilities/", rf"/network/facilities/({UUID})/$"),
    "province": ("/network/provinces/", r"/network/provinces/(\d+)/$"),
    "course": ("/training/", rf"/training/courses/({UUID})/$"),
    # Sessions are linked from their course's page, which no list names: not photographed.
    "session": ("/training/", rf"/training/sessions/({UUID})/$"),
    "other_course": ("/training/", rf"/training/courses/({UUID})/$"),
    "staff": ("/training/staff/", rf"/training/staff/({UUID})/$"),
    "transfer": ("/transfers/", rf"/transfers/({UUID})/$"),
    "protocol": ("/protocols/", rf"/protocols/({UUID})/$"),
    "assessment": ("/quality/", rf"/quality/({UUID})/$"),
    "programme": ("/programmes/", rf"/programmes/({UUID})/$"),
}
# A coordinator finds waiting consults in triage (no specialty queue); a receiving clinician
# finds referrals in the incoming box.
BY_PERSONA = {
    ("coordinator", "waiting"): ("/consults/?queue=triage", rf"/consults/({UUID})/$"),
    ("receiver", "referral"): ("/referrals/?box=in", rf"/referrals/({UUID})/$"),
}
LANGUAGES = {"vi": "vi-VN", "en": "en-US"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Finder:
    """The objects a persona can see, looked up once on their lists."""

    def __init__(self, page: Any, persona: str) -> None:
        self.page = page
        self.persona = persona
        self.found: dict[str, str | None] = {}

    def _first(self, path: str, pattern: str) -> str | None:
        self.page.goto(path)
        for href in self.page.eval_on_selector_all(
            "main a[href]", "links => links.map(a => a.getAttribute('href'))"
        ):
            match = re.search(pattern, href.split("?")[0])
            if match:
                return match.group(1)
        return None

    def get(self, name: str) -> str | None:
        if name not in self.found:
            self.found[name] = self._first(*BY_PERSONA.get((self.persona, name), FIND[name]))
        return self.found[name]

    def fill(self, path: str) -> str | None:
        values = {}
        for name in re.findall(r"{(\w+)}", path):
            value = self.get(name)
            if value is None:
                return None
            values[name] = value
        return path.format(**values)


def sign_in(page: Any, persona: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", persona)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"could not sign in as {persona}: is the demo seeded (caunoi seed)?")


class Shooter:
    """One browser; a signed-in context per persona and language."""

    def __init__(self, browser: Any, url: str, password: str) -> None:
        self.browser = browser
        self.url = url
        self.password = password

    def open(self, persona: str, language: str, size: tuple[int, int]) -> tuple[Any, Any]:
        context = self.browser.new_context(
            base_url=self.url,
            locale=LANGUAGES[language],
            viewport={"width": size[0], "height": size[1]},
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        if persona != "anonymous":
            sign_in(page, persona, self.password)
        # The cookie, not the account: the persona's stored language stays as it was.
        context.add_cookies([{"name": "django_language", "value": language, "url": self.url}])
        return context, page


def every_page(shooter: Shooter, args: argparse.Namespace) -> int:
    out = Path(args.out)
    personas = list(dict.fromkeys(persona for persona, *_rest in PAGES))
    if args.persona:
        personas = [p for p in personas if p in args.persona]
    widths = [(w, h) for w, h in WIDTHS if not args.width or w in args.width]
    languages = args.lang or list(LANGUAGES)
    started, saved, left_out = time.monotonic(), 0, []
    for persona in personas:
        rows = [
            (name, path, steps)
            for p, name, path, steps in PAGES
            if p == persona and (not args.page or args.page in name)
        ]
        if not rows:
            continue
        for language in languages:
            context, page = shooter.open(persona, language, widths[0])
            finder = Finder(page, persona)
            for name, path, steps in rows:
                address = finder.fill(path)
                if address is None:
                    if language == languages[0]:
                        left_out.append(f"{persona} · {name} (no object to show)")
                    continue
                folder = out / persona
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    page.set_viewport_size({"width": widths[0][0], "height": widths[0][1]})
                    page.goto(address)
                    run_steps(page, steps)
                    for width, height in widths:
                        page.set_viewport_size({"width": width, "height": height})
                        page.wait_for_timeout(150)  # let the layout settle after resizing
                        target = folder / f"{slug(name)}-{language}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        saved += 1
                except PlaywrightError as exc:
                    left_out.append(f"{persona} · {name} ({language}): {exc.message}")
            context.close()
    print(f"{saved} screenshots in {out} ({time.monotonic() - started:.0f} s)")
    for line in left_out:
        print(f"  left out: {line}")
    return 0


# The few pictures of README.md: (persona, page of PAGES, width, file), first screen only,
# in Vietnamese, reduced to a 96-colour palette so that each stays well under 300 kB.
README_SHOTS = [
    ("worker", "consultation form", 360, "worker-consult-form-phone.png"),
    ("specialist", "hub queue", 1366, "specialist-queue.png"),
    ("officer", "monitoring", 1366, "officer-dashboard.png"),
    ("worker", "video room", 1366, "video-room.png"),
]


def readme(shooter: Shooter, out: Path) -> int:
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    for persona, name, width, filename in README_SHOTS:
        size = next((w, h) for w, h in WIDTHS if w == width)
        path, steps = next((p, s) for who, n, p, s in PAGES if (who, n) == (persona, name))
        context, page = shooter.open(persona, "vi", size)
        address = Finder(page, persona).fill(path)
        if address is None:
            raise SystemExit(f"{persona} sees no object for {name}: is the demo seeded?")
        guest = None
        if name == "video room":
            # A call needs two: the hub specialist joins first, so that the picture shows both.
            guest, guest_page = shooter.open("specialist", "vi", size)
            guest_page.goto(address)
        page.goto(address)
        run_steps(page, steps)
        if guest is not None:
            page.locator("#videos video").nth(1).wait_for()
            page.wait_for_timeout(3000)  # a few frames of the fake cameras
        target = out / filename
        page.screenshot(path=str(target))
        image = Image.open(target).convert("RGB")
        image.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        print(f"{target} ({target.stat().st_size // 1024} kB)")
        if guest is not None:
            guest.close()
        context.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("CAUNOI_URL", "http://127.0.0.1:8000"))
    parser.add_argument(
        "--out", default=os.environ.get("SCREENSHOTS_DIR", str(ROOT / "var" / "screenshots"))
    )
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "caunoi-demo"))
    parser.add_argument("--persona", action="append", help="only these personas (repeatable)")
    parser.add_argument("--lang", action="append", choices=sorted(LANGUAGES))
    parser.add_argument("--width", action="append", type=int, choices=[w for w, _h in WIDTHS])
    parser.add_argument("--page", help="only pages whose name contains this")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="instead, the few pictures of README.md, into docs/screenshots/",
    )
    args = parser.parse_args()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                # The video room: a test pattern and a tone instead of a camera and a microphone.
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        shooter = Shooter(browser, args.url.rstrip("/"), args.password)
        try:
            if args.readme:
                return readme(shooter, ROOT / "docs" / "screenshots")
            return every_page(shooter, args)
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
