"""The consult form in a real browser when it comes back with an error: the photo already sent
is shown as kept, and sending the corrected form attaches it without choosing it again."""

import re

import pytest
from playwright.sync_api import expect

from caunoi.consults.models import Consultation, PendingUpload, ResumableUpload
from caunoi.consults.tests.factories import jpeg_bytes

pytestmark = pytest.mark.browser

PATIENT = "Giàng Thị Chư"


@pytest.fixture
def patient(station_patient):
    return station_patient(PATIENT, age_years=29)


def _the_form(new_page, sign_in, patient, reason, question):
    """``worker`` on the consult form for ``patient``, a dermatology question filled in."""
    page = new_page()
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={patient.public_id}")
    page.select_option("#id_specialty", label="Da liễu")
    page.check("input[name=urgency][value=routine]")
    page.fill("#id_reason", reason)
    page.fill("#id_question", question)
    return page


def test_a_photo_sent_with_a_form_that_came_back_is_kept_and_attached_later(
    new_page, sign_in, patient, tmp_path
):
    page = _the_form(
        new_page,
        sign_in,
        patient,
        "Mảng da đỏ, ngứa ở cẳng tay 2 tuần",
        "Chẩn đoán và hướng điều trị?",
    )
    page.fill("#id_temperature", "73")  # a slip of the finger: 37
    photo = tmp_path / "cang-tay.jpg"
    photo.write_bytes(jpeg_bytes(1200, 900, color="pink"))
    page.set_input_files("#id_attachments", str(photo))
    expect(page.locator("#upload-status")).to_contain_text("cang-tay")
    with page.expect_navigation():
        page.click("button[name=submit]")

    # The form is back with the error, and says the photo is already on the server.
    expect(page.locator("#id_temperature")).to_have_value("73")
    kept = page.locator("#pending-files")
    expect(kept).to_contain_text("cang-tay.jpg")
    thumbnail = kept.locator("img")
    expect(thumbnail).to_have_attribute("alt", "cang-tay.jpg")
    # The small picture loads lazily, as the worker scrolls down to it.
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#pending-files img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert page.locator("#id_attachments").evaluate("input => input.files.length") == 0

    page.fill("#id_temperature", "37.3")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"))
    c = Consultation.objects.get(patient=patient)
    assert [a.original_name for a in c.attachments.all()] == ["cang-tay.jpg"]
    assert not PendingUpload.objects.filter(patient=patient).exists()


def _noise_photo(path, seed, width=900, height=700):
    import io
    import random

    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    path.write_bytes(out.getvalue())
    return path


def test_photos_go_ahead_in_pieces_a_cut_link_resumes_and_each_is_attached_once(
    new_page, sign_in, patient, tmp_path
):
    page = _the_form(
        new_page,
        sign_in,
        patient,
        "Vết loét ở cổ chân không lành sau 3 tuần",
        "Có cần chuyển tuyến không?",
    )
    calls: list[tuple[str, str]] = []
    cut: list[str] = []

    def line(route):
        """The link falls under the first photo's second piece, and is still down when the page
        first asks where the upload stands."""
        request = route.request
        calls.append((request.method, request.headers.get("upload-offset", "")))
        second_piece = (
            request.method == "PATCH" and request.headers.get("upload-offset") == "262144"
        )
        if (second_piece and not cut) or (request.method == "HEAD" and len(cut) == 1):
            cut.append(request.method)
            route.abort("internetdisconnected")
            return
        route.continue_()

    page.route("**/api/uploads/**", line)
    photos = [_noise_photo(tmp_path / f"co-chan-{i}.jpg", i) for i in (1, 2)]
    assert all(300_000 < p.stat().st_size < 600_000 for p in photos)
    page.set_input_files("#id_attachments", [str(p) for p in photos])

    gallery = page.locator("#pending-files li")
    expect(gallery).to_have_count(2, timeout=60_000)
    expect(page.locator("#pending-files")).to_contain_text("co-chan-1.jpg")
    expect(page.locator("#pending-files")).to_contain_text("co-chan-2.jpg")
    expect(page.locator("#upload-status")).to_contain_text("co-chan-2.jpg")
    assert page.locator("#id_attachments").evaluate("input => input.files.length") == 0
    # Cut, then asked (twice: the first went nowhere) where the upload stood and went on from
    # there; each piece reached the server once.
    assert cut == ["PATCH", "HEAD"]
    assert calls.count(("HEAD", "")) == 2, calls
    assert calls.count(("PATCH", "262144")) == 3, (
        calls
    )  # the first photo's, cut; again; the second's
    uploads = ResumableUpload.objects.filter(patient=patient)
    assert uploads.count() == 2
    assert all(u.completed_at is not None and u.pending is not None for u in uploads)

    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"))
    c = Consultation.objects.get(patient=patient)
    assert sorted(a.original_name for a in c.attachments.all()) == [
        "co-chan-1.jpg",
        "co-chan-2.jpg",
    ]
    assert not PendingUpload.objects.filter(patient=patient).exists()
