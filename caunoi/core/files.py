"""Checking and storing uploaded photos and documents.

The type is read from the file's first bytes, never from its name or the browser's claim; an
image is decoded, turned upright, re-encoded as JPEG without its EXIF block (phones write GPS
coordinates there) and shrunk to 2048 px on the long edge; a PDF must parse. Anything else is
refused with a message that says what is accepted.

Images are handled in bounded memory. A few hundred kilobytes of PNG can describe 60 million
transparent pixels, which Pillow holds as 240 MB and, converted and copied, as a gigabyte; so:

- the header is read first (``Image.open`` decodes nothing) and an image with more pixels than
  ``IMAGE_MAX_PIXELS`` is refused;
- a JPEG is decoded at the smallest scale (1/2, 1/4, 1/8) that still gives 2048 px, through
  Pillow's ``draft``;
- what is then to be decoded is measured in the mode it is shrunk in (Pillow keeps RGB and
  RGBA in 4 bytes a pixel) and refused over ``IMAGE_MAX_DECODED_BYTES``; shrinking holds up
  to about three times that (Pillow resamples a transparent image in a premultiplied copy),
  and what is made afterwards (the flattening on white, the thumbnail, the JPEG) is made from
  the 2048 px image, never the full one;
- at most ``IMAGE_PROCESSING_CONCURRENCY`` images are decoded at once in a process; the others
  wait their turn.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

LONG_EDGE = 2048
THUMB_EDGE = 320
JPEG_QUALITY = 85
# Pillow's own decompression-bomb check (a warning from this many pixels, an error from twice
# as many) agrees with ours; ours runs first and refuses from the limit on.
Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
# Text chunks of a PNG are inflated when it is opened, before any of our checks, up to 64 MB
# by default; a photo carries a few kilobytes of them.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024

_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
]


def sniff(head: bytes) -> str | None:
    """The content type from the first bytes of a file, or None when it is none we accept."""
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and head[:4] != b"RIFF":
                continue
            return content_type
    return None


@dataclass(frozen=True)
class ProcessedFile:
    content: bytes
    thumbnail: bytes | None
    kind: str
    content_type: str
    extension: str
    sha256: str
    width: int | None
    height: int | None


def _too_big(size: int) -> ValidationError:
    limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
    return ValidationError(
        _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
        % {"size": number_format(size / (1024 * 1024), 1), "limit": limit},
        code="too_large",
    )


def process_upload(data: bytes, name: str) -> ProcessedFile:
    if len(data) == 0:
        raise ValidationError(_("The file %(name)s is empty.") % {"name": name}, code="empty")
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise _too_big(len(data))
    content_type = sniff(data[:16])
    if content_type is None:
        raise ValidationError(
            _(
                "%(name)s is not a photo or a PDF. Accepted: JPEG, PNG, WebP, GIF images and PDF documents."
            )
            % {"name": name},
            code="type",
        )
    if content_type == "application/pdf":
        return _process_pdf(data, name)
    return _process_image(data, name)


# Bytes a pixel takes in Pillow's memory: one for bilevel, grey and palette images, two for
# 16-bit grey, four for everything else (RGB is stored padded to four bytes).
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


def _working_mode(image: Image.Image) -> str:
    """The mode an image is shrunk in: grey stays grey, anything transparent becomes RGBA (and
    is laid on white once small), everything else RGB."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image.mode
    if image.mode in ("LA", "La", "PA", "RGBa") or "transparency" in image.info:
        return "RGBA"
    return "RGB"


def _decoded_bytes(image: Image.Image) -> int:
    """Memory that decoding ``image`` at its current size and bringing it to the mode it is
    shrunk in takes (the decode, plus the converted copy when the mode changes)."""
    pixels = image.width * image.height
    work = _working_mode(image)
    per_pixel = _PIXEL_BYTES.get(work, 4)
    if work != image.mode:
        per_pixel += _PIXEL_BYTES.get(image.mode, 4)
    return pixels * per_pixel


@functools.cache
def image_slots(limit: int) -> threading.BoundedSemaphore:
    """The per-process turns for decoding images: at most ``limit`` at once."""
    return threading.BoundedSemaphore(limit)


def _draft_size(width: int, height: int) -> tuple[int, int]:
    """The smallest size, with the image's proportions, whose long edge is still LONG_EDGE."""
    if width >= height:
        return LONG_EDGE, max(1, height * LONG_EDGE // width)
    return max(1, width * LONG_EDGE // height), LONG_EDGE


def _too_many_pixels(name: str, width: int, height: int) -> ValidationError:
    return ValidationError(
        _(
            "%(name)s has too many pixels (%(width)s × %(height)s); the limit is %(limit)s "
            "megapixels. Take the photo with the camera's normal setting, or send it smaller."
        )
        % {
            "name": name,
            "width": width,
            "height": height,
            "limit": settings.IMAGE_MAX_PIXELS // 1_000_000,
        },
        code="too_large",
    )


def _too_big_to_decode(name: str, width: int, height: int) -> ValidationError:
    return ValidationError(
        _(
            "%(name)s is too large an image to process (%(width)s × %(height)s pixels). "
            "Send it smaller, or as a JPEG photo."
        )
        % {"name": name, "width": width, "height": height},
        code="too_large",
    )


def _process_image(data: bytes, name: str) -> ProcessedFile:
    damaged = ValidationError(
        _("%(name)s could not be read as an image; it may be damaged.") % {"name": name},
        code="corrupt",
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Only the header has been read: refuse before anything is decoded.
            if probe.width * probe.height > settings.IMAGE_MAX_PIXELS:
                raise _too_many_pixels(name, probe.width, probe.height)
            probe.verify()
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if max(width, height) > LONG_EDGE:
            # A JPEG decodes straight to a half, quarter or eighth; other formats ignore this.
            image.draft(None, _draft_size(width, height))
        if _decoded_bytes(image) > settings.IMAGE_MAX_DECODED_BYTES:
            image.close()
            raise _too_big_to_decode(name, width, height)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own check, when its limit was set lower than ours.
        raise ValidationError(
            _("%(name)s has too many pixels to be a photo.") % {"name": name}, code="too_large"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise damaged from exc
    # Wait for a turn: however many uploads arrive at once, only a few images are in memory.
    with image_slots(settings.IMAGE_PROCESSING_CONCURRENCY):
        try:
            upright = _shrink(image)
            out = io.BytesIO()
            # No exif= argument and a fresh image: nothing of the original metadata is written.
            upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
            thumb = ImageOps.contain(upright, (THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
            thumb_out = io.BytesIO()
            thumb.save(thumb_out, "JPEG", quality=75, optimize=True)
        except (OSError, SyntaxError, ValueError) as exc:
            raise damaged from exc
        finally:
            image.close()
    content = out.getvalue()
    return ProcessedFile(
        content=content,
        thumbnail=thumb_out.getvalue(),
        kind="image",
        content_type="image/jpeg",
        extension="jpg",
        sha256=hashlib.sha256(content).hexdigest(),
        width=upright.width,
        height=upright.height,
    )


def _shrink(image: Image.Image) -> Image.Image:
    """Decode ``image``, shrink it to LONG_EDGE, turn it upright and lay any transparency on
    white: an RGB or grey image of at most LONG_EDGE pixels. Only the decode and the first
    step of the shrinking see the full size."""
    image.load()
    work = _working_mode(image)
    if image.mode == work:
        small = image
    else:
        small = image.convert(work)
        image.close()  # let the decoded original go before the converted copy is shrunk
    # In place: the full-size pixels are let go as soon as the small ones exist.
    small.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    # Turn the photo upright before the EXIF block (which holds the orientation) is dropped.
    ImageOps.exif_transpose(small, in_place=True)
    if small.mode == "RGBA":
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        return background
    return small


def _process_pdf(data: bytes, name: str) -> ProcessedFile:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(
                _("%(name)s is password-protected; send it without a password.") % {"name": name},
                code="encrypted",
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds on crafted files; all mean "damaged"
        raise ValidationError(
            _("%(name)s could not be read as a PDF; it may be damaged.") % {"name": name},
            code="corrupt",
        ) from exc
    if pages == 0:
        raise ValidationError(_("%(name)s has no pages.") % {"name": name}, code="corrupt")
    return ProcessedFile(
        content=data,
        thumbnail=None,
        kind="pdf",
        content_type="application/pdf",
        extension="pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        width=None,
        height=None,
    )
