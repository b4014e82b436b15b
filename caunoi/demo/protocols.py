"""Protocols in the demo: Huế Central Hospital publishes its hypertension protocol (a second
version superseding the first) and its childhood pneumonia protocol to the stations it
supports; some of their staff have read them — `worker` the hypertension protocol, not yet
the pneumonia one. Built once, through the services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, Membership, Specialty
from caunoi.protocols.models import Protocol
from caunoi.protocols.services import (
    ProtocolInput,
    VersionInput,
    acknowledge,
    protocol_publish,
    version_publish,
)

HUE = "Bệnh viện Trung ương Huế"

HYPERTENSION_V1 = """Phạm vi: người lớn đến khám tại trạm y tế xã.
1. Đo huyết áp hai lần, cách nhau ít nhất 5 phút, sau 5 phút nghỉ; ghi cả hai lần.
2. Huyết áp ≥ 140/90 mmHg ở hai lần khám khác nhau: chẩn đoán tăng huyết áp.
3. Bắt đầu điều trị: thay đổi lối sống (muối < 5 g/ngày, vận động 30 phút/ngày); thuốc đầu tay amlodipin 5 mg.
4. Hẹn khám lại sau 2–4 tuần; chỉnh liều đến khi đạt mục tiêu.
5. Chuyển tuyến ngay: huyết áp ≥ 180/110 mmHg kèm đau ngực, khó thở, yếu liệt, nói khó."""

HYPERTENSION_V2 = HYPERTENSION_V1.replace(
    "4. Hẹn khám lại",
    "4. Mục tiêu < 140/90 mmHg (< 130/80 mmHg nếu dung nạp và có đái tháo đường).\n5. Hẹn khám lại",
).replace("5. Chuyển tuyến ngay", "6. Chuyển tuyến ngay")

PNEUMONIA = """Phạm vi: trẻ từ 2 tháng đến 5 tuổi ho hoặc khó thở (theo IMCI).
1. Đếm nhịp thở trong 1 phút khi trẻ nằm yên.
2. Thở nhanh (≥ 50 lần/phút ở trẻ 2–12 tháng; ≥ 40 lần/phút ở trẻ 1–5 tuổi): viêm phổi — amoxicillin uống 5 ngày.
3. Rút lõm lồng ngực, không uống được, co giật, li bì, SpO2 < 90%: viêm phổi nặng — liều kháng sinh đầu tiên và chuyển tuyến ngay.
4. Hẹn khám lại sau 2 ngày; dặn bà mẹ các dấu hiệu cần đưa trẻ đến ngay."""


def demo_protocols_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    if Protocol.objects.exists():
        say("demo protocols already loaded")
        return 0
    hue = Facility.objects.get(name=HUE)
    specialist = User.objects.get(username="specialist")
    worker = User.objects.get(username="worker")
    today = timezone.localdate()
    with transaction.atomic():
        htn, _ = protocol_publish(
            actor=specialist,
            publisher=hue,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, "demo-protocol-htn"),
            data=ProtocolInput(
                title_vi="Phác đồ chẩn đoán và điều trị tăng huyết áp tại trạm y tế xã",
                title_en="Hypertension at the commune health station",
                code="PĐ-NK-01",
                kind="protocol",
                specialty=Specialty.objects.get(code="internal-medicine"),
                audience="supported",
                version=VersionInput(
                    body=HYPERTENSION_V1,
                    effective_on=today - timedelta(days=400),
                    review_on=today + timedelta(days=330),
                ),
            ),
        )
        v2 = version_publish(
            protocol=htn,
            actor=specialist,
            data=VersionInput(
                body=HYPERTENSION_V2,
                change_note="Thêm mục tiêu điều trị cho người có đái tháo đường.",
                effective_on=today - timedelta(days=20),
                review_on=today + timedelta(days=710),
            ),
        )
        pneumonia, _ = protocol_publish(
            actor=specialist,
            publisher=hue,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, "demo-protocol-pneumonia"),
            data=ProtocolInput(
                title_vi="Phác đồ xử trí viêm phổi ở trẻ dưới 5 tuổi tại tuyến xã",
                title_en="Childhood pneumonia at the commune",
                code="PĐ-NHI-03",
                kind="protocol",
                specialty=Specialty.objects.get(code="paediatrics"),
                audience="supported",
                version=VersionInput(
                    body=PNEUMONIA,
                    effective_on=today - timedelta(days=5),
                    review_on=today + timedelta(days=725),
                ),
            ),
        )
        read = 0
        for version, share in ((v2, 5), (pneumonia.versions.get(), 3)):
            readers = list(
                Membership.objects.active()
                .filter(facility__in=version.audience.all(), role__in=sorted(CLINICAL_ROLES))
                .exclude(user=worker)
                .values_list("user_id", flat=True)
                .distinct()
                .order_by("user_id")
            )
            for n, user_id in enumerate(readers):
                if n % 10 < share:
                    acknowledge(version=version, actor=User.objects.get(pk=user_id))
                    read += 1
        acknowledge(version=v2, actor=worker)
    say(f"2 protocols (3 versions), {read + 1} readings")
    return 2
