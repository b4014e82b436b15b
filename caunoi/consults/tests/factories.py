"""Test data for consultations: the specialty, a clinical summary, photos made on the fly.

Patients come from ``caunoi.patients.tests.factories.make_patient``."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from caunoi.network.models import Specialty


def internal_medicine() -> Specialty:
    return Specialty.objects.get(code="internal-medicine")


def jpeg_bytes(
    width: int = 64, height: int = 48, *, exif_gps: bool = False, color: str = "red"
) -> bytes:
    image = Image.new("RGB", (width, height), color)
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = {1: "N", 2: (22.0, 23.0, 1.0), 3: "E", 4: (105.0, 19.0, 2.0)}
        exif[0x8825] = gps  # GPSInfo
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def summary(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reason": "Sốt cao 3 ngày, ho",
        "history": "Không có tiền sử đặc biệt",
        "examination": "Phổi ran ẩm đáy phải",
        "current_treatment": "Paracetamol 500 mg",
        "question": "Có cần chuyển viện không?",
        # NEWS2 2 for an adult (1 for the fever, 1 for the pulse): no danger sign, so a
        # routine consultation needs no reason (caunoi/triage).
        "temperature": "38.4",
        "pulse": "96",
        "systolic": "118",
        "diastolic": "76",
        "spo2": "96",
    }
    values.update(overrides)
    return values
