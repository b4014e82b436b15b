"""The consultation minutes (Biên bản hội chẩn) as a PDF, following the headings of the form in
Appendix I of Circular 49/2017/TT-BYT.

The minutes are a legal record kept in Vietnamese whatever language the reader's interface
uses, so the form's own wording is written here in Vietnamese, not through the translation
catalogue. DejaVu Sans (vendored, with its licence) renders every Vietnamese diacritic.
"""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from caunoi.consults.models import Consultation, EventKind
from caunoi.patients.identifiers import insurance_decode

FONTS = Path(__file__).resolve().parent / "fonts"


def _when(moment: object) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment)  # type: ignore[arg-type]
    return f"{local:%H} giờ {local:%M} ngày {local:%d} tháng {local:%m} năm {local:%Y}"


class _Minutes(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"Cầu Nối · trang {self.page_no()}/{{nb}}", align="C")


def minutes_pdf(c: Consultation) -> bytes:
    pdf = _Minutes(format="A4")
    pdf.set_title("Biên bản hội chẩn từ xa")
    pdf.set_author("Cầu Nối")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def text(
        value: str, size: float = 10, bold: bool = False, align: str = "L", height: float = 5.5
    ) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(width, height, value, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(value: str) -> None:
        pdf.ln(2)
        text(value, 11, bold=True)

    def field(label: str, value: str) -> None:
        pdf.set_font("DejaVu", "B", 10)
        pdf.write(5.5, f"{label}: ")
        pdf.set_font("DejaVu", "", 10)
        pdf.write(5.5, value or "—")
        pdf.ln(6)

    # Letterhead: the requesting facility on the left, the national motto on the right.
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(width * 0.45, 5, c.requester_facility.name.upper(), align="C")
    pdf.set_xy(pdf.l_margin + width * 0.45, top)
    pdf.multi_cell(
        width * 0.55,
        5,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
        align="C",
    )
    pdf.ln(6)
    text("BIÊN BẢN HỘI CHẨN TỪ XA", 14, bold=True, align="C", height=7)
    text(f"(Mã hội chẩn: {str(c.public_id)[:8].upper()})", 9, align="C")
    pdf.ln(3)

    field("Thời gian bắt đầu", _when(c.submitted_at))
    field("Thời gian kết thúc", _when(c.closed_at))
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
    for p in c.participants.select_related("user"):
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
    vitals = [
        ("Nhiệt độ", c.temperature, "°C"),
        ("Mạch", c.pulse, "lần/phút"),
        ("Huyết áp", f"{c.systolic}/{c.diastolic}" if c.systolic and c.diastolic else None, "mmHg"),
        ("Nhịp thở", c.respiratory_rate, "lần/phút"),
        ("SpO₂", c.spo2, "%"),
        ("Cân nặng", c.weight, "kg"),
        ("Chiều cao", c.height, "cm"),
        ("Đường huyết", c.glucose, "mmol/L"),
    ]
    field(
        "Dấu hiệu sinh tồn", "; ".join(f"{n} {v} {u}" for n, v, u in vitals if v not in (None, ""))
    )
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
    diagnoses = "; ".join(f"{d.code} {d.title_vi or d.title_en}" for d in c.diagnoses.all())
    field("Chẩn đoán", diagnoses)
    field("Ý kiến tư vấn, hướng xử trí", c.advice)
    field("Hướng giải quyết đề xuất", dict(OUTCOME_VI).get(c.recommended_outcome, ""))
    field("Thời điểm trả lời", _when(c.answered_at))

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
                f"- {s.title}: {_when(s.started_at)}, {minutes} phút; tham gia: {', '.join(people)}"
            )
            if s.conclusion:
                text(f"  Kết luận: {s.conclusion}")

    heading("VI. KẾT QUẢ THỰC HIỆN CỦA CƠ SỞ ĐỀ NGHỊ")
    field("Đã thực hiện", c.action_taken)
    escalated = c.events.filter(kind=EventKind.ESCALATED).exists()
    if escalated:
        field("Ghi chú", "Quá hạn trả lời, đã báo điều phối viên")

    pdf.ln(8)
    y = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width / 2, 5, "ĐẠI DIỆN CƠ SỞ ĐỀ NGHỊ\n(ký, ghi rõ họ tên)", align="C")
    pdf.set_xy(pdf.l_margin + width / 2, y)
    pdf.multi_cell(width / 2, 5, "CHỦ TRÌ HỘI CHẨN\n(ký, ghi rõ họ tên)", align="C")
    pdf.ln(14)
    y = pdf.get_y()
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width / 2, 5, c.requester.get_full_name(), align="C")
    pdf.set_xy(pdf.l_margin + width / 2, y)
    pdf.multi_cell(width / 2, 5, c.specialist.get_full_name() if c.specialist else "", align="C")
    return bytes(pdf.output())


OUTCOME_VI = [
    ("manage_locally", "Tiếp tục điều trị tại trạm y tế"),
    ("follow_up", "Hội chẩn lại"),
    ("video", "Hội chẩn trực tuyến qua video"),
    ("refer", "Chuyển người bệnh lên tuyến trên"),
]
