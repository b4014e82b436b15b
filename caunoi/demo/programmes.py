"""Programmes in the demo: the KOFIH/UNDP telemedicine programme (a grant of 3.2 million USD,
2023–2026, the demo provinces), KOICA's Central Vietnam network in preparation, a concessional
loan for provincial hospital equipment, and an NGO grant; the `donor` persona views KOFIH's.
Illustrative figures (the exchange rates too: monthly rates near the real ones, not quoted).
Built once, through the services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.core.pdf import VietnameseDocument
from caunoi.network.models import Facility, FacilityKind
from caunoi.places.models import Province
from caunoi.programmes.models import LogframeResult, Partner, PriorityArea, Programme
from caunoi.programmes.services import (
    IndicatorInput,
    KitInput,
    ProgrammeInput,
    TransactionInput,
    actual_enter,
    budget_set,
    document_add,
    indicator_add,
    kit_register,
    kit_status_set,
    narrative_save,
    programme_create,
    rates_load,
    result_add,
    target_set,
    transaction_record,
)

PARTNERS = [
    ("KOFIH", "Korea Foundation for International Healthcare", "bilateral", "KR", "KR-GOV-KOFIH"),
    ("UNDP", "United Nations Development Programme", "multilateral", "", "XM-DAC-41114"),
    ("KOICA", "Korea International Cooperation Agency", "bilateral", "KR", "KR-GOV-010"),
    ("EDCF", "Economic Development Cooperation Fund (Korea)", "bilateral", "KR", ""),
    ("HYCD", "Hội Y tế Cộng đồng (tổ chức phi chính phủ, minh hoạ)", "ngo", "", ""),
    ("MOH", "Bộ Y tế Việt Nam", "government", "VN", "VN-GOV-MOH"),
]


def _rates() -> bytes:
    """Monthly rates from 2023 to 2026, near the market's (illustrative)."""
    lines = ["currency,date,vnd"]
    for n in range(48):
        year, month = 2023 + n // 12, n % 12 + 1
        lines.append(f"USD,{year}-{month:02d}-01,{23500 + 45 * n}")
        lines.append(f"KRW,{year}-{month:02d}-01,{18.2 - 0.02 * n:.2f}")
    return "\n".join(lines).encode()


def demo_programmes_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    if Programme.objects.exists():
        say("demo programmes already loaded")
        return 0
    admin = User.objects.get(username="admin")
    demo_provinces = list(Province.objects.filter(facilities__isnull=False).distinct())
    hue = list(Province.objects.filter(name__icontains="Huế"))
    with transaction.atomic():
        rates_load(_rates(), actor=admin)
        partners = {
            short: Partner.objects.create(
                short_name=short, name=name, kind=kind, country=country, iati_ref=ref
            )
            for short, name, kind, country, ref in PARTNERS
        }

        def make(
            code: str,
            title_vi: str,
            title_en: str,
            status: str,
            years: tuple[int, int],
            roles: list[tuple[str, str]],
            areas: list[str],
            provinces: list[Province],
        ) -> Programme:
            return programme_create(
                actor=admin,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-programme-{code}"),
                data=ProgrammeInput(
                    code=code,
                    iati_identifier=f"KR-GOV-KOFIH-{code}" if code == "TELEMED-10" else "",
                    title_vi=title_vi,
                    title_en=title_en,
                    status=status,
                    starts_on=date(years[0], 1, 1),
                    ends_on=date(years[1], 12, 31),
                    partners=[(partners[p], role) for p, role in roles],
                    priority_areas=list(PriorityArea.objects.filter(code__in=areas)),
                    provinces=provinces,
                    managers=[admin],
                ),
            )[0]

        def money(
            p: Programme,
            kind: str,
            who: str,
            amount: int,
            currency: str,
            on: date,
            flow: str = "grant",
            reason: str = "",
            component: str = "",
        ) -> None:
            transaction_record(
                programme=p,
                actor=admin,
                data=TransactionInput(
                    kind=kind,
                    on=on,
                    provider=partners[who],
                    currency=currency,
                    amount=Decimal(amount),
                    flow_type=flow,
                    finance_type="110" if flow == "grant" else "410",
                    reason=reason,
                    component=component,
                ),
            )

        telemed = make(
            "TELEMED-10",
            "Dự án khám, chữa bệnh từ xa cho 10 tỉnh",
            "Telemedicine for ten provinces",
            "implementation",
            (2023, 2026),
            [("KOFIH", "funding"), ("UNDP", "accountable"), ("MOH", "implementing")],
            ["grassroots-health", "digital-transformation", "medical-training"],
            demo_provinces,
        )
        money(
            telemed,
            "commitment",
            "KOFIH",
            3_200_000,
            "USD",
            date(2023, 2, 15),
            component="Toàn dự án",
        )
        for year, amount in ((2023, 700_000), (2024, 1_100_000), (2025, 900_000)):
            money(
                telemed,
                "disbursement",
                "KOFIH",
                amount,
                "USD",
                date(year, 3, 10),
                component="Bộ thiết bị, máy chủ, đào tạo",
            )
        koica = make(
            "KOICA-CVN",
            "Mạng lưới y tế từ xa miền Trung (giai đoạn tiền khả thi)",
            "Central Vietnam telehealth network (pre-feasibility)",
            "pipeline",
            (2026, 2029),
            [("KOICA", "funding"), ("MOH", "implementing")],
            ["grassroots-health", "digital-transformation"],
            hue,
        )
        money(
            koica,
            "commitment",
            "KOICA",
            1_500_000_000,
            "KRW",
            date(2026, 6, 5),
            component="Khảo sát tiền khả thi",
        )
        equipment = make(
            "EDCF-EQ",
            "Trang thiết bị bệnh viện tuyến tỉnh",
            "Provincial hospital equipment",
            "implementation",
            (2024, 2027),
            [("EDCF", "funding"), ("MOH", "accountable")],
            ["infrastructure", "service-quality"],
            demo_provinces[:4],
        )
        money(
            equipment,
            "commitment",
            "EDCF",
            12_000_000,
            "USD",
            date(2024, 5, 20),
            flow="concessional_loan",
        )
        money(
            equipment,
            "disbursement",
            "EDCF",
            4_500_000,
            "USD",
            date(2025, 4, 2),
            flow="concessional_loan",
        )
        ngo = make(
            "HYCD-MCH",
            "Chăm sóc bà mẹ, trẻ em ở trạm y tế xã miền núi",
            "Mother and child care at mountain stations",
            "implementation",
            (2024, 2026),
            [("HYCD", "funding")],
            ["grassroots-health", "disease-control"],
            demo_provinces[:2],
        )
        money(ngo, "commitment", "HYCD", 6_000_000_000, "VND", date(2024, 9, 2))
        money(ngo, "disbursement", "HYCD", 2_500_000_000, "VND", date(2025, 2, 3))
        # 75 kits at the stations of the demo provinces — every station that has sent a
        # consultation, then others that have not used theirs (idle) — and 5 servers at the
        # hubs; one kit broken.
        sent = dict(
            Facility.objects.filter(kind=FacilityKind.STATION, province__in=demo_provinces)
            .annotate(sent=Count("consultations_requested"))
            .values_list("pk", "sent")
        )
        stations = sorted(Facility.objects.filter(pk__in=sent), key=lambda f: (-sent[f.pk], f.pk))
        active = [f for f in stations if sent[f.pk]][:70]
        chosen = active + [f for f in stations if not sent[f.pk]][: 75 - len(active)]
        for n, station in enumerate(chosen[:75], start=1):
            kit = kit_register(
                programme=telemed,
                actor=admin,
                data=KitInput(
                    kind="kit",
                    serial=f"KOFIH-TM-{n:03d}",
                    facility=station,
                    delivered_on=date(2023, 9, 1) + timedelta(days=3 * n),
                ),
            )
            if n == 7:
                kit_status_set(kit=kit, actor=admin, status="broken", note="Hỏng webcam, chờ thay.")
        for n, hub in enumerate(Facility.objects.filter(is_hub=True).order_by("id")[:5], start=1):
            kit_register(
                programme=telemed,
                actor=admin,
                data=KitInput(
                    kind="server",
                    serial=f"KOFIH-SV-{n:02d}",
                    facility=hub,
                    delivered_on=date(2023, 6, 1),
                ),
            )
        _telemed_plan(telemed, admin)
    say("4 programmes, their partners, money, documents and the telemedicine logframe")
    return 4


def _scan(title: str, lines: list[str]) -> bytes:
    """A one-page PDF standing for a signed paper (illustrative)."""
    pdf = VietnameseDocument(title)
    pdf.letterhead("Bộ Y tế", title.upper(), "Tài liệu minh hoạ của bản trình diễn")
    for line in lines:
        pdf.text_block(line, 10)
    return pdf.render()


# The telemedicine logframe: (level, number, under, Vietnamese, English, indicators), each
# indicator (number, Vietnamese, English, M&E code or "" when entered, targets, higher is
# better). Targets of the platform's indicators are per month, for the two months before this
# one and this one (the demo's activity is the last months'), written as (months back, value);
# the indicator entered by hand has yearly targets.
LOGFRAME = [
    (
        "goal", "G", "",
        "Người dân xã miền núi được khám, chữa bệnh tại chỗ với ý kiến của tuyến trên",
        "People of mountain communes treated where they live, with the advice of higher levels",
        [("G.1", "Tỷ lệ ca hội chẩn được xử trí tại tuyến xã", "Share of consultations managed at the commune",
          "resolved_locally", {2: 50, 1: 55, 0: 60}, True)],
    ),
    (
        "outcome", "1", "G",
        "Trạm y tế xã nhận được ý kiến chuyên gia kịp thời",
        "Commune stations get specialist advice in time",
        [("1.a", "Số ca hội chẩn từ xa được gửi", "Teleconsultations sent",
          "consults_submitted", {2: 40, 1: 75, 0: 120}, True),
         ("1.b", "Tỷ lệ ca được trả lời đúng hạn", "Share answered within the deadline",
          "answered_in_time", {2: 80, 1: 80, 0: 85}, True),
         ("1.c", "Thời gian trả lời đầu tiên (trung vị)", "Time to first response (median)",
          "response_time_median", {2: 240, 1: 240, 0: 180}, False)],
    ),
    (
        "outcome", "2", "G",
        "Nhân viên y tế cơ sở được đào tạo liên tục",
        "Grassroots health workers trained continuously",
        [("2.a", "Số nhân viên y tế hoàn thành khoá học", "Health workers who completed a course",
          "workers_trained", {1: 5, 0: 10}, True)],
    ),
    (
        "output", "1.1", "1",
        "75 bộ thiết bị và 5 máy chủ được lắp đặt và sử dụng",
        "75 kits and 5 servers installed and in use",
        [("1.1.a", "Số bộ thiết bị được lắp đặt (biên bản bàn giao)",
          "Kits installed (handover records)", "", {2023: 40, 2024: 75, 2025: 75}, True),
         ("1.1.b", "Số phiên hội chẩn video", "Video consultation sessions",
          "video_sessions", {1: 2, 0: 5}, True)],
    ),
    (
        "output", "2.1", "2",
        "30 khoá đào tạo từ xa được tổ chức",
        "30 distance courses held",
        [("2.1.a", "Số khoá học hoàn thành", "Courses completed",
          "training_courses", {1: 1, 0: 2}, True)],
    ),
]  # fmt: skip


def _target_period(telemed: Programme, key: int) -> str | None:
    """A year as itself; a number of months back from this month as that month — kept within
    the programme's dates (None when it falls outside them)."""
    if key > 1000:
        return str(key)
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - key
    month = date(index // 12, index % 12 + 1, 1)
    if not telemed.starts_on <= month <= telemed.ends_on:
        return None
    return f"{month:%Y-%m}"


def _telemed_plan(telemed: Programme, admin: User) -> None:
    """Budgets by year, the agreement, the logframe bound to the platform's indicators (and
    one indicator entered by hand, its 2025 figure not yet in), a narrative for 2025."""
    for year, amount in ((2023, 700_000), (2024, 1_100_000), (2025, 900_000), (2026, 500_000)):
        budget_set(
            programme=telemed, actor=admin, year=year, currency="USD", amount=Decimal(amount)
        )
    document_add(
        programme=telemed,
        actor=admin,
        kind="agreement",
        title="Văn kiện dự án ký giữa KOFIH, UNDP và Bộ Y tế",
        signed_on=date(2023, 1, 20),
        content=_scan(
            "Văn kiện dự án",
            ["Dự án khám, chữa bệnh từ xa cho 10 tỉnh (TELEMED-10).", "Bản minh hoạ."],
        ),
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, "demo-telemed-agreement"),
    )
    made: dict[str, LogframeResult] = {}
    for level, code, under, vi, en, indicators in LOGFRAME:
        made[code] = result_add(
            programme=telemed,
            actor=admin,
            level=level,
            code=code,
            title_vi=vi,
            title_en=en,
            parent=made.get(under),
        )
        for number, ivi, ien, bound, targets, ascending in indicators:
            i = indicator_add(
                result=made[code],
                actor=admin,
                data=IndicatorInput(
                    code=number,
                    title_vi=ivi,
                    title_en=ien,
                    bound_code=bound,
                    ascending=ascending,
                    baseline=Decimal(0) if not bound else None,
                    baseline_year=2023 if not bound else None,
                ),
            )
            for key, value in targets.items():
                period = _target_period(telemed, key)
                if period is not None:
                    target_set(indicator=i, actor=admin, period=period, value=Decimal(value))
            if not bound:
                for year, value in ((2023, 38), (2024, 75)):
                    actual_enter(
                        indicator=i,
                        actor=admin,
                        period=str(year),
                        value=Decimal(value),
                        evidence=_scan(
                            f"Biên bản bàn giao thiết bị năm {year}",
                            [f"Đã bàn giao và lắp đặt {value} bộ thiết bị tại trạm y tế xã."],
                        ),
                        note="Biên bản bàn giao",
                    )
    narrative_save(
        programme=telemed,
        actor=admin,
        period=str(
            min(max(timezone.localdate().year, telemed.starts_on.year), telemed.ends_on.year)
        ),
        progress=(
            "Các trạm y tế xã của 10 tỉnh gửi hội chẩn đều đặn; bệnh viện tuyến trên trả lời "
            "phần lớn trong hạn. 75 bộ thiết bị đã được lắp đặt."
        ),
        difficulties="Một số trạm chưa dùng thiết bị vì thiếu người được đào tạo; một webcam hỏng.",
        next_steps="Đào tạo lại tại các trạm chưa sử dụng; thay webcam hỏng trong quý I/2026.",
    )
