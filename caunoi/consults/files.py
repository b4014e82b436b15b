"""Checking and storing uploaded photos and documents.

The type is read from the file's first bytes, never from its name or the browser's claim; an
image is decoded, turned upright, re-encoded as JPEG without its EXIF block (phones write GPS
coordinates there) and shrunk to 2048 px on the long edge; a PDF must parse. Anything else is
refused with a message that says what is accepted.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

LONG_EDGE = 2048
THUMB_EDGE = 320
JPEG_QUALITY = 85
# A 2048 px photo has 4 million pixels, a phone camera's 50 million; refuse more before
# decoding anything (decompression bombs).
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

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
        % {"size": f"{size / (1024 * 1024):.1f}", "limit": limit},
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


def _process_image(data: bytes, name: str) -> ProcessedFile:
    too_many_pixels = ValidationError(
        _("%(name)s has too many pixels to be a photo.") % {"name": name}, code="too_large"
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Pillow only warns up to twice its own limit; refuse from the limit on, before
            # anything is decoded.
            if probe.width * probe.height > (Image.MAX_IMAGE_PIXELS or MAX_PIXELS):
                raise too_many_pixels
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("%(name)s could not be read as an image; it may be damaged.") % {"name": name},
            code="corrupt",
        ) from exc
    # Turn the photo upright before the EXIF block (which holds the orientation) is dropped.
    upright: Image.Image = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "L"):
        background = Image.new("RGB", upright.size, "white")
        rgba = upright.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        upright = background
    upright.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif= argument and a fresh image: nothing of the original metadata is written.
    upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    content = out.getvalue()
    thumb = upright.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=75, optimize=True)
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
