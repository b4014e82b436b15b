"""Uploaded photos and documents: the type read from the bytes, images re-encoded upright and
without EXIF, PDFs parsed, limits, one copy per consult, and no orphan file on disk."""

import hashlib
import io
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from fpdf import FPDF
from PIL import Image, ImageFile

from caunoi.consults.models import Attachment, Consultation, Message
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    attachments_add,
    consultation_submit,
    message_post,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.consults.tests.images import flat_png
from caunoi.core import files
from caunoi.core.files import image_slots, process_upload, sniff
from caunoi.patients.tests.factories import make_patient

# --- making files --------------------------------------------------------------------------------


def _image(fmt, size=(40, 30), mode="RGB", color="red", **save):
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def _pdf(text="Kết quả xét nghiệm", *, password=None):
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password="chu-so-huu", user_password=password)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text.encode("ascii", "ignore").decode())
    return bytes(pdf.output())


def _open(content):
    return Image.open(io.BytesIO(content))


def _media_files():
    root = Path(django_settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


# --- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_image("JPEG"), "image/jpeg"),
        (_image("PNG"), "image/png"),
        (_image("WEBP"), "image/webp"),
        (_image("GIF", mode="P", color=1), "image/gif"),
        (b"GIF87a\x01\x00\x01\x00", "image/gif"),
        (_pdf(), "application/pdf"),
    ],
    ids=["jpeg", "png", "webp", "gif89a", "gif87a", "pdf"],
)
def test_accepted_types_are_recognised_by_their_first_bytes(data, expected):
    assert sniff(data[:16]) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"<script>alert(1)</script>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<svg onload=alert(1)>",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # ZIP, and so DOCX
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # HEIC
        b"RIFF\x24\x08\x00\x00WAVEfmt ",  # RIFF, but a sound
        b"XXXX\x00\x00\x00\x00WEBPVP8 ",  # WEBP without RIFF
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows program
        b"",
    ],
    ids=["script", "svg-xml", "svg", "docx", "heic", "wav", "webp-no-riff", "exe", "empty"],
)
def test_anything_else_is_not_recognised(data):
    assert sniff(data[:16]) is None


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("anh.jpg", b"<script>alert(1)</script>"),
        ("so-do.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"),
        ("benh-an.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100),
    ],
)
def test_a_file_of_another_type_is_refused_by_name(name, data):
    with pytest.raises(ValidationError) as exc_info:
        process_upload(data, name)
    assert exc_info.value.code == "type"
    assert name in exc_info.value.messages[0]


# --- images --------------------------------------------------------------------------------------


def test_gps_and_every_exif_tag_are_removed():
    original = jpeg_bytes(exif_gps=True)
    assert _open(original).getexif().get(0x8825) is not None  # the test photo has GPS
    processed = process_upload(original, "anh.jpg")
    assert not _open(processed.content).getexif()
    assert b"PhoneMaker" not in processed.content
    assert not _open(processed.thumbnail).getexif()


def test_a_photo_taken_sideways_is_stored_upright():
    # The sensor wrote 80×40 pixels, left half red and right half blue, and EXIF orientation 6
    # ("rotate 90° clockwise to show"): upright, it is 40×80 with red on top.
    image = Image.new("RGB", (80, 40), "blue")
    image.paste((255, 0, 0), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)

    processed = process_upload(out.getvalue(), "nghieng.jpg")
    stored = _open(processed.content).convert("RGB")
    assert stored.size == (40, 80)
    assert (processed.width, processed.height) == (40, 80)
    top, bottom = stored.getpixel((20, 10)), stored.getpixel((20, 70))
    assert top[0] > 200, top
    assert top[2] < 60, top
    assert bottom[2] > 200, bottom
    assert bottom[0] < 60, bottom
    assert 0x0112 not in _open(processed.content).getexif()


def test_a_transparent_png_becomes_a_jpeg_on_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (10, 10, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    processed = process_upload(out.getvalue(), "vet-thuong.png")
    assert (processed.kind, processed.content_type, processed.extension) == (
        "image",
        "image/jpeg",
        "jpg",
    )
    stored = _open(processed.content)
    assert stored.format == "JPEG"
    assert stored.mode == "RGB"
    assert min(stored.getpixel((2, 2))) > 245  # was transparent: now white, not black
    assert max(stored.getpixel((20, 20))) < 10  # the opaque square stays black


@pytest.mark.parametrize("fmt", ["WEBP", "GIF"])
def test_webp_and_gif_are_re_encoded_as_jpeg(fmt):
    data = _image(fmt, mode="P" if fmt == "GIF" else "RGB", color=1 if fmt == "GIF" else "red")
    processed = process_upload(data, f"anh.{fmt.lower()}")
    assert _open(processed.content).format == "JPEG"
    assert processed.sha256 == hashlib.sha256(processed.content).hexdigest()


def test_a_large_photo_is_shrunk_to_2048_pixels_with_a_thumbnail():
    processed = process_upload(jpeg_bytes(3000, 1000), "rong.jpg")
    assert (processed.width, processed.height) == (2048, 683)
    assert max(_open(processed.thumbnail).size) == 320


def test_a_file_over_the_size_limit_is_refused_naming_its_size(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    data = jpeg_bytes() + b"\x00" * (1536 * 1024 - len(jpeg_bytes()))
    assert len(data) == 1536 * 1024
    with pytest.raises(ValidationError) as exc_info:
        process_upload(data, "to.jpg")
    assert exc_info.value.code == "too_large"
    message = exc_info.value.messages[0]
    assert "1,5" in message  # Vietnamese, the default language: a decimal comma
    assert "1 MB" in message


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    data = jpeg_bytes()
    settings.ATTACHMENT_MAX_BYTES = len(data)
    assert process_upload(data, "vua.jpg").kind == "image"


def test_an_empty_file_is_refused_by_name():
    with pytest.raises(ValidationError) as exc_info:
        process_upload(b"", "rong.jpg")
    assert exc_info.value.code == "empty"
    assert "rong.jpg" in exc_info.value.messages[0]


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9])
def test_a_truncated_jpeg_is_refused_as_damaged(keep):
    whole = jpeg_bytes(300, 200)
    with pytest.raises(ValidationError) as exc_info:
        process_upload(whole[: int(len(whole) * keep)], "dut.jpg")
    assert exc_info.value.code == "corrupt"
    assert "dut.jpg" in exc_info.value.messages[0]


def test_a_png_header_with_garbage_is_refused_as_damaged():
    with pytest.raises(ValidationError) as exc_info:
        process_upload(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "hong.png")
    assert exc_info.value.code == "corrupt"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_over_the_pixel_limit_is_refused_before_decoding(settings, monkeypatch):
    # A lower limit makes the same check cheap to test.
    settings.IMAGE_MAX_PIXELS = 10_000
    monkeypatch.setattr(ImageFile.ImageFile, "load", _decoding_forbidden)
    data = _image("JPEG", size=(150, 100))  # 15,000 pixels: 1.5 times the limit
    with pytest.raises(ValidationError) as exc_info:
        process_upload(data, "bom.jpg")
    assert exc_info.value.code == "too_large"


def test_an_image_exactly_at_the_pixel_limit_is_accepted(settings):
    settings.IMAGE_MAX_PIXELS = 150 * 100
    assert process_upload(_image("JPEG", size=(150, 100)), "vua.jpg").width == 150


def test_pillows_own_bomb_check_also_ends_in_a_clear_refusal(monkeypatch):
    # Should Pillow's limit ever be the lower one, its error is still a message, never a 500.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    with pytest.raises(ValidationError) as exc_info:
        process_upload(_image("PNG", size=(100, 100)), "bom.png")
    assert exc_info.value.code == "too_large"
    assert "bom.png" in exc_info.value.messages[0]


def test_pillows_own_bomb_check_agrees_with_the_setting():
    assert Image.MAX_IMAGE_PIXELS == django_settings.IMAGE_MAX_PIXELS


# --- bounded memory -----------------------------------------------------------------------------


def _decoding_forbidden(self, *args, **kwargs):
    raise AssertionError("the image was decoded")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_small_png_of_issue_10_is_refused_from_its_header_without_decoding(monkeypatch):
    # 7740 × 7740 RGBA in about 250 kB: 240 MB once decoded, a gigabyte as it was processed.
    bomb = flat_png(7740, 7740)
    assert len(bomb) < 300_000
    monkeypatch.setattr(ImageFile.ImageFile, "load", _decoding_forbidden)
    with translation.override("en"), pytest.raises(ValidationError) as exc_info:
        process_upload(bomb, "vet-thuong.png")
    assert exc_info.value.code == "too_large"
    assert exc_info.value.messages == [
        "vet-thuong.png has too many pixels (7740 × 7740); the limit is 50 megapixels. "
        "Take the photo with the camera's normal setting, or send it smaller."
    ]


@pytest.mark.parametrize(
    ("mode", "size"),
    [("RGBA", (1000, 800)), ("RGB", (1000, 800)), ("L", (2000, 1600))],
)
def test_an_image_too_big_to_decode_is_refused_before_decoding(settings, monkeypatch, mode, size):
    # 800,000 pixels of RGB or RGBA, 3.2 million of grey: 3.2 MB each in Pillow's memory.
    settings.IMAGE_MAX_DECODED_BYTES = 3 * 1024 * 1024
    monkeypatch.setattr(ImageFile.ImageFile, "load", _decoding_forbidden)
    with translation.override("en"), pytest.raises(ValidationError) as exc_info:
        process_upload(flat_png(*size, mode=mode), "to.png")
    assert exc_info.value.code == "too_large"
    assert exc_info.value.messages == [
        f"to.png is too large an image to process ({size[0]} × {size[1]} pixels). "
        "Send it smaller, or as a JPEG photo."
    ]


def test_a_jpeg_too_big_to_decode_whole_is_decoded_at_half_size_and_accepted(settings):
    # 4200 × 2100 is 35 MB decoded whole; at half size (2100 × 1050) 8.8 MB, under the cap.
    settings.IMAGE_MAX_DECODED_BYTES = 16 * 1024 * 1024
    processed = process_upload(jpeg_bytes(4200, 2100), "rong.jpg")
    assert (processed.width, processed.height) == (2048, 1024)
    # The same pixels as a PNG cannot be decoded at a smaller size, and are refused.
    with pytest.raises(ValidationError) as exc_info:
        process_upload(flat_png(4200, 2100, mode="RGB"), "rong.png")
    assert exc_info.value.code == "too_large"


def test_a_large_photo_taken_sideways_is_decoded_small_and_stored_upright():
    image = Image.new("RGB", (4200, 2100), "blue")
    image.paste((255, 0, 0), (0, 0, 2100, 2100))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    processed = process_upload(out.getvalue(), "nghieng.jpg")
    assert (processed.width, processed.height) == (1024, 2048)
    stored = _open(processed.content).convert("RGB")
    assert stored.getpixel((512, 200))[0] > 200  # red on top
    assert stored.getpixel((512, 1800))[2] > 200  # blue below
    assert max(_open(processed.thumbnail).size) == 320


def _png(image):
    out = io.BytesIO()
    image.save(out, "PNG", **({"transparency": 0} if image.mode == "P" else {}))
    return out.getvalue()


def _half_transparent(mode):
    image = Image.new("RGBA", (3000, 60), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (1500, 0, 3000, 60))
    return image if mode == "RGBA" else image.convert(mode)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_a_large_transparent_image_is_shrunk_and_laid_on_white(mode):
    processed = process_upload(_png(_half_transparent(mode)), "trong.png")
    stored = _open(processed.content)
    assert (stored.mode, stored.size) == ("RGB", (2048, 41))
    assert min(stored.getpixel((200, 20))) > 245  # transparent: white
    assert max(stored.getpixel((1800, 20))) < 20  # opaque black stays black


def test_a_palette_image_with_a_transparent_colour_is_laid_on_white():
    image = Image.new("P", (3000, 60), 0)
    image.putpalette([255, 0, 255, 0, 0, 0] + [0] * 762)
    image.paste(1, (1500, 0, 3000, 60))
    stored = _open(process_upload(_png(image), "bang.png").content)
    assert min(stored.getpixel((200, 20))) > 245  # index 0 was transparent magenta: white
    assert max(stored.getpixel((1800, 20))) < 20


@pytest.mark.parametrize(
    "image",
    [
        Image.new("I;16", (3000, 40), 30000),
        Image.new("1", (3000, 40), 1),
        Image.new("CMYK", (3000, 40), (0, 0, 0, 0)),
    ],
    ids=["16-bit-grey", "bilevel", "cmyk"],
)
def test_other_modes_become_an_ordinary_jpeg(image):
    fmt = "JPEG" if image.mode == "CMYK" else "PNG"
    out = io.BytesIO()
    image.save(out, fmt)
    stored = _open(process_upload(out.getvalue(), "anh").content)
    assert stored.format == "JPEG"
    assert stored.mode in ("RGB", "L")
    assert stored.size == (2048, 27)


def test_at_most_the_configured_number_of_images_is_decoded_at_once(settings, monkeypatch):
    settings.IMAGE_PROCESSING_CONCURRENCY = 2
    slots = image_slots(2)
    inside = 0
    most = 0
    lock = threading.Condition()
    go = threading.Event()
    real_shrink = files._shrink

    def watched_shrink(image):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
            lock.notify_all()
        go.wait(timeout=30)
        try:
            return real_shrink(image)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(files, "_shrink", watched_shrink)
    results = []
    threads = [
        threading.Thread(
            target=lambda c=c: results.append(process_upload(jpeg_bytes(color=c), f"{c}.jpg"))
        )
        for c in ("red", "green", "blue", "white", "black")
    ]
    for t in threads:
        t.start()
    with lock:
        assert lock.wait_for(lambda: inside == 2, timeout=30)
    # Two images are being decoded and three are waiting: no turn is left.
    assert slots.acquire(blocking=False) is False
    go.set()
    for t in threads:
        t.join(timeout=30)
    assert most == 2
    assert len(results) == 5
    assert slots.acquire(blocking=False) is True  # every turn was given back
    slots.release()


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_png_of_issue_10_through_the_api_gets_a_field_error_and_saves_nothing(
    worker, consult, api_client
):
    files_before = _media_files()
    upload = SimpleUploadedFile("bom.png", flat_png(7740, 7740), content_type="image/png")
    response = api_client(worker).post(
        f"/api/consults/{consult.public_id}/attachments",
        {"attachments": [upload, SimpleUploadedFile("tot.jpg", jpeg_bytes())]},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [
        {
            "field": "attachments",
            "message": "bom.png has too many pixels (7740 × 7740); the limit is 50 megapixels. "
            "Take the photo with the camera's normal setting, or send it smaller.",
        }
    ]
    assert not Attachment.objects.filter(consultation=consult).exists()
    assert _media_files() == files_before


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_png_of_issue_10_through_the_page_gets_a_form_error_and_saves_nothing(worker, login):
    patient = make_patient(worker)
    files_before = _media_files()
    upload = SimpleUploadedFile("bom.png", flat_png(7740, 7740), content_type="image/png")
    response = login(worker).post(
        "/consults/new/",
        {
            "client_id": str(uuid.uuid4()),
            "patient": str(patient.public_id),
            "specialty": internal_medicine().pk,
            "urgency": "routine",
            "submit": "1",
            "attachments": [upload],
            **summary(),
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["attachments"])
    assert "bom.png có quá nhiều điểm ảnh (7740 × 7740)" in errors
    assert not Consultation.objects.filter(patient=patient).exists()
    assert _media_files() == files_before


# --- PDF -----------------------------------------------------------------------------------------


def test_a_one_page_pdf_is_kept_as_it_is():
    data = _pdf()
    processed = process_upload(data, "ket-qua.pdf")
    assert (processed.kind, processed.content_type, processed.extension) == (
        "pdf",
        "application/pdf",
        "pdf",
    )
    assert processed.content == data
    assert processed.sha256 == hashlib.sha256(data).hexdigest()
    assert processed.thumbnail is None
    assert processed.width is None


def test_a_password_protected_pdf_is_refused():
    with pytest.raises(ValidationError) as exc_info:
        process_upload(_pdf(password="mat-khau"), "khoa.pdf")
    assert exc_info.value.code == "encrypted"
    assert "khoa.pdf" in exc_info.value.messages[0]


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nthis is not a pdf at all",
        _pdf()[:400],
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [2 0 R] /Count 1 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n",
    ],
    ids=["garbage", "truncated", "pages-loop"],
)
def test_a_corrupt_pdf_is_refused_as_damaged(data):
    with pytest.raises(ValidationError) as exc_info:
        process_upload(data, "hong.pdf")
    assert exc_info.value.code == "corrupt"


def test_a_pdf_with_a_self_referencing_object_is_refused_as_damaged():
    data = (
        b"%PDF-1.4\n1 0 obj\n<<\n2 0 obj\n<<\n/Pages 1 0 R\n<<\n>>\nendobj\n"
        b"trailer\n<<\n/Size 8\n/Root 2 0 R\n>>\nstartxref\n664\n%%EOF"
    )
    with pytest.raises(ValidationError) as exc_info:
        process_upload(data, "vong.pdf")
    assert exc_info.value.code == "corrupt"


# --- storing attachments -------------------------------------------------------------------------


@pytest.fixture
def consult(worker):
    patient = make_patient(worker)
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )[0]


@pytest.mark.django_db
def test_the_same_photo_sent_twice_is_stored_once(worker, consult):
    photo = jpeg_bytes(color="green")
    first = attachments_add(consultation=consult, actor=worker, uploads=[Upload("a.jpg", photo)])
    again = attachments_add(
        consultation=consult, actor=worker, uploads=[Upload("a-copy.jpg", photo)]
    )
    assert len(first) == 1
    assert again == []
    stored = Attachment.objects.get(consultation=consult)
    assert stored.original_name == "a.jpg"
    assert Path(stored.file.path).is_file()
    assert str(stored.file.name).endswith(f"{stored.sha256}.jpg")


@pytest.mark.django_db
def test_the_same_photo_twice_in_one_upload_is_stored_once(worker, consult):
    photo = jpeg_bytes(color="green")
    added = attachments_add(
        consultation=consult, actor=worker, uploads=[Upload("a.jpg", photo), Upload("b.jpg", photo)]
    )
    assert len(added) == 1
    assert Attachment.objects.filter(consultation=consult).count() == 1


@pytest.mark.django_db
def test_the_same_photo_in_two_consults_is_stored_for_each(worker, consult):
    other, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name="Lò Văn Pó"),
            specialty=internal_medicine(),
            summary=summary(),
        ),
    )
    photo = jpeg_bytes(color="green")
    for c in (consult, other):
        attachments_add(consultation=c, actor=worker, uploads=[Upload("a.jpg", photo)])
    assert Attachment.objects.filter(consultation__in=[consult, other]).count() == 2


@pytest.mark.django_db
def test_more_files_than_a_consult_holds_are_refused_and_none_saved(worker, consult, settings):
    settings.ATTACHMENTS_PER_CONSULT = 3
    attachments_add(
        consultation=consult,
        actor=worker,
        uploads=[Upload(f"{i}.jpg", jpeg_bytes(color=c)) for i, c in enumerate(["red", "blue"])],
    )
    files = _media_files()
    with pytest.raises(ValidationError) as exc_info:
        attachments_add(
            consultation=consult,
            actor=worker,
            uploads=[Upload(f"{c}.jpg", jpeg_bytes(color=c)) for c in ["green", "yellow"]],
        )
    assert "3" in exc_info.value.messages[0]
    assert Attachment.objects.filter(consultation=consult).count() == 2
    assert _media_files() == files


@pytest.mark.django_db
def test_a_submission_with_one_bad_file_saves_nothing_at_all(worker, settings):
    patient = make_patient(worker)
    files = _media_files()
    with pytest.raises(ValidationError) as exc_info:
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient,
                specialty=internal_medicine(),
                summary=summary(),
                uploads=[
                    Upload("tot.jpg", jpeg_bytes()),
                    Upload("hong.jpg", jpeg_bytes(300, 200)[:500]),
                ],
            ),
        )
    assert "hong.jpg" in " ".join(exc_info.value.messages)
    assert not Consultation.objects.filter(patient=patient).exists()
    assert _media_files() == files


@pytest.mark.django_db
def test_files_written_before_a_failure_are_removed_from_disk(worker, monkeypatch):
    patient = make_patient(worker)
    files = _media_files()

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("caunoi.consults.services.audit_record", broken)
    monkeypatch.setattr("caunoi.audit.services.audit_record", broken)  # record_step
    with pytest.raises(RuntimeError):
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient,
                specialty=internal_medicine(),
                summary=summary(),
                uploads=[Upload("anh.jpg", jpeg_bytes(color="purple")), Upload("kq.pdf", _pdf())],
            ),
        )
    assert not Consultation.objects.filter(patient=patient).exists()
    assert not Attachment.objects.filter(consultation__patient=patient).exists()
    assert _media_files() == files


@pytest.mark.django_db
def test_a_message_whose_save_fails_leaves_no_photo_on_disk(worker, consult, monkeypatch):
    files = _media_files()

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("caunoi.consults.services.audit_record", broken)
    monkeypatch.setattr("caunoi.audit.services.audit_record", broken)  # record_step
    with pytest.raises(RuntimeError):
        message_post(
            consultation=consult,
            actor=worker,
            body="Ảnh mới",
            uploads=[Upload("moi.jpg", jpeg_bytes(color="orange"))],
        )
    assert not Message.objects.filter(consultation=consult).exists()
    assert _media_files() == files


@pytest.mark.django_db
def test_an_oversized_photo_through_the_page_gives_its_size_and_saves_nothing(
    worker, login, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    patient = make_patient(worker)
    files = _media_files()
    big = jpeg_bytes() + b"\x00" * (2 * 1024 * 1024)
    upload = SimpleUploadedFile("to-qua.jpg", big, content_type="image/jpeg")
    response = login(worker).post(
        "/consults/new/",
        {
            "client_id": str(uuid.uuid4()),
            "patient": str(patient.public_id),
            "specialty": internal_medicine().pk,
            "urgency": "routine",
            "submit": "1",
            "attachments": [upload],
            **summary(),
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["attachments"])
    assert "2,0" in errors  # the page is Vietnamese: a decimal comma
    assert not Consultation.objects.filter(patient=patient).exists()
    assert _media_files() == files


@pytest.mark.django_db
def test_a_stored_pdf_is_served_inline_with_nosniff(worker, consult, login):
    attachments_add(consultation=consult, actor=worker, uploads=[Upload("kq.pdf", _pdf())])
    a = Attachment.objects.get(consultation=consult)
    response = login(worker).get(f"/consults/{consult.public_id}/files/{a.public_id}/")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="{a.sha256[:12]}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize(("language", "shown"), [("vi", "(1,5 MB)"), ("en", "(1.5 MB)")])
def test_a_file_too_large_names_its_size_in_the_readers_number_format(language, shown, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    with translation.override(language), pytest.raises(ValidationError) as refused:
        process_upload(b"\xff\xd8\xff" + b"0" * (3 * 512 * 1024 - 3), "lon.jpg")
    assert shown in refused.value.messages[0]
