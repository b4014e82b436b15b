"""The consultation minutes (Biên bản hội chẩn) as a PDF, following the headings of the form in
Appendix I of Circular 49/2017/TT-BYT.

The minutes are a legal record kept in Vietnamese whatever language the reader's interface
uses, so the form's own wording is written here in Vietnamese, not through the translation
catalogue. DejaVu Sans (vendored, with its licence) renders every Vietnamese diacritic.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from caunoi.consults.models import Consultation, ConsultationEventKind, ParticipantVia
from caunoi.core.pdf import VietnameseDocument, number_vi, when_vi
from caunoi.patients.identifiers import insurance_decode


def minutes_pdf(c: Consultation) -> bytes:
    pdf = VietnameseDocument("Biên bản hội chẩn từ xa")
    text, heading, field = pdf.text_block, pdf.heading, pdf.field
    pdf.letterhead(
        c.requester_facility.name,
        "BIÊN BẢN HỘI CHẨN TỪ XA",
        f"(Mã hội chẩn: {str(c.public_id)[:8].upper()})",
    )

    field("Thời gian bắt đầu", when_vi(c.submitted_at))
    field("Thời gian kết thúc", when_vi(c.closed_at))
    field("Hình thức", "Hội chẩn tư vấn từ xa (không đồng thời), theo Thông tư 49/2017/TT-BYT")
    field("Cơ sở đề nghị hội chẩn", c.requester_facility.name)
    field("Cơ sở tư vấn", c.hub.name if c.hub else "")
    field("Chuyên khoa", c.specialty.name_vi)

    heading("I. THÀNH PHẦN THAM GIA")
    participants = [f"Bên đề nghị: {c.requester.get_full_name()} ({c.requester_facility.name})"]
    if c.specialist is not None:
        participants.append(
            f"Chủ trì tư vấn: {c.specialist.get_full_name()} ({c.hub.name if c.hub else ''})"
        )
    for p in c.participants.filter(via=ParticipantVia.SECOND_OPINION).select_related("user"):
        participants.append(f"Ý kiến thứ hai: {p.user.get_full_name()}")
    others = {m.author.get_full_name() for m in c.messages.select_related("author")} - {
        c.requester.get_full_name(),
        c.specialist.get_full_name() if c.specialist else "",
    }
    participants += [f"Thành viên: {name}" for name in sorted(others)]
    for line in participants:
        text(f"- {line}")

    heading("II. THÔNG TIN NGƯỜI BỆNH")
    patient = c.patient
    field("Họ và tên", patient.full_name)
    sex = "Nam" if patient.sex == "male" else "Nữ"
    born = (
        str(patient.birth_date.year)
        if patient.birth_date_estimated
        else f"{patient.birth_date:%d/%m/%Y}"
    )
    field(
        "Giới tính / Ngày sinh",
        f"{sex} / {born} ({patient.age(c.submitted_at.date() if c.submitted_at else None)} tuổi)",
    )
    address = ", ".join(
        x for x in [patient.address, patient.commune.name, patient.commune.province.name] if x
    )
    field("Địa chỉ", address)
    card = insurance_decode(patient.insurance_number)
    field("Số thẻ BHYT", f"{card.number} (mức hưởng {card.benefit_level})" if card else "không có")
    if patient.citizen_id:
        field("Số định danh cá nhân", patient.citizen_id)

    heading("III. TÓM TẮT BỆNH ÁN")
    field("Lý do hội chẩn", c.reason)
    field("Tiền sử, bệnh sử", c.history)
    field("Dấu hiệu sinh tồn", vital_signs_vi(c))
    field("Khám lâm sàng", c.examination)
    field("Điều trị hiện tại", c.current_treatment)
    field("Câu hỏi hội chẩn", c.question)
    files = list(c.attachments.all())
    if files:
        field("Tài liệu kèm theo", "; ".join(a.original_name for a in files))

    heading("IV. DIỄN BIẾN TRAO ĐỔI")
    for m in c.messages.select_related("author").order_by("created_at", "id"):
        text(
            f"[{timezone.localtime(m.created_at):%d/%m/%Y %H:%M}] {m.author.get_full_name()}: {m.body}",
            9,
        )

    heading("V. KẾT LUẬN HỘI CHẨN")
    diagnoses = "; ".join(f"{d.code} {d.title_in('vi')}" for d in c.diagnoses.all())
    field("Chẩn đoán", diagnoses)
    field("Ý kiến tư vấn, hướng xử trí", c.advice)
    field("Hướng giải quyết đề xuất", dict(OUTCOME_VI).get(c.recommended_outcome, ""))
    field("Thời điểm trả lời", when_vi(c.answered_at))

    sessions = list(
        c.video_sessions.filter(status="ended")
        .prefetch_related("joins__user")
        .order_by("started_at")
    )
    if sessions:
        heading("HỘI CHẨN TRỰC TUYẾN QUA VIDEO")
        for s in sessions:
            minutes = round((s.duration_seconds() or 0) / 60)
            people = sorted({j.user.get_full_name() for j in s.joins.all()})
            text(
                f"- {s.title}: {when_vi(s.started_at)}, {minutes} phút; tham gia: {', '.join(people)}"
            )
            if s.conclusion:
                text(f"  Kết luận: {s.conclusion}")

    heading("VI. KẾT QUẢ THỰC HIỆN CỦA CƠ SỞ ĐỀ NGHỊ")
    field("Đã thực hiện", c.action_taken)
    escalated = c.events.filter(kind=ConsultationEventKind.ESCALATED).exists()
    if escalated:
        field("Ghi chú", "Quá hạn trả lời, đã báo điều phối viên")

    pdf.signatures(
        ("ĐẠI DIỆN CƠ SỞ ĐỀ NGHỊ\n(ký, ghi rõ họ tên)", c.requester.get_full_name()),
        (
            "CHỦ TRÌ HỘI CHẨN\n(ký, ghi rõ họ tên)",
            c.specialist.get_full_name() if c.specialist else "",
        ),
    )
    return pdf.render()


def vital_signs_vi(c: Consultation) -> str:
    """The vital signs as the page shows them, in Vietnamese number format ("37,8 °C")."""

    def n(value: Decimal | None) -> str | None:
        return None if value is None else number_vi(value)

    pressure = None
    if c.systolic is not None:
        pressure = f"{number_vi(c.systolic)}/{n(c.diastolic) or '?'}"
    vitals = [
        ("Nhiệt độ", n(c.temperature), "°C"),
        ("Mạch", n(c.pulse), "lần/phút"),
        ("Huyết áp", pressure, "mmHg"),
        ("Nhịp thở", n(c.respiratory_rate), "lần/phút"),
        ("SpO₂", n(c.spo2), "%"),
        ("Cân nặng", n(c.weight), "kg"),
        ("Chiều cao", n(c.height), "cm"),
        ("Đường huyết", n(c.glucose), "mmol/L"),
    ]
    return "; ".join(f"{name} {value} {unit}" for name, value, unit in vitals if value)


OUTCOME_VI = [
    ("manage_locally", "Tiếp tục điều trị tại trạm y tế"),
    ("follow_up", "Hội chẩn lại"),
    ("video", "Hội chẩn trực tuyến qua video"),
    ("refer", "Chuyển người bệnh lên tuyến trên"),
]
