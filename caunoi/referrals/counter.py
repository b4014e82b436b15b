"""The counter-referral (phiếu chuyển tuyến ngược / phản hồi thông tin người bệnh) as a PDF in
Vietnamese: what the receiving facility found and did, how the patient left, and what the
referring station is to do next — the paper the station files in the patient's record when the
loop closes (Circular 01/2025/TT-BYT asks the receiving facility to send this information back).

No national form is prescribed for it, so the headings are the project's: the information the
receiving side records on the referral page, in the order the station reads it. Like the slip and
the minutes it is a record kept in Vietnamese whatever the reader's interface language.
"""

from __future__ import annotations

from django.utils import timezone, translation

from caunoi.core.pdf import VietnameseDocument, when_vi
from caunoi.patients.identifiers import insurance_decode
from caunoi.referrals.models import DischargeOutcome, Referral

# The outcome as the document words it; a choice added later falls back to its Vietnamese label.
OUTCOME_VI = {
    DischargeOutcome.ADMITTED: "điều trị nội trú",
    DischargeOutcome.OUTPATIENT: "điều trị ngoại trú",
    DischargeOutcome.TRANSFERRED: "chuyển tiếp cơ sở khác",
    DischargeOutcome.DIED: "tử vong",
    DischargeOutcome.LEFT: "tự ý bỏ về, không theo chỉ định",
}


def outcome_vi(r: Referral) -> str:
    if r.outcome in OUTCOME_VI:
        return OUTCOME_VI[DischargeOutcome(r.outcome)]
    with translation.override("vi"):
        return str(r.get_outcome_display())


def counter_referral_pdf(r: Referral) -> bytes:
    pdf = VietnameseDocument("Phiếu phản hồi thông tin người bệnh chuyển tuyến")
    pdf.letterhead(
        r.to_facility.name,
        "PHIẾU PHẢN HỒI THÔNG TIN NGƯỜI BỆNH",
        f"(Chuyển tuyến ngược) · Giấy chuyển số: {str(r.public_id)[:8].upper()}",
    )
    p = r.patient
    pdf.field("Kính gửi", f"{r.from_facility.name} (mã {r.from_facility.code})")
    pdf.field("Cơ sở phản hồi", f"{r.to_facility.name} (mã {r.to_facility.code})")

    pdf.heading("I. THÔNG TIN NGƯỜI BỆNH")
    pdf.field("Họ và tên", p.full_name)
    born = str(p.birth_date.year) if p.birth_date_estimated else f"{p.birth_date:%d/%m/%Y}"
    pdf.field("Giới tính / Ngày sinh", f"{'Nam' if p.sex == 'male' else 'Nữ'} / {born}")
    pdf.field(
        "Địa chỉ", ", ".join(x for x in [p.address, p.commune.name, p.commune.province.name] if x)
    )
    card = insurance_decode(r.insurance_number)
    pdf.field("Số thẻ BHYT", card.number if card else "không có")
    if p.citizen_id:
        pdf.field("Số định danh cá nhân", p.citizen_id)

    pdf.heading("II. QUÁ TRÌNH CHUYỂN VÀ TIẾP NHẬN")
    pdf.field("Ngày chuyển", when_vi(r.departed_at))
    pdf.field("Lý do chuyển", r.reason)
    pdf.field("Vào cơ sở lúc", when_vi(r.arrived_at))
    pdf.field("Ra cơ sở lúc", when_vi(r.discharged_at))

    pdf.heading("III. CHẨN ĐOÁN VÀ ĐIỀU TRỊ TẠI CƠ SỞ TIẾP NHẬN")
    pdf.field("Chẩn đoán", r.counter_diagnosis)
    pdf.field("Phương pháp, thủ thuật, kỹ thuật đã thực hiện", r.procedures or "không")
    pdf.field("Thuốc đã dùng, thuốc ra về", r.medication or "không")
    pdf.field("Kết quả điều trị, tình trạng khi ra", outcome_vi(r))

    pdf.heading("IV. HƯỚNG DẪN THEO DÕI, ĐIỀU TRỊ TIẾP TẠI CƠ SỞ ĐÃ CHUYỂN")
    pdf.field("Hướng dẫn", r.follow_up)
    pdf.field(
        "Hẹn khám lại",
        f"{r.next_appointment:%d/%m/%Y}" if r.next_appointment else "không hẹn",
    )

    written = timezone.localtime(r.counter_referred_at) if r.counter_referred_at else None
    pdf.signatures(
        (
            "NGƯỜI VIẾT PHIẾU\n(ký, ghi rõ họ tên)",
            r.counter_referred_by.get_full_name() if r.counter_referred_by else "",
        ),
        ("THỦ TRƯỞNG CƠ SỞ\n(ký, đóng dấu)", ""),
        dated=f"Ngày {written:%d} tháng {written:%m} năm {written:%Y}" if written else "",
    )
    return pdf.render()
