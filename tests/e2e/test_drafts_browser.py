"""Forms kept on this device, in a real Chromium (README: "Forms kept on this device").

A consultation with two photos sent while the link is down waits on the device, encrypted, and
goes exactly once when the link is back; a form kept on a shared computer is deleted at log-out
and cannot be read with any key the server hands out after; and the service worker sends a
waiting registration with no page of the platform open (Background Sync)."""

import base64
import io
import random
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from caunoi.accounts.models import DraftKey
from caunoi.consults.models import Consultation
from caunoi.patients.models import Patient

pytestmark = pytest.mark.browser

PATIENT = "Vàng Thị Dính"
REASON = "Trẻ sốt cao, nổi ban đỏ khắp người hai ngày nay"

# The raw records as IndexedDB holds them, every byte array as base64.
RAW = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("caunoi-drafts", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("drafts", { keyPath: "id" });
    open.onsuccess = () => {
        const request = open.result.transaction("drafts").objectStore("drafts").getAll();
        request.onsuccess = () => {
            const b64 = (x) => {
                const bytes = new Uint8Array(x.buffer || x);
                let text = "";
                for (let i = 0; i < bytes.length; i += 8192) {
                    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
                }
                return btoa(text);
            };
            const sealed = (s) => ({ iv: b64(s.iv), data: b64(s.data) });
            open.result.close();
            resolve(request.result.map((r) => ({
                id: r.id, keyId: r.keyId, state: r.state, kind: r.kind,
                meta: sealed(r.meta), files: r.files.map(sealed),
            })));
        };
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""

# A record as RAW gave it, turned back into byte arrays and opened with a key of the server.
OPEN_WITH = """async ([record, keyId]) => {
    const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const sealed = (s) => ({ iv: bytes(s.iv), data: bytes(s.data) });
    const copy = { id: record.id, meta: sealed(record.meta), files: record.files.map(sealed) };
    try {
        const key = await window.caunoiDrafts.keyFor(keyId);
        const content = await window.caunoiDrafts.openRecord(copy, key, false);
        return "read: " + content.title;
    } catch (error) {
        return "refused: " + (error.status || error.name);
    }
}"""


def _photo(path, seed):
    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    path.write_bytes(out.getvalue())
    return path


def _until(check, timeout=30.0, every=0.2, page=None):
    """``check()`` once it is true, or its last value. With ``page``, Playwright waits between
    checks (its routes and events are served only while it does)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        if page is not None:
            page.wait_for_timeout(every * 1000)
        else:
            time.sleep(every)


@pytest.fixture
def patient(station_patient):
    return station_patient(PATIENT, age_years=4)


@pytest.fixture
def registered(committed_db):
    """Deletes, after the test, the patients it registered under these names."""
    names: list[str] = []
    yield names
    for p in Patient.objects.filter(full_name__in=names):
        p.consents.all().delete()
        p.delete()


def _key_ready(page):
    """The page holds this session's key (fetched while the link is up): the newest key."""
    page.wait_for_load_state("networkidle")
    key = DraftKey.objects.filter(user__username="worker").order_by("-created_at").first()
    assert key is not None
    return str(key.public_id)


def test_a_consult_sent_offline_with_two_photos_waits_encrypted_and_goes_once(
    new_page, sign_in, patient, tmp_path
):
    page = new_page()
    sign_in(page, "worker")
    posts: list[str] = []
    # On the context: the page's requests and the service worker's alike.
    page.context.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/consults/new/" in r.url else None,
    )
    page.goto(f"/consults/new/?patient={patient.public_id}")
    _key_ready(page)
    page.context.set_offline(True)
    expect(page.locator("#net-status")).to_be_visible()
    page.select_option("#id_specialty", label="Nhi khoa")
    page.check("input[name=urgency][value=urgent]")
    page.fill("#id_reason", REASON)
    page.fill("#id_question", "Có phải sởi không, cần chuyển tuyến không?")
    photos = [_photo(tmp_path / f"ban-{i}.jpg", i) for i in (1, 2)]
    page.set_input_files("#id_attachments", [str(p) for p in photos])
    expect(page.locator("#upload-status")).to_contain_text("ban-2.jpg")
    page.click("button[name=submit]")

    note = page.locator(".draft-note")
    expect(note).to_contain_text("Không có kết nối: biểu mẫu được giữ trên máy này")
    panel = page.locator("#drafts")
    expect(panel).to_be_visible()
    expect(panel.locator("li")).to_have_count(1)
    expect(panel.locator("li")).to_contain_text(f"Hỏi về {PATIENT}")
    expect(panel.locator("li")).to_contain_text("chờ có mạng")
    assert posts == []
    assert not Consultation.objects.filter(patient=patient).exists()

    # On the disk: the form and its two photos, sealed; no word of it in clear.
    [record] = page.evaluate(RAW)
    assert record["state"] == "waiting"
    assert record["kind"] == "consult"
    assert len(record["files"]) == 2
    stored = b"".join(base64.b64decode(s["data"]) for s in [record["meta"], *record["files"]])
    for clear in (PATIENT, REASON, "ban-1.jpg", str(patient.public_id)):
        assert clear.encode() not in stored
    assert photos[0].read_bytes()[:64] not in stored  # the photo's own bytes neither

    page.context.set_offline(False)
    # Sent by itself; the page goes to the consultation it made.
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"), timeout=30_000)
    c = Consultation.objects.get(patient=patient)
    assert str(c.client_id) == record["id"]
    assert c.urgency == "urgent"
    assert c.reason == REASON
    assert c.status != "draft"
    assert sorted(a.original_name for a in c.attachments.all()) == ["ban-1.jpg", "ban-2.jpg"]
    assert page.evaluate(RAW) == []
    # Another page, and the link falling and coming back: nothing more is sent.
    page.goto("/consults/")
    page.context.set_offline(True)
    page.context.set_offline(False)
    page.wait_for_load_state("networkidle")
    assert len(posts) == 1, posts
    assert Consultation.objects.filter(patient=patient).count() == 1
    expect(page.locator("#drafts")).to_be_hidden()


def test_a_form_kept_on_a_shared_computer_is_gone_at_log_out_and_unreadable_after(
    new_page, sign_in, registered
):
    registered.append("Lò Văn Pọm")
    page = new_page()
    sign_in(page, "worker")
    page.goto("/patients/new/")
    _key_ready(page)
    page.context.set_offline(True)
    page.fill("#id_full_name", "Lò Văn Pọm")
    page.fill("#id_citizen_id", "011089000123")
    page.fill("#id_age_years", "52")
    records = _until(lambda: page.evaluate(RAW))
    assert [r["state"] for r in records] == ["editing"]
    copied = records[0]
    page.context.set_offline(False)
    # The list says what is kept, and the same form, opened again, offers to go on with it.
    panel = page.locator("#drafts")
    expect(panel.locator("li")).to_contain_text("Người bệnh mới: Lò Văn Pọm")
    page.goto("/patients/new/")
    expect(page.locator(".draft-note")).to_contain_text("Bạn đã bắt đầu biểu mẫu này")
    page.click(".draft-note button.primary")
    expect(page.locator("#id_full_name")).to_have_value("Lò Văn Pọm")
    expect(page.locator("#id_citizen_id")).to_have_value("011089000123")
    assert page.locator("input[name=client_id]").input_value() == copied["id"]

    messages: list[str] = []
    page.on("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.click("form[data-logout] button")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert len(messages) == 1, messages
    assert "bị xoá khi bạn đăng xuất" in messages[0], messages
    names = page.evaluate("indexedDB.databases().then(ds => ds.map(d => d.name))")
    assert "caunoi-drafts" not in names, names
    assert not DraftKey.objects.filter(public_id=copied["keyId"]).exists()

    # A copy of the disk taken before, read after signing in again: no key opens it.
    sign_in(page, "worker")
    page.goto("/patients/new/")
    new_key = _key_ready(page)
    assert new_key != copied["keyId"]
    assert page.evaluate(OPEN_WITH, [copied, copied["keyId"]]) == "refused: 404"
    assert page.evaluate(OPEN_WITH, [copied, new_key]) == "refused: OperationError"
    assert not Patient.objects.filter(full_name="Lò Văn Pọm").exists()


def test_the_service_worker_sends_a_waiting_registration_with_no_page_open(
    new_page, sign_in, registered, live_server_url
):
    registered.append("Hà Thị Sen")
    page = new_page()
    sign_in(page, "worker")
    page.goto("/patients/new/")
    _key_ready(page)
    page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    page.context.set_offline(True)
    page.fill("#id_full_name", "Hà Thị Sen")
    page.check("input[name=sex][value=female]")
    page.fill("#id_age_years", "31")
    page.click("form[data-draft] button[type=submit].primary")
    expect(page.locator(".draft-note")).to_contain_text("Không có kết nối")
    [record] = page.evaluate(RAW)
    assert record["state"] == "waiting"
    # Every page of the platform closed; a blank one stays to speak to the browser.
    blank = page.context.new_page()
    page.close()
    cdp = page.context.new_cdp_session(blank)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # the events arrive while Playwright waits, not while Python sleeps
        if registrations:
            break
        blank.wait_for_timeout(100)
    registration = next(r for r in registrations if not r.get("isDeleted"))
    posts: list[str] = []
    blank.context.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/patients/new/" in r.url else None,
    )
    blank.context.set_offline(False)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server_url,
            "registrationId": registration["registrationId"],
            "tag": "caunoi-drafts",
            "lastChance": False,
        },
    )
    patient = _until(lambda: Patient.objects.filter(full_name="Hà Thị Sen").first())
    assert patient is not None
    assert str(patient.client_id) == record["id"]
    assert patient.sex == "female"
    assert patient.registered_by.username == "worker"
    assert patient.birth_date.year == timezone.localdate().year - 31  # the age, as typed
    # Seen from a page again: nothing waits, and nothing was sent twice.
    again = page.context.new_page()
    again.goto("/patients/")
    again.wait_for_load_state("networkidle")
    assert again.evaluate(RAW) == []
    assert Patient.objects.filter(full_name="Hà Thị Sen").count() == 1
    assert len(posts) == 1, posts


def test_a_photo_going_ahead_pauses_when_the_link_drops_and_resumes_from_the_servers_offset(
    new_page, sign_in, patient, tmp_path
):
    page = new_page()
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={patient.public_id}")
    page.select_option("#id_specialty", label="Nhi khoa")
    page.check("input[name=urgency][value=routine]")
    page.fill("#id_reason", REASON)
    page.fill("#id_question", "Xin ý kiến điều trị")
    calls: list[tuple[str, str]] = []
    state = {"cut": False, "back": False}

    def line(route):
        """The link falls under the second piece, and stays down until the test says."""
        request = route.request
        calls.append((request.method, request.headers.get("upload-offset", "")))
        piece = request.method == "PATCH" and request.headers.get("upload-offset") == "262144"
        if (piece and not state["cut"]) or (state["cut"] and not state["back"]):
            state["cut"] = True
            route.abort("internetdisconnected")
            return
        route.continue_()

    page.route("**/api/uploads/**", line)
    # Grain does not shrink: about 900 KB, four pieces, sent as it is.
    from PIL import Image

    rng = random.Random(7)
    big = Image.frombytes("RGB", (1500, 1100), rng.randbytes(1500 * 1100 * 3))
    big.save(tmp_path / "ban-lon.jpg", "JPEG", quality=92)
    page.set_input_files("#id_attachments", str(tmp_path / "ban-lon.jpg"))
    for _ in range(100):
        if state["cut"]:
            break
        page.wait_for_timeout(50)
    page.context.set_offline(True)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("Bạn có thể gửi biểu mẫu ngay")
    expect(page.locator("button[name=submit]")).to_be_enabled()  # she may send the form now
    state["back"] = True
    page.context.set_offline(False)
    expect(page.locator("#pending-files li")).to_have_count(1, timeout=30_000)
    assert page.locator("#id_attachments").evaluate("input => input.files.length") == 0
    # One upload made, and after the link came back it went on from the server's offset.
    assert calls.count(("POST", "")) == 1, calls
    after = calls[calls.index(("PATCH", "262144")) + 1 :]
    assert ("PATCH", "0") not in after, calls
    assert calls[-1][0] == "PATCH", calls
    assert int(calls[-1][1]) > 262144, calls
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"))
    c = Consultation.objects.get(patient=patient)
    assert [a.original_name for a in c.attachments.all()] == ["ban-lon.jpg"]


def test_a_form_whose_answer_was_lost_is_not_sent_again(new_page, sign_in, registered):
    """The registration reached the server but its answer was lost with the link: the next page
    asks which forms the server holds, and forgets this one without sending it again."""
    registered.append("Lý Văn Chảo")
    page = new_page()
    sign_in(page, "worker")
    posts: list[str] = []
    page.context.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/patients/new/" in r.url else None,
    )

    handled: list[bool] = []

    def answer_lost(route):
        route.fetch()  # the server has it...
        route.abort("connectionreset")  # ...and the answer never comes back
        handled.append(True)

    page.route(
        "**/patients/new/",
        lambda route: answer_lost(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto("/patients/new/")
    _key_ready(page)
    page.fill("#id_full_name", "Lý Văn Chảo")
    page.check("input[name=sex][value=male]")
    page.fill("#id_age_years", "47")
    page.click("form[data-draft] button[type=submit].primary")
    patient = _until(lambda: Patient.objects.filter(full_name="Lý Văn Chảo").first(), page=page)
    assert patient is not None, posts
    # The server saves the patient before the handler has its answer: wait for the handler to
    # abort the request, or leaving the page would cancel it first ("Route is already handled").
    assert _until(lambda: handled, page=page), posts
    page.unroute("**/patients/new/")
    page.goto("/offline/")  # a page of the site that sends nothing, to look at what is kept
    [record] = page.evaluate(RAW)
    assert record["state"] == "sending"
    assert record["id"] == str(patient.client_id)
    page.goto("/patients/")
    for _ in range(50):
        if not page.evaluate(RAW):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(RAW) == []
    assert len(posts) == 1, posts
    assert Patient.objects.filter(full_name="Lý Văn Chảo").count() == 1
