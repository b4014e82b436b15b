"""The referral slip (giấy chuyển cơ sở khám bệnh, chữa bệnh) as a PDF in Vietnamese, with the
headings of the referral form in use until the data systems are updated (Circular 01/2025/
TT-BYT Art. 15(5)(d) keeps the old form of Decree 146/2018 as amended by Decree 75/2023)."""

from __future__ import annotations

from caunoi.core.pdf import VietnameseDocument, when_vi
from caunoi.patients.identifiers import insurance_decode
from caunoi.referrals.models import Referral

TRANSPORT_VI = {
    "ambulance": "xe cứu thương",
    "facility_vehicle": "xe của cơ sở",
    "family": "gia đình tự túc",
    "public": "phương tiện công cộng",
}
URGENCY_VI = {"emergency": "cấp cứu", "urgent": "khẩn", "routine": "thường quy"}


def referral_slip_pdf(r: Referral) -> bytes:
    pdf = VietnameseDocument("Giấy chuyển cơ sở khám bệnh, chữa bệnh")
    pdf.letterhead(
        r.from_facility.name,
        "GIẤY CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH",
        f"Số: {str(r.public_id)[:8].upper()} · Mã cơ sở: {r.from_facility.code}",
    )
    p = r.patient
    pdf.field("Kính gửi", f"{r.to_facility.name} (mã {r.to_facility.code})")
    pdf.field("Cơ sở chuyển", r.from_facility.name)
    pdf.heading("I. THÔNG TIN NGƯỜI BỆNH")
    pdf.field("Họ và tên", p.full_name)
    born = str(p.birth_date.year) if p.birth_date_estimated else f"{p.birth_date:%d/%m/%Y}"
    pdf.field("Giới tính / Ngày sinh", f"{'Nam' if p.sex == 'male' else 'Nữ'} / {born}")
    pdf.field(
        "Địa chỉ", ", ".join(x for x in [p.address, p.commune.name, p.commune.province.name] if x)
    )
    card = insurance_decode(r.insurance_number)
    pdf.field(
        "Số thẻ BHYT", f"{card.number} (mức hưởng {card.benefit_level})" if card else "không có"
    )
    if p.citizen_id:
        pdf.field("Số định danh cá nhân", p.citizen_id)
    pdf.heading("II. TÌNH TRẠNG NGƯỜI BỆNH")
    pdf.field("Lý do chuyển", r.reason)
    pdf.field("Tóm tắt bệnh án", r.clinical_summary)
    pdf.field("Chẩn đoán", "; ".join(f"{d.code} {d.title_in('vi')}" for d in r.diagnoses.all()))
    pdf.field("Phương pháp, thủ thuật, thuốc đã dùng", r.treatment_given)
    pdf.field("Mức độ", URGENCY_VI.get(r.urgency, r.urgency))
    pdf.heading("III. VẬN CHUYỂN")
    pdf.field("Thời gian chuyển", when_vi(r.departed_at))
    pdf.field("Phương tiện", TRANSPORT_VI.get(r.transport, r.transport))
    pdf.field("Người hộ tống", r.accompanying_staff)
    if r.consultation_id:
        pdf.field("Đã hội chẩn từ xa", f"mã hội chẩn {str(r.consultation.public_id)[:8].upper()}")  # type: ignore[union-attr]
    pdf.signatures(
        ("NGƯỜI LẬP GIẤY\n(ký, ghi rõ họ tên)", r.created_by.get_full_name()),
        ("THỦ TRƯỞNG CƠ SỞ\n(ký, đóng dấu)", ""),
    )
    return pdf.render()
