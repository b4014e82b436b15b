"""Test data for consultations: patients with consent, photos made on the fly."""

from __future__ import annotations

import io
import uuid
from typing import Any

from PIL import Image

from caunoi.network.models import Specialty
from caunoi.patients.models import Patient
from caunoi.patients.services import PatientInput, consent_record, patient_register


def make_patient(
    worker: Any, *, name: str = "Giàng Thị Dợ", consent: bool = True, **extra: Any
) -> Patient:
    facility = worker.memberships.get(role="worker").facility
    data = PatientInput(
        full_name=name,
        sex=extra.pop("sex", "female"),
        commune=facility.commune,
        birth_date=extra.pop("birth_date", None),
        age_years=extra.pop("age_years", 34),
        ethnicity=extra.pop("ethnicity", "08"),
        **extra,
    )
    patient, _created = patient_register(
        actor=worker, facility=facility, data=data, client_id=uuid.uuid4(), allow_duplicate=True
    )
    if consent:
        consent_record(patient=patient, actor=worker, method="verbal")
    return patient


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
        "temperature": "39.2",
        "pulse": "104",
        "systolic": "110",
        "diastolic": "70",
        "spo2": "93",
    }
    values.update(overrides)
    return values
