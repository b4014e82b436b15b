"""The installable web app in a real Chromium: Chromium's own installability check passes, the
service worker keeps the static files and the offline page and nothing else, a page that
cannot be reached shows the offline page, and every page says when the link is down."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _worker_ready(page):
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active && r.active.state)")
    assert state in ("activating", "activated")
    # The offline page is in the cache before anything else is asked of the worker.
    for _ in range(50):
        cached = page.evaluate(
            """async () => {
                const urls = [];
                for (const name of await caches.keys()) {
                    for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
                }
                return urls;
            }"""
        )
        if "/offline/" in cached:
            return cached
        page.wait_for_timeout(200)
    raise AssertionError(f"the offline page was never cached: {cached}")


def test_chromium_finds_the_app_installable(browser, live_server_url, sign_in, tmp_path):
    from conftest import CHROMIUM, CHROMIUM_ARGS

    # A profile of its own: Chromium does not offer to install from an incognito context,
    # which every Playwright context otherwise is.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        base_url=live_server_url,
        locale="vi-VN",
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        # The checker at work: a page with no manifest is not installable.
        page.goto("/offline/")
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert "no-manifest" in [e["errorId"] for e in errors], errors
        sign_in(page, "worker")
        _worker_ready(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_offline_a_page_shows_the_offline_page_and_no_patient_page_is_kept(new_page, sign_in):
    page = new_page()
    sign_in(page, "worker")
    page.goto("/patients/")
    expect(page.locator("h1")).to_have_text("Người bệnh")
    page.goto("/")
    cached = _worker_ready(page)
    page.goto("/patients/")  # with the worker in control now
    page.context.set_offline(True)
    page.goto("/consults/")
    expect(page.locator("h1")).to_have_text("Không có kết nối")
    # Styled: the stylesheet came from the worker's cache.
    button = page.locator("button[data-reload]").first
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"
    cached = _worker_ready(page)
    assert cached, cached
    assert all(path == "/offline/" or path.startswith("/static/") for path in cached), cached
    page.context.set_offline(False)
    button.click()
    expect(page.locator("h1")).to_have_text("Ca hội chẩn")  # the page asked for, reloaded


def test_every_page_says_when_the_link_is_down_and_when_it_is_back(new_page, sign_in):
    page = new_page()
    sign_in(page, "worker")
    bar = page.locator("#net-status")
    expect(bar).to_be_hidden()
    page.context.set_offline(True)
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Mất kết nối")
    page.context.set_offline(False)
    expect(bar).to_contain_text("Đã kết nối lại")
    expect(bar).to_be_hidden(timeout=8000)


def test_a_push_message_is_shown_by_the_service_worker(new_page, sign_in, live_server_url):
    page = new_page()
    page.context.grant_permissions(["notifications"], origin=live_server_url)
    sign_in(page, "worker")
    _worker_ready(page)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if not r.get("isDeleted"))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server_url,
            "registrationId": registration["registrationId"],
            "data": '{"title": "Bác sĩ đã trả lời", "body": "Nhi khoa: đã có ý kiến.", '
            '"url": "/consults/", "tag": "t1"}',
        },
    )
    shown = []
    for _ in range(50):
        shown = page.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(ns => ns.map(n => [n.title, n.body, n.data.url]))"
        )
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [["Bác sĩ đã trả lời", "Nhi khoa: đã có ý kiến.", "/consults/"]]
