"""Demo consultations for ``make demo``: about 300 cases across the demo network, in every state,
so that the personas find a platform that has been in use for three months.

Every change goes through the real services (submission, claim or assignment, messages, advice,
closing, cancelling, escalation), so the timeline events, audit rows and notifications are the
ones real use makes. The services stamp everything "now"; after each step the rows that step
made are moved back to the step's planned time (see ``DemoConsults.stamp``), keeping
submitted < first response <= answered < closed and deadline = submitted + the hub's minutes
for the urgency. The audit trail is the exception: it is a hash chain, so its rows keep the
time they were really written.

Patients, clinical content, images and dates come from fixed seeds; client ids from
``stable_uuid``. Only "now" moves between runs.
"""

from __future__ import annotations

import io
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Replace
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from vietnam_provinces.legacy import District, DistrictCode

from caunoi.accounts.models import User
from caunoi.codes.models import IcdCode
from caunoi.consults.models import (
    Attachment,
    Consultation,
    ConsultationEvent,
    EventKind,
    Message,
    OnCallShift,
    Outcome,
    Status,
    Urgency,
    deadline_minutes,
)
from caunoi.consults.routing import route
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_assign,
    consultation_cancel,
    consultation_claim,
    consultation_close,
    consultation_escalate,
    consultation_submit,
    message_post,
    oncall_shift_add,
)
from caunoi.core.pdf import FONTS
from caunoi.demo.network import (
    BAC_NINH,
    CAN_THO,
    HUE,
    HUNG_YEN,
    LANG_SON,
    NGHE_AN,
    QUANG_NGAI,
    TAY_NINH,
    THAI_NGUYEN,
    TUYEN_QUANG,
    VINH_LONG,
    NameMaker,
    stable_uuid,
)
from caunoi.network.models import Facility, FacilityKind, Membership, Role, Specialty
from caunoi.notifications.models import Notification
from caunoi.patients.ethnicity import ETHNIC_GROUPS
from caunoi.patients.models import ConsentMethod, Household, Patient, PatientConsent, Sex
from caunoi.patients.services import PatientInput, consent_record, patient_register

SEED = "consults-demo-1"

# The persona whose first demo consultation marks the demo as loaded.
MARKER = "worker"

MOUNTAIN, DELTA, CENTRAL, SOUTH = "mountain", "delta", "central", "south"
REGION = {
    TUYEN_QUANG: MOUNTAIN,
    THAI_NGUYEN: MOUNTAIN,
    LANG_SON: MOUNTAIN,
    HUNG_YEN: DELTA,
    BAC_NINH: DELTA,
    HUE: CENTRAL,
    QUANG_NGAI: CENTRAL,
    NGHE_AN: CENTRAL,
    CAN_THO: SOUTH,
    VINH_LONG: SOUTH,
    TAY_NINH: SOUTH,
}
# How many stations of each province send demo cases (besides the worker persona's own).
STATIONS_PER_PROVINCE = {
    TUYEN_QUANG: 10,
    THAI_NGUYEN: 4,
    LANG_SON: 4,
    HUE: 4,
    QUANG_NGAI: 4,
    NGHE_AN: 3,
    HUNG_YEN: 2,
    BAC_NINH: 2,
    CAN_THO: 2,
    VINH_LONG: 2,
    TAY_NINH: 2,
}
# Relative activity of a station: the programme's mountain communes use the service most.
REGION_WEIGHT = {MOUNTAIN: 3.0, CENTRAL: 2.0, DELTA: 1.0, SOUTH: 1.0}
HA_GIANG = 2  # pre-2025 province, now part of Tuyên Quang

# Ethnic make-up of the patients, by area (shares out of 100; names as in ETHNIC_GROUPS).
ETHNIC_MIX: dict[str, list[tuple[str, int]]] = {
    "ha_giang": [("H'Mông", 55), ("Dao", 10), ("Tày", 9), ("Kinh", 9), ("Nùng", 5), ("Lô Lô", 4),
                 ("Giáy", 3), ("Pu Péo", 2), ("Pà Thẻn", 3)],
    MOUNTAIN: [("Tày", 30), ("Kinh", 30), ("Nùng", 15), ("Dao", 12), ("Sán Chay", 5), ("H'Mông", 5),
               ("Sán Dìu", 3)],
    DELTA: [("Kinh", 98), ("Mường", 2)],
    CENTRAL: [("Kinh", 80), ("Thái", 6), ("Cơ-tu", 4), ("Tà-ôi", 3), ("Hrê", 4), ("Khơ-mú", 3)],
    SOUTH: [("Kinh", 86), ("Khơ-me", 10), ("Hoa", 4)],
}  # fmt: skip
# Family names that tell the group in the northern mountains.
FAMILY_ETHNICITY = {
    "Giàng": "H'Mông", "Vàng": "H'Mông", "Sùng": "H'Mông", "Thào": "H'Mông", "Lầu": "H'Mông",
    "Bàn": "Dao", "Triệu": "Dao", "Nông": "Tày", "Ma": "Tày", "Lục": "Nùng", "Lò": "Thái",
}  # fmt: skip
HOUSEHOLD_MIX = {
    "ha_giang": (35, 15),
    MOUNTAIN: (18, 14),
    CENTRAL: (8, 9),
    DELTA: (3, 5),
    SOUTH: (4, 6),
}  # (poor, near-poor) out of 100
# Mobile prefixes in use (Viettel, VinaPhone, MobiFone).
MOBILE = ["32", "33", "34", "35", "36", "37", "38", "39", "86", "96", "97", "98",
          "81", "82", "83", "84", "85", "88", "91", "94", "70", "76", "77", "78", "79", "90", "93"]  # fmt: skip


@dataclass(frozen=True)
class Case:
    """A clinical picture a commune station asks about, with the hub's usual answer.

    ``history`` may use {days}, {weeks}, {months}, {years}, {hours} and {gestation}.
    """

    key: str
    specialty: str
    ages: tuple[int, int]
    sex: str | None
    reason: str
    history: str
    examination: str
    treatment: str
    question: str
    vitals: dict[str, tuple[float, float]]
    codes: tuple[str, ...]
    ask: str
    reply: str
    advice: str
    outcome: str
    action: str
    urgency: tuple[int, int, int] = (82, 16, 2)  # routine, urgent, emergency
    image: str = ""
    regions: tuple[str, ...] = ()
    weight: int = 10


CASES = [
    Case(
        key="htn",
        specialty="internal-medicine",
        ages=(52, 84),
        sex=None,
        reason="Tăng huyết áp điều trị không đạt mục tiêu",
        history=(
            "Tăng huyết áp phát hiện {years} năm, đang uống amlodipin 5 mg/ngày nhưng hay quên "
            "thuốc. {days} ngày nay đau đầu vùng chẩm, chóng mặt khi đứng dậy. Không đau ngực, "
            "không yếu liệt. Hút thuốc lào nhiều năm."
        ),
        examination=(
            "Tỉnh, tiếp xúc tốt. Tim đều, không nghe tiếng thổi. Phổi thông khí rõ, không ran. "
            "Không phù. Sức cơ tứ chi bình thường, không méo miệng."
        ),
        treatment="Amlodipin 5 mg × 1 viên/ngày (uống không đều).",
        question=(
            "Xin bác sĩ hướng dẫn chỉnh thuốc hạ áp tại trạm. Có cần chuyển bệnh nhân lên "
            "tuyến trên không?"
        ),
        vitals={"systolic": (165, 195), "diastolic": (95, 112), "pulse": (70, 96)},
        codes=("I10",),
        ask=(
            "Bệnh nhân có đau ngực, khó thở, nhìn mờ hay phù chân không? Trạm có đo được đường "
            "máu mao mạch và làm điện tim không?"
        ),
        reply=(
            "Không đau ngực, không khó thở, không nhìn mờ. Đường máu mao mạch lúc đói 5,9 "
            "mmol/L. Trạm chưa có máy điện tim; đo lại huyết áp sau nghỉ 15 phút vẫn 170/100 mmHg."
        ),
        advice=(
            "Tăng huyết áp độ 2, chưa thấy dấu hiệu tổn thương cơ quan đích cấp. Tăng amlodipin "
            "lên 10 mg/ngày; nếu sau 2 tuần huyết áp còn ≥140/90 mmHg thì thêm losartan 50 mg/ngày "
            "(kiểm tra creatinin, kali khi có điều kiện). Ăn nhạt, bỏ thuốc lào, đo huyết áp tại "
            "trạm 2 lần/tuần. Chuyển tuyến ngay nếu huyết áp ≥180/110 mmHg kèm đau đầu dữ dội, "
            "đau ngực, khó thở hoặc yếu liệt."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action=(
            "Đã tăng amlodipin 10 mg/ngày, tư vấn ăn nhạt và bỏ thuốc lào. Đo huyết áp tại trạm "
            "hằng tuần; sau 2 tuần 142/88 mmHg."
        ),
        weight=16,
    ),
    Case(
        key="t2dm",
        specialty="internal-medicine",
        ages=(42, 75),
        sex=None,
        reason="Đường máu cao, nghi đái tháo đường típ 2",
        history=(
            "Khát nhiều, tiểu nhiều, sút khoảng 3 kg trong {weeks} tuần. Mẹ bị đái tháo đường. "
            "Chưa điều trị gì."
        ),
        examination=(
            "Thể trạng trung bình. Tim phổi bình thường. Bàn chân không loét, cảm giác bàn chân "
            "còn. Không có dấu hiệu mất nước."
        ),
        treatment="Chưa điều trị.",
        question=(
            "Đường máu mao mạch lúc đói đo 2 lần đều trên 11 mmol/L. Xin ý kiến chẩn đoán và "
            "thuốc khởi đầu có thể dùng tại trạm."
        ),
        vitals={"glucose": (11.5, 17.8), "systolic": (125, 150), "diastolic": (75, 90)},
        codes=("E11.9",),
        ask=(
            "Bệnh nhân có buồn nôn, đau bụng, thở nhanh hay lơ mơ không? Nước tiểu có ceton "
            "không (nếu có que thử)?"
        ),
        reply=(
            "Không buồn nôn, không đau bụng, tỉnh táo. Que thử nước tiểu: glucose 3+, ceton âm "
            "tính."
        ),
        advice=(
            "Phù hợp đái tháo đường típ 2, chưa có biến chứng cấp. Khởi đầu metformin 500 mg × 2 "
            "lần/ngày sau ăn, tăng dần đến 1.000 mg × 2 lần/ngày nếu dung nạp. Giảm tinh bột và "
            "đường, đi bộ 30 phút mỗi ngày. Làm HbA1c, creatinin và mỡ máu khi lên trung tâm y tế "
            "khu vực. Thử đường máu mỗi 2 tuần tại trạm; chuyển tuyến nếu đường máu trên 20 "
            "mmol/L hoặc có ceton niệu."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Đã bắt đầu metformin 500 mg × 2 lần/ngày, tư vấn chế độ ăn; đưa vào danh sách quản lý "
            "bệnh không lây nhiễm của trạm. Hẹn xét nghiệm HbA1c tại trung tâm y tế khu vực."
        ),
        weight=12,
    ),
    Case(
        key="pneumonia_adult",
        specialty="internal-medicine",
        ages=(25, 80),
        sex=None,
        reason="Sốt, ho đờm, khó thở — nghi viêm phổi",
        history=(
            "Sốt {days} ngày, ho khạc đờm vàng, đau ngực phải khi ho. Đã uống paracetamol, không "
            "đỡ."
        ),
        examination=(
            "Môi hơi khô. Phổi phải ran nổ vùng đáy, rì rào phế nang giảm. Không co kéo cơ hô hấp "
            "phụ. Tim đều nhanh."
        ),
        treatment="Paracetamol 500 mg khi sốt.",
        question=(
            "Trạm có amoxicillin và cephalexin. Có thể điều trị tại trạm hay cần chuyển tuyến?"
        ),
        vitals={
            "temperature": (38.4, 39.6),
            "pulse": (96, 118),
            "respiratory_rate": (22, 28),
            "spo2": (91, 95),
        },
        codes=("J18.9",),
        ask=(
            "Bệnh nhân có lú lẫn không? Đo lại SpO₂ khi nghỉ được bao nhiêu? Có bệnh phổi mạn "
            "hay đái tháo đường không?"
        ),
        reply="Tỉnh táo, trả lời đúng. SpO₂ đo lại 93% khi nghỉ. Không có bệnh mạn tính đã biết.",
        advice=(
            "Viêm phổi cộng đồng mức độ trung bình (CURB-65 = 1). Amoxicillin 1 g × 3 lần/ngày "
            "trong 7 ngày, hạ sốt, uống đủ nước. Khám lại sau 48 giờ; chuyển tuyến ngay nếu SpO₂ "
            "dưới 92%, nhịp thở trên 30 lần/phút, lú lẫn hoặc tụt huyết áp."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Điều trị amoxicillin tại trạm; khám lại sau 48 giờ hết sốt, SpO₂ 96%. Đã dùng đủ 7 "
            "ngày kháng sinh."
        ),
        urgency=(50, 42, 8),
        weight=10,
    ),
    Case(
        key="gastritis",
        specialty="internal-medicine",
        ages=(25, 70),
        sex=None,
        reason="Đau thượng vị tái diễn",
        history=(
            "Đau âm ỉ vùng thượng vị {months} tháng, đau tăng khi đói, ợ chua. Không nôn ra máu, "
            "không đi ngoài phân đen. Hay uống rượu ngô."
        ),
        examination=(
            "Bụng mềm, ấn đau nhẹ thượng vị, không có phản ứng thành bụng. Gan lách không sờ "
            "thấy. Niêm mạc mắt hồng."
        ),
        treatment="Thuốc dạ dày tự mua ở chợ.",
        question="Xin hướng dẫn điều trị và khi nào cần nội soi dạ dày?",
        vitals={},
        codes=("K29.7",),
        ask=(
            "Bệnh nhân có sút cân, nuốt nghẹn hay thiếu máu không? Có dùng thuốc giảm đau chống "
            "viêm không?"
        ),
        reply=(
            "Không sút cân, không nuốt nghẹn. Có uống thuốc giảm đau xương khớp (diclofenac) mua "
            "ở chợ khoảng 2 tuần nay."
        ),
        advice=(
            "Nghĩ nhiều viêm dạ dày do rượu và thuốc chống viêm không steroid. Ngừng diclofenac, "
            "hạn chế rượu. Omeprazol 20 mg × 2 lần/ngày trước ăn 30 phút trong 4 tuần. Cần nội soi "
            "nếu trên 45 tuổi và còn đau sau 4 tuần, hoặc có dấu hiệu báo động: nôn ra máu, phân "
            "đen, sút cân, nuốt nghẹn, thiếu máu."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action="Đã ngừng diclofenac, dùng omeprazol 4 tuần; đỡ đau sau 1 tuần. Tư vấn bỏ rượu.",
        weight=10,
    ),
    Case(
        key="uti",
        specialty="internal-medicine",
        ages=(20, 65),
        sex=Sex.FEMALE,
        reason="Tiểu buốt, tiểu rắt",
        history=(
            "Tiểu buốt, tiểu rắt {days} ngày, nước tiểu đục. Không đau lưng, không sốt rét run. "
            "Không có thai."
        ),
        examination="Ấn đau nhẹ vùng hạ vị. Hai hố thắt lưng không đau, chạm thận âm tính.",
        treatment="Chưa điều trị.",
        question=(
            "Que thử nước tiểu: bạch cầu 2+, nitrit dương tính. Xin ý kiến kháng sinh phù hợp."
        ),
        vitals={"temperature": (36.8, 37.6)},
        codes=("N39.0",),
        ask="Đây là lần thứ mấy trong năm? Bệnh nhân có đái tháo đường không?",
        reply=(
            "Lần thứ hai trong năm nay. Chưa từng được chẩn đoán đái tháo đường; đường máu mao "
            "mạch 5,6 mmol/L."
        ),
        advice=(
            "Nhiễm khuẩn tiết niệu dưới không biến chứng. Nitrofurantoin 100 mg × 2 lần/ngày trong "
            "5 ngày (hoặc fosfomycin 3 g liều duy nhất nếu có). Uống nhiều nước. Nếu sốt, đau lưng "
            "hoặc không đỡ sau 3 ngày: khám lại, cấy nước tiểu ở tuyến trên."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action="Điều trị nitrofurantoin 5 ngày tại trạm; hết triệu chứng khi khám lại.",
        weight=8,
    ),
    Case(
        key="fever",
        specialty="internal-medicine",
        ages=(18, 65),
        sex=None,
        reason="Sốt kéo dài chưa rõ nguyên nhân",
        history=(
            "Sốt {days} ngày, sốt về chiều, mệt, ăn kém. Tuần trước đi rừng làm nương. Không ho, "
            "không tiêu chảy."
        ),
        examination=(
            "Da không ban, không xuất huyết. Hạch ngoại vi không to. Tim phổi bình thường. Gan "
            "mấp mé bờ sườn."
        ),
        treatment="Paracetamol 500 mg khi sốt.",
        question=("Test nhanh sốt rét âm tính. Xin hướng dẫn hướng chẩn đoán và xử trí tại trạm."),
        vitals={"temperature": (38.2, 39.4), "pulse": (90, 110)},
        codes=("R50.9", "A75.3"),
        ask=(
            "Nhờ trạm khám kỹ nách, bẹn, thắt lưng tìm vết loét có vảy đen. Bệnh nhân có đau đầu, "
            "đau cơ nhiều không?"
        ),
        reply=(
            "Đã khám lại: có một vết loét vảy đen khoảng 6 mm ở bẹn trái. Đau đầu, đau cơ nhiều."
        ),
        advice=(
            "Nghĩ nhiều sốt mò. Doxycyclin 100 mg × 2 lần/ngày trong 7 ngày, hạ sốt, uống đủ nước. "
            "Chuyển tuyến nếu khó thở, vàng da, lơ mơ hoặc còn sốt sau 48 giờ dùng thuốc."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action="Điều trị doxycyclin tại trạm; bệnh nhân cắt sốt sau 36 giờ.",
        urgency=(70, 28, 2),
        regions=(MOUNTAIN, CENTRAL),
        weight=6,
    ),
    Case(
        key="copd",
        specialty="internal-medicine",
        ages=(55, 82),
        sex=Sex.MALE,
        reason="Khó thở tăng, ho nhiều đờm — bệnh phổi tắc nghẽn mạn tính",
        history=(
            "Hút thuốc lào hơn 30 năm, khó thở khi gắng sức nhiều năm. {days} ngày nay khó thở "
            "tăng, ho đờm đục nhiều hơn. Chưa từng đo chức năng hô hấp."
        ),
        examination=(
            "Lồng ngực hình thùng, rì rào phế nang giảm, ran rít ran ngáy hai bên. Không tím môi. "
            "Nói được câu dài."
        ),
        treatment="Salbutamol viên 2 mg khi khó thở.",
        question="Xin hướng dẫn xử trí đợt cấp tại trạm và điều trị duy trì sau đó.",
        vitals={
            "temperature": (37.0, 38.0),
            "pulse": (90, 108),
            "respiratory_rate": (22, 26),
            "spo2": (90, 94),
        },
        codes=("J44.1",),
        ask=(
            "Trạm có bình xịt salbutamol và buồng đệm không? Bệnh nhân có dùng được prednisolon "
            "không (loét dạ dày, đái tháo đường)?"
        ),
        reply=(
            "Trạm có salbutamol xịt, chưa có buồng đệm (sẽ làm bằng chai nhựa). Không có tiền sử "
            "loét dạ dày hay đái tháo đường."
        ),
        advice=(
            "Đợt cấp bệnh phổi tắc nghẽn mạn tính mức độ trung bình. Salbutamol xịt 2–4 nhát mỗi "
            "4–6 giờ qua buồng đệm, prednisolon 40 mg/ngày trong 5 ngày, amoxicillin-clavulanat 7 "
            "ngày vì đờm đục. Chuyển tuyến nếu SpO₂ dưới 88%, tím, lơ mơ hoặc không đỡ sau 48 "
            "giờ. Sau đợt cấp: đo chức năng hô hấp ở tuyến trên, bỏ thuốc lào, tiêm vắc xin cúm."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Điều trị đợt cấp tại trạm 5 ngày, đỡ khó thở. Đã hẹn đo chức năng hô hấp tại bệnh "
            "viện tỉnh; bệnh nhân đang cố bỏ thuốc lào."
        ),
        urgency=(55, 40, 5),
        weight=7,
    ),
    Case(
        key="anaemia",
        specialty="internal-medicine",
        ages=(18, 55),
        sex=Sex.FEMALE,
        reason="Mệt, hoa mắt, da xanh",
        history=(
            "Mệt mỏi, hoa mắt chóng mặt khoảng {months} tháng. Kinh nguyệt nhiều. Ăn uống kém, ít "
            "thịt cá."
        ),
        examination=(
            "Da, niêm mạc nhợt. Móng tay dẹt. Tim nhịp nhanh, thổi tâm thu nhẹ ở mỏm. Không phù, "
            "gan lách không to."
        ),
        treatment="Chưa điều trị.",
        question=(
            "Máy đo hemoglobin của trạm cho kết quả 8,2 g/dL. Xin ý kiến điều trị và có cần "
            "chuyển tuyến không?"
        ),
        vitals={"pulse": (96, 110), "systolic": (95, 110), "diastolic": (55, 70)},
        codes=("D50.9",),
        ask=("Bệnh nhân có đi ngoài phân đen, nôn ra máu hay sốt không? Đã tẩy giun lần nào chưa?"),
        reply="Không phân đen, không nôn máu, không sốt. Đã lâu chưa tẩy giun.",
        advice=(
            "Nghĩ thiếu máu thiếu sắt mức độ vừa do kinh nhiều và ăn uống thiếu. Viên sắt nguyên "
            "tố 60 mg kèm acid folic mỗi ngày trong 3 tháng, tẩy giun mebendazol 500 mg liều duy "
            "nhất, ăn thêm thịt cá, rau xanh. Kiểm tra hemoglobin sau 4 tuần; khám phụ khoa ở tuyến "
            "trên vì kinh nhiều. Chuyển tuyến nếu Hb dưới 7 g/dL hoặc khó thở khi nghỉ."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Đã cấp viên sắt – acid folic, tẩy giun. Hb sau 4 tuần 9,8 g/dL. Đã giới thiệu khám "
            "phụ khoa."
        ),
        weight=5,
    ),
    Case(
        key="cold_child",
        specialty="paediatrics",
        ages=(0, 5),
        sex=None,
        reason="Trẻ sốt, ho, sổ mũi",
        history=(
            "Trẻ sốt {days} ngày, chảy mũi trong, ho khan, bú và ăn kém hơn. Không nôn, không co "
            "giật. Tiêm chủng đủ theo lịch."
        ),
        examination=(
            "Trẻ tỉnh, chơi được. Họng đỏ, không có giả mạc. Phổi không ran, không rút lõm lồng "
            "ngực. Tai không chảy mủ."
        ),
        treatment="Paracetamol 15 mg/kg khi sốt.",
        question=(
            "Mẹ xin kháng sinh cho cháu. Xin ý kiến có cần kháng sinh không và dặn dò gia đình "
            "những gì?"
        ),
        vitals={"temperature": (37.8, 38.7), "respiratory_rate": (28, 38)},
        codes=("J00",),
        ask="Nhịp thở đếm đủ 1 phút là bao nhiêu? Trẻ có bỏ bú hay li bì không?",
        reply="Nhịp thở 34 lần/phút. Trẻ vẫn bú được, chơi bình thường khi hạ sốt.",
        advice=(
            "Viêm mũi họng cấp do vi rút, không có dấu hiệu viêm phổi hay dấu hiệu nguy hiểm toàn "
            "thân. Không cần kháng sinh. Hạ sốt paracetamol 15 mg/kg mỗi 6 giờ khi sốt từ 38,5 °C, "
            "nhỏ mũi nước muối sinh lý, tiếp tục cho bú và ăn. Dặn mẹ đưa trẻ đến ngay nếu thở "
            "nhanh, rút lõm lồng ngực, bỏ bú, li bì hoặc sốt quá 3 ngày."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action=(
            "Đã giải thích cho mẹ không cần kháng sinh, hướng dẫn chăm sóc tại nhà. Trẻ hết sốt "
            "sau 2 ngày."
        ),
        weight=12,
    ),
    Case(
        key="pneumonia_child",
        specialty="paediatrics",
        ages=(0, 4),
        sex=None,
        reason="Trẻ ho, sốt, thở nhanh — nghi viêm phổi",
        history=("Ho {days} ngày, sốt cao, hôm nay thở nhanh, bú kém. Nhà cách trạm 2 giờ đi bộ."),
        examination=(
            "Trẻ mệt, còn bú được. Rút lõm lồng ngực nhẹ. Ran ẩm nhỏ hạt hai đáy phổi. Không tím."
        ),
        treatment="Paracetamol hạ sốt.",
        question=(
            "Trẻ có phải viêm phổi nặng không? Có thể dùng amoxicillin tại trạm hay phải chuyển "
            "ngay?"
        ),
        vitals={
            "temperature": (38.5, 39.6),
            "pulse": (140, 165),
            "respiratory_rate": (50, 62),
            "spo2": (90, 94),
        },
        codes=("J18.9",),
        ask=(
            "SpO₂ của trẻ khi thở khí trời là bao nhiêu? Trẻ có uống được không, có co giật hay "
            "li bì không?"
        ),
        reply="SpO₂ 92%, trẻ vẫn uống được, không co giật, không li bì.",
        advice=(
            "Viêm phổi có rút lõm lồng ngực ở trẻ dưới 5 tuổi: nên điều trị nội trú. Cho liều "
            "amoxicillin đầu tiên 40–50 mg/kg tại trạm, hạ sốt, giữ ấm, cho bú; chuyển trẻ lên "
            "trung tâm y tế khu vực trong ngày. Trong lúc chờ, nếu SpO₂ dưới 90% cho thở oxy nếu có."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã cho liều amoxicillin đầu, chuyển trẻ lên trung tâm y tế khu vực bằng xe của xã. "
            "Trẻ nằm viện 5 ngày, ra viện khỏe."
        ),
        urgency=(20, 65, 15),
        weight=8,
    ),
    Case(
        key="diarrhoea_child",
        specialty="paediatrics",
        ages=(0, 4),
        sex=None,
        reason="Trẻ tiêu chảy, nôn",
        history=(
            "Tiêu chảy phân tóe nước {days} ngày, 6–8 lần/ngày, không có máu. Nôn 2 lần. Trẻ "
            "khát, uống háo hức."
        ),
        examination="Trẻ quấy khóc, mắt trũng, nếp véo da mất chậm. Không li bì. Bụng mềm.",
        treatment="Oresol pha theo hướng dẫn.",
        question="Trẻ mất nước mức độ nào? Có cần truyền dịch không?",
        vitals={"temperature": (37.5, 38.3), "pulse": (130, 155)},
        codes=("A09.9",),
        ask="Trẻ uống được bao nhiêu ORS trong 4 giờ qua? Đi tiểu lần cuối khi nào?",
        reply="Uống được khoảng 400 ml, đi tiểu cách đây 3 giờ, nôn giảm.",
        advice=(
            "Tiêu chảy cấp có mất nước (phác đồ B). Tiếp tục ORS 75 ml/kg trong 4 giờ tại trạm, "
            "kẽm 10–20 mg/ngày trong 10–14 ngày, tiếp tục cho bú. Đánh giá lại sau 4 giờ; nếu li "
            "bì, không uống được hoặc mất nước nặng thì truyền dịch và chuyển tuyến."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action=(
            "Bù dịch đường uống tại trạm 4 giờ, trẻ hết dấu hiệu mất nước; cấp kẽm và ORS mang về, "
            "hẹn khám lại sau 2 ngày."
        ),
        urgency=(40, 55, 5),
        weight=8,
    ),
    Case(
        key="malnutrition",
        specialty="paediatrics",
        ages=(1, 4),
        sex=None,
        reason="Trẻ chậm tăng cân",
        history=(
            "Trẻ không tăng cân {months} tháng nay, ăn bột loãng, ít đạm. Hay ốm vặt. Mẹ đi làm "
            "nương, bà trông."
        ),
        examination="Trẻ gầy, không phù. Tóc thưa, dễ gãy. Vòng cánh tay 12,0 cm.",
        treatment="Chưa can thiệp.",
        question="Xin hướng dẫn đánh giá và chăm sóc dinh dưỡng tại cộng đồng.",
        vitals={},
        codes=("E44.0",),
        ask="Trẻ có phù hai mu bàn chân không? Thử cho ăn tại trạm trẻ có ăn được không?",
        reply="Không phù. Trẻ ăn hết bát cháo thịt nhỏ tại trạm.",
        advice=(
            "Suy dinh dưỡng cấp tính vừa (vòng cánh tay 11,5–12,5 cm), không biến chứng. Quản lý "
            "tại cộng đồng: 5–6 bữa mỗi ngày, thêm dầu mỡ, thịt, cá, trứng vào cháo; vitamin A theo "
            "lịch, tẩy giun. Cân trẻ mỗi 2 tuần tại trạm. Chuyển tuyến nếu phù, bỏ ăn, sốt cao "
            "hoặc sụt cân."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Hướng dẫn gia đình chế độ ăn, bổ sung vitamin A; trẻ tăng 400 g sau 4 tuần theo dõi."
        ),
        regions=(MOUNTAIN, CENTRAL),
        weight=6,
    ),
    Case(
        key="pregnancy_oedema",
        specialty="obstetrics-gynaecology",
        ages=(19, 38),
        sex=Sex.FEMALE,
        reason="Thai {gestation} tuần, phù chân",
        history=(
            "Mang thai lần 2, thai {gestation} tuần. Phù hai cẳng chân 1 tuần nay, tăng về chiều. "
            "Không đau đầu, không nhìn mờ. Thai máy tốt."
        ),
        examination=(
            "Phù mềm hai cẳng chân, ấn lõm. Bề cao tử cung phù hợp tuổi thai. Tim thai 140 "
            "lần/phút."
        ),
        treatment="Viên sắt – acid folic.",
        question="Protein niệu que thử âm tính. Xin ý kiến theo dõi và khi nào cần chuyển?",
        vitals={"systolic": (108, 126), "diastolic": (66, 80)},
        codes=("O26.9",),
        ask="Phù có lan lên mặt, tay không? Cân nặng tăng bao nhiêu trong tuần qua?",
        reply="Không phù mặt, tay. Tăng khoảng 0,5 kg trong tuần.",
        advice=(
            "Phù thường gặp khi mang thai, huyết áp và protein niệu bình thường. Nằm nghiêng trái, "
            "kê cao chân khi nghỉ. Đo huyết áp và thử protein niệu mỗi tuần tại trạm. Chuyển ngay "
            "nếu huyết áp từ 140/90 mmHg, protein niệu dương tính, đau đầu, nhìn mờ, đau thượng vị "
            "hoặc thai máy giảm."
        ),
        outcome=Outcome.FOLLOW_UP,
        action="Sản phụ được theo dõi huyết áp hằng tuần tại trạm, bình thường đến khi sinh.",
        weight=7,
    ),
    Case(
        key="pregnancy_htn",
        specialty="obstetrics-gynaecology",
        ages=(18, 40),
        sex=Sex.FEMALE,
        reason="Thai {gestation} tuần, huyết áp cao",
        history=(
            "Mang thai lần đầu, thai {gestation} tuần. Hôm nay đo huyết áp cao, hơi nhức đầu. "
            "Trước đây chưa bị tăng huyết áp."
        ),
        examination=("Phù nhẹ hai chân. Phản xạ gân xương bình thường. Tim thai 148 lần/phút."),
        treatment="Chưa điều trị.",
        question="Protein niệu que thử 1+. Xin hướng dẫn xử trí ban đầu và chuyển tuyến.",
        vitals={"systolic": (145, 162), "diastolic": (92, 105), "pulse": (86, 100)},
        codes=("O14.9",),
        ask=("Sản phụ có đau thượng vị, nhìn mờ, nhức đầu nhiều không? Có cơn co tử cung không?"),
        reply="Nhức đầu nhẹ, không nhìn mờ, không đau thượng vị. Chưa có cơn co.",
        advice=(
            "Nghĩ tiền sản giật. Chuyển lên bệnh viện có khoa sản trong ngày. Trước khi chuyển: "
            "nifedipin 10 mg uống nếu huyết áp từ 160/110 mmHg; nếu có dấu hiệu nặng, tiêm magnesi "
            "sulfat liều tấn công theo phác đồ, có người được đào tạo đi kèm. Theo dõi huyết áp, "
            "nhịp thở, phản xạ gân xương trong lúc chuyển."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã chuyển sản phụ lên Bệnh viện Đa khoa tỉnh trong ngày; theo dõi tiền sản giật, mổ "
            "lấy thai ở tuần 36, mẹ con khỏe."
        ),
        urgency=(10, 70, 20),
        weight=4,
    ),
    Case(
        key="pregnancy_anaemia",
        specialty="obstetrics-gynaecology",
        ages=(18, 40),
        sex=Sex.FEMALE,
        reason="Thai {gestation} tuần, thiếu máu",
        history=("Mang thai lần 3, thai {gestation} tuần. Mệt, hoa mắt. Uống viên sắt không đều."),
        examination=(
            "Niêm mạc nhợt. Tim nhanh, thổi tâm thu nhẹ. Bề cao tử cung phù hợp tuổi thai."
        ),
        treatment="Viên sắt – acid folic (uống không đều).",
        question="Hemoglobin đo tại trạm 8,5 g/dL. Xin ý kiến điều trị.",
        vitals={"pulse": (95, 108), "systolic": (100, 115), "diastolic": (60, 72)},
        codes=("O99.0",),
        ask="Sản phụ đã tẩy giun trong thai kỳ chưa? Có ra máu âm đạo không?",
        reply="Chưa tẩy giun. Không ra máu.",
        advice=(
            "Thiếu máu thai kỳ mức độ vừa, nghĩ do thiếu sắt. Sắt nguyên tố 120 mg/ngày kèm acid "
            "folic đến sau sinh 1 tháng, uống xa bữa trà; mebendazol 500 mg một liều (đã qua 3 "
            "tháng đầu). Kiểm tra Hb sau 4 tuần. Nên sinh tại cơ sở có truyền máu; chuyển ngay "
            "nếu Hb dưới 7 g/dL, khó thở hoặc ra máu."
        ),
        outcome=Outcome.FOLLOW_UP,
        action="Đã cấp sắt liều điều trị, tẩy giun; Hb sau 4 tuần 10,1 g/dL.",
        weight=4,
    ),
    Case(
        key="heart_failure",
        specialty="cardiology",
        ages=(55, 86),
        sex=None,
        reason="Khó thở khi nằm, phù hai chân",
        history=(
            "Tăng huyết áp nhiều năm, điều trị không đều. {weeks} tuần nay khó thở khi đi lại, "
            "phải kê cao gối khi ngủ, phù hai chân tăng dần."
        ),
        examination=(
            "Tĩnh mạch cổ nổi ở tư thế 45°. Ran ẩm hai đáy phổi. Tim nhanh, mỏm tim lệch trái. "
            "Phù hai chân ấn lõm. Gan to 2 cm dưới bờ sườn."
        ),
        treatment="Amlodipin 5 mg/ngày.",
        question=(
            "Gửi kèm ảnh điện tim làm tại trung tâm y tế khu vực. Xin hướng dẫn điều trị suy tim "
            "tại trạm và có cần chuyển tuyến không?"
        ),
        vitals={
            "systolic": (140, 170),
            "diastolic": (85, 100),
            "pulse": (96, 115),
            "respiratory_rate": (22, 28),
            "spo2": (91, 95),
        },
        codes=("I50.9", "I10"),
        ask=(
            "Ảnh điện tim hơi mờ ở các chuyển đạo trước tim. Bệnh nhân có đau ngực không? Cân "
            "nặng hiện tại bao nhiêu để theo dõi?"
        ),
        reply="Không đau ngực. Cân nặng 58 kg. Trạm gửi lại ảnh điện tim chụp rõ hơn.",
        advice=(
            "Suy tim mất bù trên nền tăng huyết áp; điện tim nhịp xoang nhanh, dày thất trái, "
            "không thấy thiếu máu cơ tim cấp. Furosemid 40 mg buổi sáng, thay amlodipin bằng "
            "enalapril 5 mg × 2 lần/ngày, hạn chế muối và nước. Cân mỗi ngày; chuyển tuyến nếu "
            "khó thở khi nghỉ, SpO₂ dưới 90% hoặc huyết áp tâm thu dưới 90 mmHg. Hẹn siêu âm tim "
            "tại bệnh viện tỉnh."
        ),
        outcome=Outcome.FOLLOW_UP,
        action=(
            "Đã dùng furosemid và enalapril; sau 1 tuần giảm 3 kg, hết khó thở khi nằm. Đã hẹn "
            "siêu âm tim."
        ),
        urgency=(45, 50, 5),
        image="ecg",
        weight=7,
    ),
    Case(
        key="af",
        specialty="cardiology",
        ages=(58, 85),
        sex=None,
        reason="Hồi hộp, mạch không đều",
        history=(
            "Hồi hộp, đánh trống ngực {days} ngày, mệt khi làm việc. Có tăng huyết áp. Không ngất."
        ),
        examination=(
            "Mạch không đều, tần số tim nhanh hơn mạch quay. Phổi không ran. Không phù. Không yếu "
            "liệt."
        ),
        treatment="Chưa điều trị.",
        question="Điện tim gửi kèm. Xin đọc điện tim và hướng dẫn xử trí.",
        vitals={"pulse": (105, 135), "systolic": (130, 155), "diastolic": (80, 95)},
        codes=("I48.9",),
        ask=(
            "Bệnh nhân có tiền sử đột quỵ, đái tháo đường, suy tim không? Có đang chảy máu ở đâu "
            "không?"
        ),
        reply="Không đột quỵ, không đái tháo đường. Không chảy máu.",
        advice=(
            "Rung nhĩ đáp ứng thất nhanh, huyết động ổn định. Kiểm soát tần số: bisoprolol 2,5 "
            "mg/ngày, mục tiêu nhịp tim khi nghỉ dưới 110 lần/phút. CHA₂DS₂-VASc từ 2: cần thuốc "
            "chống đông — khám chuyên khoa tim mạch tại bệnh viện tỉnh để bắt đầu và theo dõi. "
            "Chuyển ngay nếu đau ngực, khó thở, ngất hoặc yếu liệt."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã dùng bisoprolol, nhịp tim 88 lần/phút; giới thiệu lên bệnh viện tỉnh bắt đầu "
            "thuốc chống đông."
        ),
        urgency=(40, 50, 10),
        image="ecg_af",
        weight=4,
    ),
    Case(
        key="chest_pain",
        specialty="cardiology",
        ages=(45, 78),
        sex=Sex.MALE,
        reason="Đau ngực trái dữ dội",
        history=(
            "Đau thắt ngực trái lan lên vai trái, vã mồ hôi, bắt đầu cách đây {hours} giờ, không "
            "đỡ khi nghỉ. Hút thuốc lá nhiều, tăng huyết áp."
        ),
        examination="Vã mồ hôi, da lạnh. Tim đều nhanh, không có tiếng thổi. Phổi không ran.",
        treatment="Chưa dùng thuốc.",
        question=(
            "Điện tim gửi kèm. Nghi nhồi máu cơ tim — xin hướng dẫn xử trí trước khi chuyển."
        ),
        vitals={
            "pulse": (95, 115),
            "systolic": (100, 140),
            "diastolic": (60, 88),
            "spo2": (93, 97),
        },
        codes=("I21.9",),
        ask=(
            "Điện tim có ST chênh lên ở DII, DIII, aVF. Bệnh nhân có dị ứng aspirin, có tiền sử "
            "chảy máu dạ dày không?"
        ),
        reply="Không dị ứng, không có tiền sử chảy máu dạ dày. Xe cấp cứu đang đến trạm.",
        advice=(
            "Nhồi máu cơ tim cấp ST chênh lên thành dưới. Cho ngay aspirin 300 mg nhai, "
            "clopidogrel 300 mg uống nếu có; thở oxy nếu SpO₂ dưới 90%. Không dùng nitroglycerin "
            "nếu huyết áp tâm thu dưới 90 mmHg. Chuyển ngay đến bệnh viện can thiệp mạch vành được; "
            "bệnh viện đã được báo trước."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã cho aspirin, chuyển cấp cứu lên bệnh viện tỉnh; được can thiệp mạch vành, ổn định."
        ),
        urgency=(0, 15, 85),
        image="ecg_st",
        weight=3,
    ),
    Case(
        key="dermatitis",
        specialty="dermatology",
        ages=(20, 65),
        sex=None,
        reason="Ngứa, mảng đỏ da ở hai bàn tay",
        history=(
            "Ngứa, nổi mảng đỏ ở mu bàn tay và cẳng tay {weeks} tuần, sau khi phun thuốc trừ sâu "
            "không đeo găng. Đã đắp lá cây, không đỡ."
        ),
        examination=(
            "Mảng đỏ ranh giới không rõ, có mụn nước nhỏ, trợt và vảy tiết ở mu hai bàn tay. "
            "Không sốt."
        ),
        treatment="Chưa điều trị.",
        question="Gửi kèm ảnh tổn thương. Xin chẩn đoán và thuốc bôi phù hợp.",
        vitals={},
        codes=("L30.9",),
        ask="Tổn thương có chảy dịch mủ không? Bệnh nhân còn tiếp xúc thuốc trừ sâu không?",
        reply="Không có mủ. Vẫn phải đi phun thuốc cho ngô.",
        advice=(
            "Viêm da tiếp xúc kích ứng. Tránh tiếp xúc hóa chất, đeo găng cao su khi phun thuốc. "
            "Đắp nước muối sinh lý khi có dịch, bôi kem betamethason 0,05% 2 lần/ngày trong 7–10 "
            "ngày, chlorpheniramin 4 mg buổi tối khi ngứa. Khám lại nếu có mủ, sốt hoặc không đỡ "
            "sau 2 tuần."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action="Bôi betamethason 10 ngày, đeo găng khi phun thuốc; tổn thương lành.",
        image="skin",
        weight=6,
    ),
    Case(
        key="tinea",
        specialty="dermatology",
        ages=(8, 60),
        sex=None,
        reason="Mảng da hình vòng, ngứa",
        history=(
            "Nổi mảng hình tròn ở bụng và đùi {weeks} tuần, ngứa nhiều khi ra mồ hôi. Người nhà "
            "cũng có tổn thương tương tự."
        ),
        examination=(
            "Nhiều mảng hình vòng, bờ đỏ có vảy và mụn nước nhỏ, giữa nhạt màu, đường kính 2–4 cm."
        ),
        treatment="Kem bôi mua ở chợ.",
        question="Gửi ảnh tổn thương. Có phải nấm da không? Trạm có clotrimazol bôi.",
        vitals={},
        codes=("B35.4",),
        ask="Bệnh nhân có bôi kem có corticoid (kem trộn) trước đó không?",
        reply=("Có bôi một loại kem mua ở chợ, bôi vào thì đỡ ngứa nhưng sau đó lan rộng hơn."),
        advice=(
            "Nấm da thân (hắc lào), đã bị bôi kem có corticoid. Ngừng kem trộn. Clotrimazol 1% bôi "
            "2 lần/ngày, bôi rộng ra ngoài bờ tổn thương 2 cm, tiếp tục 2 tuần sau khi hết tổn "
            "thương. Giữ da khô, không dùng chung khăn, điều trị cả người nhà. Không đỡ sau 4 tuần "
            "thì khám da liễu tuyến trên để dùng thuốc uống."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action=(
            "Ngừng kem trộn, bôi clotrimazol 4 tuần cho bệnh nhân và người nhà; tổn thương khỏi."
        ),
        image="ring",
        weight=5,
    ),
    Case(
        key="scabies",
        specialty="dermatology",
        ages=(3, 60),
        sex=None,
        reason="Ngứa nhiều về đêm, nhiều người trong nhà cùng bị",
        history="Ngứa {weeks} tuần, tăng về đêm. Trong nhà 3 người cùng ngứa.",
        examination=(
            "Sẩn, mụn nước nhỏ ở kẽ ngón tay, cổ tay, quanh rốn; nhiều vết xước do gãi, vài mụn mủ."
        ),
        treatment="Chưa điều trị.",
        question=("Gửi ảnh kẽ ngón tay. Nghi ghẻ — xin hướng dẫn điều trị cho cả gia đình."),
        vitals={},
        codes=("B86",),
        ask="Có trẻ dưới 2 tháng tuổi hoặc phụ nữ có thai trong nhà không?",
        reply="Có một cháu 8 tháng tuổi, không có ai mang thai.",
        advice=(
            "Ghẻ, bội nhiễm nhẹ. Permethrin 5% bôi toàn thân từ cổ xuống (trẻ nhỏ bôi cả mặt và "
            "da đầu, tránh mắt miệng), để 8–12 giờ rồi tắm, nhắc lại sau 7 ngày; điều trị cùng "
            "lúc mọi người trong nhà. Giặt nước nóng, phơi nắng quần áo, chăn màn. Mụn mủ nhiều: "
            "cephalexin 7 ngày."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action="Cả gia đình được điều trị permethrin 2 đợt; hết ngứa sau 2 tuần.",
        image="papules",
        weight=4,
    ),
    Case(
        key="dengue",
        specialty="infectious-diseases",
        ages=(8, 60),
        sex=None,
        reason="Sốt cao 3 ngày, chảy máu chân răng",
        history=(
            "Sốt cao đột ngột {days} ngày, đau đầu, đau hốc mắt, đau cơ. Hôm nay chảy máu chân "
            "răng. Trong thôn có nhiều người sốt xuất huyết."
        ),
        examination=(
            "Chấm xuất huyết rải rác ở cẳng tay, nghiệm pháp dây thắt dương tính. Gan không to, "
            "bụng không đau."
        ),
        treatment="Paracetamol khi sốt.",
        question=(
            "Test NS1 dương tính. Có dấu hiệu cảnh báo không? Có thể theo dõi tại trạm không?"
        ),
        vitals={"temperature": (38.5, 39.8), "pulse": (90, 110)},
        # WHO's 2019 revision of ICD-10 replaced A90/A91 by A97 (dengue with/without warning signs).
        codes=("A97.0",),
        ask=(
            "Bệnh nhân có đau bụng, nôn nhiều, li bì hay tiểu ít không? Trạm có đo được "
            "hematocrit không?"
        ),
        reply="Không đau bụng, không nôn, tiểu bình thường. Trạm không đo được hematocrit.",
        advice=(
            "Sốt xuất huyết Dengue ngày thứ 3, chưa có dấu hiệu cảnh báo. Theo dõi ngoại trú: "
            "paracetamol 10–15 mg/kg mỗi 6 giờ (không dùng aspirin, ibuprofen), uống nhiều nước, "
            "ORS. Khám lại mỗi ngày đến hết ngày thứ 7. Chuyển ngay nếu đau bụng, nôn nhiều, chảy "
            "máu niêm mạc nhiều, li bì hoặc vật vã, tiểu ít."
        ),
        outcome=Outcome.FOLLOW_UP,
        action="Theo dõi hằng ngày tại trạm đến ngày thứ 7; bệnh nhân khỏi, không có biến chứng.",
        urgency=(30, 60, 10),
        regions=(CENTRAL, SOUTH, DELTA),
        weight=10,
    ),
    Case(
        key="tb",
        specialty="infectious-diseases",
        ages=(30, 72),
        sex=Sex.MALE,
        reason="Ho kéo dài trên 3 tuần, sút cân",
        history=(
            "Ho khạc đờm {weeks} tuần, sốt nhẹ về chiều, ra mồ hôi đêm, sút 5 kg. Hút thuốc lào. "
            "Hàng xóm đang điều trị lao."
        ),
        examination="Gầy. Ran nổ vùng đỉnh phổi phải. Hạch cổ không to.",
        treatment="Đã uống 5 ngày amoxicillin, không đỡ.",
        question="Xin hướng dẫn xét nghiệm và chuyển tuyến để chẩn đoán lao.",
        vitals={"temperature": (37.5, 38.2), "spo2": (94, 97)},
        codes=("A16.2",),
        ask=("Trạm có gửi được mẫu đờm xét nghiệm Xpert không? Bệnh nhân đã xét nghiệm HIV chưa?"),
        reply=(
            "Trạm gửi đờm qua trung tâm y tế khu vực 2 lần/tuần. Bệnh nhân chưa xét nghiệm HIV."
        ),
        advice=(
            "Nghi lao phổi. Lấy 2 mẫu đờm (1 mẫu tại chỗ, 1 mẫu sáng hôm sau) gửi xét nghiệm Xpert "
            "MTB/RIF; chụp X-quang ngực tại trung tâm y tế khu vực; tư vấn xét nghiệm HIV. Không "
            "dùng fluoroquinolon trong lúc chờ kết quả. Bệnh nhân đeo khẩu trang, ở phòng thoáng; "
            "khám sàng lọc người sống cùng nhà."
        ),
        outcome=Outcome.REFER,
        action=(
            "Xpert dương tính, không kháng rifampicin; bệnh nhân đã đăng ký điều trị lao tại tổ "
            "chống lao khu vực."
        ),
        weight=5,
    ),
    Case(
        key="wound",
        specialty="surgery",
        ages=(18, 65),
        sex=None,
        reason="Vết thương bàn chân sưng đỏ, chảy mủ",
        history=(
            "Bị dao phát cứa vào mu bàn chân khi đi nương cách đây {days} ngày, tự rửa bằng nước "
            "lá. Hai ngày nay sưng đỏ, đau nhức, chảy dịch đục."
        ),
        examination=(
            "Vết thương dài 4 cm ở mu bàn chân phải, bờ sưng nề đỏ lan 3 cm, có dịch mủ. Không "
            "lộ xương, vận động ngón bình thường."
        ),
        treatment="Chưa điều trị.",
        question=(
            "Gửi ảnh vết thương. Xin hướng dẫn xử trí tại trạm; bệnh nhân chưa tiêm phòng uốn ván."
        ),
        vitals={"temperature": (37.6, 38.4), "pulse": (88, 102)},
        codes=("T79.3",),
        ask=(
            "Vùng sưng đỏ có lan nhanh lên cổ chân không? Có vùng da tím đen hay lép bép dưới da "
            "không?"
        ),
        reply="Không lan lên cổ chân, không có vùng da tím, không lép bép.",
        advice=(
            "Nhiễm khuẩn vết thương phần mềm, chưa có dấu hiệu hoại tử. Cắt lọc, rửa bằng nước "
            "muối sinh lý, băng thưa, thay băng hằng ngày. Cephalexin 500 mg × 4 lần/ngày trong 7 "
            "ngày. Tiêm SAT và vắc xin uốn ván ngay. Chuyển tuyến nếu sốt cao, vùng đỏ lan nhanh, "
            "da tím đen hoặc mất cảm giác."
        ),
        outcome=Outcome.MANAGE_LOCALLY,
        action=(
            "Cắt lọc, thay băng hằng ngày tại trạm, cephalexin 7 ngày, tiêm SAT và vắc xin uốn "
            "ván; vết thương lành sau 2 tuần."
        ),
        urgency=(55, 42, 3),
        image="wound",
        weight=5,
    ),
    Case(
        key="appendicitis",
        specialty="surgery",
        ages=(10, 60),
        sex=None,
        reason="Đau bụng hố chậu phải",
        history=(
            "Đau quanh rốn từ tối qua, sáng nay khu trú ở hố chậu phải, buồn nôn, chán ăn. Chưa "
            "đi ngoài."
        ),
        examination=("Ấn đau hố chậu phải, điểm McBurney dương tính, phản ứng thành bụng nhẹ."),
        treatment="Chưa dùng thuốc.",
        question="Nghi viêm ruột thừa cấp. Xin hướng dẫn xử trí trước khi chuyển.",
        vitals={"temperature": (37.8, 38.6), "pulse": (95, 112)},
        codes=("K35.8",),
        ask="Bệnh nhân có nôn nhiều, bụng chướng hay co cứng toàn bụng không?",
        reply="Nôn 1 lần, bụng không chướng, chỉ đau khu trú hố chậu phải.",
        advice=(
            "Nghĩ viêm ruột thừa cấp, chưa có dấu hiệu viêm phúc mạc toàn thể. Nhịn ăn uống, "
            "truyền dịch nếu có, không dùng thuốc giảm đau mạnh trước khi bác sĩ ngoại khám. "
            "Chuyển ngay lên bệnh viện có phẫu thuật."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã chuyển bệnh nhân lên bệnh viện tỉnh; mổ nội soi cắt ruột thừa, ra viện sau 3 ngày."
        ),
        urgency=(0, 55, 45),
        weight=4,
    ),
    Case(
        key="xray",
        specialty="imaging",
        ages=(30, 80),
        sex=None,
        reason="Xin đọc phim X-quang ngực",
        history=(
            "Ho, sốt {days} ngày; đã chụp X-quang ngực thẳng tại trung tâm y tế khu vực, chưa có "
            "bác sĩ chẩn đoán hình ảnh đọc phim."
        ),
        examination="Ran nổ đáy phổi phải. Không co kéo.",
        treatment="Amoxicillin ngày thứ 2.",
        question="Gửi ảnh chụp phim X-quang. Xin đọc phim và gợi ý xử trí.",
        vitals={"temperature": (37.8, 38.8)},
        codes=("J18.9",),
        ask="Phim chụp ở tư thế đứng hay nằm? Có phim cũ để so sánh không?",
        reply="Tư thế đứng. Không có phim cũ.",
        advice=(
            "Phim thẳng, chất lượng chấp nhận được. Đám mờ không đồng nhất vùng đáy phổi phải, "
            "xóa một phần bờ hoành phải; không thấy tràn dịch; bóng tim không to. Phù hợp viêm "
            "phổi thùy dưới phải. Tiếp tục kháng sinh theo hướng dẫn viêm phổi cộng đồng; chụp lại "
            "sau 6 tuần nếu trên 50 tuổi hoặc hút thuốc, để loại trừ tổn thương khác."
        ),
        outcome=Outcome.FOLLOW_UP,
        action="Tiếp tục amoxicillin đủ 7 ngày, hết sốt; đã hẹn chụp lại phim sau 6 tuần.",
        image="xray",
        weight=4,
    ),
    Case(
        key="snakebite",
        specialty="emergency",
        ages=(16, 65),
        sex=None,
        reason="Rắn cắn ở cẳng chân",
        history=(
            "Bị rắn cắn vào cẳng chân trái khi đi nương cách đây {hours} giờ; rắn màu xanh, đuôi "
            "đỏ. Người nhà đã buộc garô."
        ),
        examination=(
            "Hai vết răng nanh ở cẳng chân trái, sưng nề lan lên gối, bầm tím quanh vết cắn, chảy "
            "máu rỉ rả tại vết cắn."
        ),
        treatment="Garô do người nhà buộc.",
        question="Nghi rắn lục đuôi đỏ. Xin hướng dẫn sơ cứu và chuyển tuyến.",
        vitals={"pulse": (95, 115), "respiratory_rate": (18, 24)},
        codes=("T63.0",),
        ask="Máu ở vết cắn có đông không? Bệnh nhân có chảy máu chân răng, tiểu đỏ không?",
        reply="Máu rỉ liên tục không đông. Có chảy máu chân răng ít, chưa đi tiểu.",
        advice=(
            "Rắn lục đuôi đỏ cắn, có rối loạn đông máu. Nới garô từ từ, bất động chi, để ngang "
            "tim; không rạch, không hút nọc, không đắp lá. Truyền dịch, giảm đau paracetamol. "
            "Chuyển ngay đến bệnh viện có huyết thanh kháng nọc rắn lục."
        ),
        outcome=Outcome.REFER,
        action=(
            "Đã chuyển cấp cứu lên bệnh viện tỉnh; được dùng huyết thanh kháng nọc, ra viện sau 6 "
            "ngày."
        ),
        urgency=(0, 10, 90),
        regions=(MOUNTAIN, CENTRAL, SOUTH),
        weight=2,
    ),
]
CASE_BY_KEY = {c.key: c for c in CASES}

NUDGES = [
    "Bệnh nhân vẫn đang chờ tại trạm, xin tuyến trên hỗ trợ sớm ạ.",
    "Xin hỏi đã có bác sĩ nhận ca này chưa ạ? Bệnh nhân vẫn còn sốt.",
    "Gia đình hỏi có cần chuyển viện không, xin bác sĩ cho ý kiến sớm.",
]
THANKS = [
    "Cảm ơn bác sĩ, trạm sẽ làm theo hướng dẫn và báo lại kết quả.",
    "Em đã nhận được ý kiến, cảm ơn bác sĩ nhiều ạ.",
    "Cảm ơn bác sĩ. Gia đình bệnh nhân đồng ý, trạm đang thực hiện.",
]
IMAGE_NAMES = {
    "ecg": "dien-tim.jpg",
    "ecg_af": "dien-tim.jpg",
    "ecg_st": "dien-tim-12-chuyen-dao.jpg",
    "skin": "ton-thuong-da.jpg",
    "ring": "tham-da-hinh-vong.jpg",
    "papules": "ke-ngon-tay.jpg",
    "wound": "vet-thuong.jpg",
    "xray": "x-quang-nguc.jpg",
}

# The worker persona's own cases: at least a dozen internal-medicine consults to Huế in every
# state, so each persona finds something to do when they sign in.
WORKER_PLAN: list[tuple[str, str, dict[str, Any]]] = [
    ("htn", Status.CLOSED, {"thread": True, "thanks": True}),
    ("t2dm", Status.CLOSED, {}),
    ("gastritis", Status.CLOSED, {"thread": True}),
    ("pneumonia_adult", Status.CLOSED, {"late": True, "urgency": Urgency.URGENT, "claim": False}),
    ("copd", Status.CLOSED, {"thread": True, "thanks": True}),
    ("anaemia", Status.CLOSED, {}),
    ("htn", Status.ANSWERED, {"thread": True}),
    ("uti", Status.ANSWERED, {}),
    ("fever", Status.ASSIGNED, {"thread": True, "claim": False}),
    ("t2dm", Status.ASSIGNED, {}),
    ("copd", Status.ASSIGNED, {"overdue": True, "claim": False}),
    ("gastritis", Status.SUBMITTED, {}),
    ("htn", Status.SUBMITTED, {"urgency": Urgency.URGENT}),
    ("pneumonia_adult", Status.SUBMITTED, {"overdue": True}),
    ("anaemia", Status.DRAFT, {}),
    ("uti", Status.CANCELLED, {}),
    ("pregnancy_oedema", Status.CLOSED, {}),
    ("dermatitis", Status.ANSWERED, {"thread": True}),
    ("cold_child", Status.CLOSED, {}),
    ("pneumonia_child", Status.ASSIGNED, {"urgency": Urgency.URGENT, "thread": True}),
    ("heart_failure", Status.CLOSED, {"thread": True}),
    ("tb", Status.SUBMITTED, {}),
]
# Everyone else's cases: mostly closed, as in a service that has run for a while.
STATUS_MIX = [
    (Status.CLOSED, 52),
    (Status.ANSWERED, 10),
    (Status.ASSIGNED, 11),
    (Status.SUBMITTED, 12),
    (Status.DRAFT, 7),
    (Status.CANCELLED, 5),
]
OTHER_CONSULTS = 280


@dataclass
class Station:
    facility: Facility
    region: str
    area: str  # region, or "ha_giang" for the former Hà Giang province
    legacy_province: int  # pre-2025 province code (citizen IDs and insurance cards use it)
    workers: list[User]


@dataclass
class Plan:
    n: int
    case: Case
    station: Station
    requester: User
    status: str
    urgency: str
    overdue: bool = False  # open, no first response, deadline passed (escalated)
    late: bool = False  # answered after the deadline (escalated first)
    claim: bool = True  # a specialist takes it; otherwise a coordinator assigns it
    thread: bool = False  # the specialist asks, the station replies
    thanks: bool = False
    from_draft: bool = False  # cancelled before it was ever sent
    persona_specialist: bool = False


@dataclass
class Times:
    created: datetime
    submitted: datetime | None = None
    deadline: datetime | None = None
    assigned: datetime | None = None
    escalated: datetime | None = None
    nudge: datetime | None = None
    ask: datetime | None = None
    reply: datetime | None = None
    answered: datetime | None = None
    thanks: datetime | None = None
    closed: datetime | None = None

    def shifted(self, delta: timedelta) -> Times:
        moved = Times(created=self.created - delta)
        for name, value in vars(self).items():
            if name != "created" and value is not None:
                setattr(moved, name, value - delta)
        return moved


def plan_times(plan: Plan, minutes: int, now: datetime, rng: random.Random) -> Times:
    """When each step of ``plan`` happened, consistent with its deadline of ``minutes``."""
    due = timedelta(minutes=minutes)
    # A thread moves in minutes for an emergency and in hours otherwise.
    pace = min(due, timedelta(hours=4))
    drafting = timedelta(minutes=rng.uniform(6, 40))
    status = plan.status
    if status == Status.DRAFT:
        return Times(created=now - timedelta(hours=rng.uniform(1, 96)))
    if status == Status.CANCELLED and plan.from_draft:
        created = now - timedelta(days=rng.uniform(2, 80))
        return Times(created=created, closed=created + timedelta(hours=rng.uniform(1, 48)))
    if status == Status.CANCELLED:
        t0 = now - timedelta(days=rng.uniform(2, 85))
        return Times(
            created=t0 - drafting,
            submitted=t0,
            deadline=t0 + due,
            closed=t0 + pace * rng.uniform(0.05, 0.5),
        )
    if status in (Status.SUBMITTED, Status.ASSIGNED):
        if plan.overdue:
            t0 = now - due * rng.uniform(1.2, 3.0)
            t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
            t.escalated = t0 + due + timedelta(minutes=rng.uniform(1, 5))
            t.nudge = t.escalated + (now - t.escalated) * rng.uniform(0.1, 0.6)
            if status == Status.ASSIGNED:
                t.assigned = t0 + due * rng.uniform(0.1, 0.8)
            return t
        t0 = now - due * rng.uniform(0.1, 0.8)
        t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
        if status == Status.ASSIGNED:
            t.assigned = t0 + (now - t0) * rng.uniform(0.1, 0.5)
            if plan.thread:
                t.ask = t.assigned + (now - t.assigned) * rng.uniform(0.1, 0.5)
                t.reply = t.ask + (now - t.ask) * rng.uniform(0.2, 0.7)
        return t
    # Answered or closed.
    if status == Status.CLOSED:
        t0 = now - timedelta(days=rng.uniform(2, 88))
    else:
        t0 = now - timedelta(hours=rng.uniform(3, 120))
    t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
    if plan.late:
        t.escalated = t0 + due + timedelta(minutes=rng.uniform(1, 5))
        first = t.escalated + pace * rng.uniform(0.2, 1.5)
    else:
        first = t0 + due * rng.uniform(0.05, 0.7)
    t.assigned = t0 + (first - t0) * rng.uniform(0.1, 0.6)
    if plan.thread:
        t.ask = first
        t.reply = first + pace * rng.uniform(0.2, 1.0)
        t.answered = t.reply + pace * rng.uniform(0.2, 1.2)
    else:
        t.answered = first
    last = t.answered
    if plan.thanks:
        t.thanks = last = t.answered + pace * rng.uniform(0.1, 1.0)
    if status == Status.CLOSED:
        t.closed = last = last + timedelta(hours=rng.uniform(1, 72))
    limit = now - timedelta(minutes=5)
    return t.shifted(last - limit) if last > limit else t


# --- pictures ----------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), size)


def _caption(draw: ImageDraw.ImageDraw, text: str, *, dark: bool = False) -> None:
    draw.rectangle([(0, 332), (480, 360)], fill=(20, 20, 20) if not dark else (0, 0, 0))
    draw.text((10, 337), text, font=_font(15), fill=(235, 235, 235))


def _ecg(kind: str, rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (480, 360), (255, 247, 245))
    draw = ImageDraw.Draw(image)
    for x in range(0, 480, 12):
        draw.line([(x, 0), (x, 332)], fill=(236, 170, 170) if x % 60 == 0 else (250, 218, 218))
    for y in range(0, 332, 12):
        draw.line([(0, y), (480, y)], fill=(236, 170, 170) if y % 60 == 0 else (250, 218, 218))
    st = 14 if kind == "ecg_st" else 0
    for row, lead in enumerate(("DI", "DII", "V5")):
        base = 75 + row * 95
        raise_st = st if lead == "DII" else 0
        points = [(0, base)]
        x = rng.randint(4, 30)
        while x < 455:
            jitter = 0 if kind != "ecg_af" else rng.randint(-3, 3)
            if kind != "ecg_af":
                points += [(x, base), (x + 5, base - 6), (x + 10, base)]
            else:
                points += [(x, base + jitter), (x + 5, base - jitter), (x + 10, base + jitter)]
            points += [
                (x + 16, base),
                (x + 18, base + 6),
                (x + 22, base - 48),
                (x + 26, base + 12),
                (x + 29, base - raise_st),
                (x + 38, base - raise_st - 4),
                (x + 45, base - raise_st - 16),
                (x + 52, base),
            ]
            x += rng.randint(42, 100) if kind == "ecg_af" else rng.randint(68, 72)
        points.append((480, base))
        draw.line(points, fill=(25, 25, 25), width=2, joint="curve")
        draw.text((6, base - 40), lead, font=_font(13), fill=(60, 60, 60))
    _caption(draw, "Điện tim — 25 mm/s, 10 mm/mV")
    return image


def _skin(kind: str, rng: random.Random) -> Image.Image:
    tone = (rng.randint(196, 226), rng.randint(152, 180), rng.randint(122, 150))
    image = Image.new("RGB", (480, 360), tone)
    draw = ImageDraw.Draw(image)
    for y in range(0, 360, 4):  # soft light from one side
        shade = int(18 * y / 360)
        draw.line(
            [(0, y), (480, y)], fill=(tone[0] - shade, tone[1] - shade, tone[2] - shade), width=4
        )
    cx, cy = rng.randint(190, 290), rng.randint(140, 200)
    if kind == "ring":
        for _ in range(rng.randint(2, 3)):
            r = rng.randint(38, 70)
            x, y = cx + rng.randint(-120, 120), cy + rng.randint(-70, 60)
            draw.ellipse([(x - r, y - r), (x + r, y + r)], outline=(176, 70, 64), width=9)
            draw.ellipse(
                [(x - r + 9, y - r + 9), (x + r - 9, y + r - 9)],
                fill=(tone[0] - 8, tone[1] - 12, tone[2] - 10),
            )
    elif kind == "papules":
        for _ in range(70):
            x, y = rng.randint(30, 450), rng.randint(30, 310)
            r = rng.randint(2, 5)
            draw.ellipse([(x - r, y - r), (x + r, y + r)], fill=(182, 72, 70))
    elif kind == "wound":
        draw.ellipse([(cx - 120, cy - 55), (cx + 120, cy + 55)], fill=(200, 96, 88))
        draw.ellipse([(cx - 80, cy - 22), (cx + 80, cy + 22)], fill=(140, 30, 34))
        for _ in range(6):
            x, y = cx + rng.randint(-60, 60), cy + rng.randint(-12, 12)
            draw.ellipse([(x - 8, y - 5), (x + 8, y + 5)], fill=(226, 206, 120))
    else:
        points = []
        for i in range(28):
            angle = 2 * math.pi * i / 28
            radius = rng.uniform(70, 110)
            points.append((cx + radius * 1.3 * math.cos(angle), cy + radius * math.sin(angle)))
        draw.polygon(points, fill=(190, 84, 78))
        for _ in range(25):
            x, y = cx + rng.randint(-90, 90), cy + rng.randint(-60, 60)
            draw.ellipse([(x - 4, y - 4), (x + 4, y + 4)], fill=(214, 170, 120))
    image = image.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(image)
    draw.line([(380, 300), (440, 300)], fill=(20, 20, 20), width=3)
    draw.text((395, 306), "1 cm", font=_font(13), fill=(20, 20, 20))
    _caption(
        draw,
        "Ảnh chụp tại trạm — tổn thương da"
        if kind != "wound"
        else "Ảnh chụp tại trạm — vết thương",
    )
    return image


def _xray(rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (480, 360), (12, 12, 12))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([(70, 30), (410, 340)], radius=90, fill=(120, 120, 120))
    draw.ellipse([(100, 60), (230, 320)], fill=(45, 45, 45))
    draw.ellipse([(250, 60), (380, 320)], fill=(45, 45, 45))
    draw.rectangle([(228, 30), (252, 340)], fill=(200, 200, 200))
    for i in range(8):
        y = 70 + i * 30
        draw.arc([(95, y - 20), (235, y + 40)], 200, 340, fill=(150, 150, 150), width=5)
        draw.arc([(245, y - 20), (385, y + 40)], 200, 340, fill=(150, 150, 150), width=5)
    draw.ellipse([(225, 190), (330, 290)], fill=(165, 165, 165))  # heart
    x, y = rng.randint(120, 160), rng.randint(220, 250)
    draw.ellipse([(x, y), (x + 80, y + 60)], fill=(125, 125, 125))  # the opacity
    image = image.filter(ImageFilter.GaussianBlur(4))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "P", font=_font(28), fill=(240, 240, 240))
    _caption(draw, "X-quang ngực thẳng — TTYT khu vực", dark=True)
    return image


def picture(kind: str, rng: random.Random) -> bytes:
    """A small JPEG that looks enough like an ECG, a skin lesion, a wound or a chest film."""
    if kind.startswith("ecg"):
        image = _ecg(kind, rng)
    elif kind == "xray":
        image = _xray(rng)
    else:
        image = _skin(kind, rng)
    out = io.BytesIO()
    # The thin lines of an ECG grid cost many bytes; a lower quality keeps it near 25 KB.
    image.save(out, "JPEG", quality=55 if kind.startswith("ecg") else 72, optimize=True)
    return out.getvalue()


# --- the loader --------------------------------------------------------------------------------


class DemoConsults:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.rng = random.Random(SEED)
        self.names = NameMaker(f"{SEED}:patients")
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.specialties = {s.code: s for s in Specialty.objects.all()}
        self.codes = {
            c.code: c
            for c in IcdCode.objects.filter(code__in={x for case in CASES for x in case.codes})
        }
        self.hubs: dict[tuple[int, int], Facility | None] = {}
        self.specialists: dict[tuple[int, int], list[User]] = {}
        self.coordinators: dict[int, list[User]] = {}
        self.users: dict[int, User] = {}
        self.serials: set[int] = set()
        self.persona = {
            u.username: u
            for u in User.objects.filter(username__in=["worker", "specialist", "coordinator"])
        }

    # --- people and places --------------------------------------------------------------------

    def user(self, user_id: int) -> User:
        # One object per person: the access scope is cached on it, so the services' permission
        # checks cost no query after the first.
        if user_id not in self.users:
            self.users[user_id] = User.objects.get(pk=user_id)
        return self.users[user_id]

    def station(self, facility: Facility) -> Station:
        commune = facility.commune
        assert commune is not None
        legacy = (
            facility.province.legacy_codes[0]
            if facility.province.legacy_codes
            else facility.province.code
        )
        if commune.legacy_district_codes:
            legacy = District.from_code(
                DistrictCode(commune.legacy_district_codes[0])
            ).province_code
        region = REGION[facility.province.code]
        workers = [
            self.user(uid)
            for uid in Membership.objects.active()
            .filter(facility=facility, role=Role.WORKER)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        ]
        return Station(
            facility=facility,
            region=region,
            area="ha_giang" if legacy == HA_GIANG else region,
            legacy_province=int(legacy),
            workers=workers,
        )

    def stations(self, home: Facility) -> list[Station]:
        chosen = []
        for province, count in STATIONS_PER_PROVINCE.items():
            candidates = list(
                Facility.objects.active()
                .filter(kind=FacilityKind.STATION, province__code=province)
                .exclude(pk=home.pk)
                .select_related("province", "commune")
                .order_by("code")
            )
            chosen += self.rng.sample(candidates, min(count, len(candidates)))
        return [s for s in (self.station(f) for f in chosen) if s.workers]

    def hub(self, station: Station, specialty: Specialty) -> Facility | None:
        key = (station.facility.pk, specialty.pk)
        if key not in self.hubs:
            self.hubs[key] = route(station.facility, specialty)
        return self.hubs[key]

    def specialists_of(self, hub: Facility, specialty: Specialty) -> list[User]:
        key = (hub.pk, specialty.pk)
        if key not in self.specialists:
            ids = (
                Membership.objects.active()
                .filter(facility=hub, role=Role.SPECIALIST, specialties=specialty)
                .order_by("user_id")
                .values_list("user_id", flat=True)
            )
            self.specialists[key] = [self.user(uid) for uid in ids]
        return self.specialists[key]

    def coordinator_of(self, hub: Facility) -> User:
        if hub.pk not in self.coordinators:
            ids = (
                Membership.objects.active()
                .filter(facility=hub, role=Role.COORDINATOR)
                .order_by("user_id")
                .values_list("user_id", flat=True)
            )
            self.coordinators[hub.pk] = [self.user(uid) for uid in ids]
        people = self.coordinators[hub.pk]
        persona = self.persona.get("coordinator")
        if persona is not None and persona in people:
            return persona  # The persona triages her hub's cases, so her history is full.
        return self.rng.choice(people)

    # --- patients -----------------------------------------------------------------------------

    def ethnicity(self, station: Station, full_name: str) -> str:
        family = full_name.split()[0]
        if station.region in (MOUNTAIN, CENTRAL) and family in FAMILY_ETHNICITY:
            group = FAMILY_ETHNICITY[family]
        else:
            mix = ETHNIC_MIX[station.area]
            group = self.rng.choices([g for g, _ in mix], weights=[w for _, w in mix])[0]
        return f"{ETHNIC_GROUPS.index(group) + 1:02d}"

    def serial(self, digits: int) -> int:
        while True:
            value = self.rng.randrange(10 ** (digits - 1), 10**digits)
            if value not in self.serials:
                self.serials.add(value)
                return value

    def birth(self, case: Case) -> tuple[date, int]:
        low, high = case.ages
        if high < 6:
            days = self.rng.randint(max(low * 365, 20), (high + 1) * 365 - 10)
            born = self.today - timedelta(days=days)
        else:
            age = self.rng.randint(low, high)
            born = date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
        age = (
            self.today.year
            - born.year
            - ((self.today.month, self.today.day) < (born.month, born.day))
        )
        return born, age

    def phone(self) -> str:
        return f"+84{self.rng.choice(MOBILE)}{self.rng.randrange(10**7):07d}"

    def insurance(self, station: Station, age: int, ethnicity: str, household: str) -> str:
        rng = self.rng
        if rng.random() < 0.07:
            return ""  # Not everyone holds a card.
        if age < 6:
            group = "TE1"
        elif household == Household.POOR:
            group = "HN2"
        elif ethnicity != "01" and station.region == MOUNTAIN:
            group = "DT2"
        elif household == Household.NEAR_POOR:
            group = "CN3"
        elif age >= 80:
            group = "BT2"
        elif age >= 60 and rng.random() < 0.4:
            group = "HT3"
        elif 18 <= age < 60 and rng.random() < 0.2:
            group = "DN4"
        else:
            group = "GD4"
        return f"{group}{station.legacy_province:02d}{self.serial(10):010d}"

    def register(self, plan: Plan, when: datetime) -> Patient:
        rng = self.rng
        case, station = plan.case, plan.station
        sex = case.sex or rng.choice([Sex.FEMALE, Sex.MALE])
        full_name = self.names.person(north=station.region == MOUNTAIN, female=sex == Sex.FEMALE)
        born, age = self.birth(case)
        ethnicity = self.ethnicity(station, full_name)
        poor, near_poor = HOUSEHOLD_MIX[station.area]
        roll = rng.randrange(100)
        household = (
            Household.POOR
            if roll < poor
            else Household.NEAR_POOR
            if roll < poor + near_poor
            else ""
        )
        citizen_id = ""
        if age >= 6 or rng.random() < 0.7:
            century = 2 if born.year >= 2000 else 0
            digit = century + (1 if sex == Sex.FEMALE else 0)
            citizen_id = (
                f"{station.legacy_province:03d}{digit}{born.year % 100:02d}{self.serial(6):06d}"
            )
        # Older people in the mountains often know only their age.
        estimated = age >= 60 and ethnicity != "01" and rng.random() < 0.4
        phone = ""
        if age < 6 or age >= 60:
            phone = self.phone() if rng.random() < 0.6 else ""  # a relative's phone
        elif rng.random() < 0.85:
            phone = self.phone()
        village = "Ấp" if station.region == SOUTH else "Thôn"
        commune = station.facility.commune
        assert commune is not None  # stations are placed in their commune
        data = PatientInput(
            full_name=full_name,
            sex=sex,
            commune=commune,
            birth_date=None if estimated else born,
            # The estimate is 1 January of (this year - age): keep the citizen ID's year.
            age_years=self.today.year - born.year if estimated else None,
            citizen_id=citizen_id,
            insurance_number=self.insurance(station, age, ethnicity, household),
            phone=phone,
            address=f"{village} {rng.randint(1, 14)}",
            ethnicity=ethnicity,
            household=household,
            has_disability=rng.random() < 0.03,
        )
        # Generated people are distinct by construction (serial numbers), so the look-alike
        # check would only stop two different people who happen to share a name and birthday.
        patient, _created = patient_register(
            actor=plan.requester,
            facility=station.facility,
            data=data,
            client_id=stable_uuid("demo-patient", plan.n),
            allow_duplicate=True,
        )
        registered = when - (
            timedelta(days=rng.uniform(1, 400))
            if rng.random() < 0.4
            else timedelta(minutes=rng.uniform(20, 180))
        )
        Patient.objects.filter(pk=patient.pk).update(created_at=registered, updated_at=registered)
        if plan.status == Status.DRAFT and rng.random() < 0.3:
            return patient  # Consent still to be asked: the case stays a draft.
        given_by = ""
        if age < 16:
            # A child's consent is given by a representative (Law 91/2025), usually the mother.
            mother = rng.random() < 0.8
            parent = self.names.person(north=station.region == MOUNTAIN, female=mother)
            given_by = f"{parent} ({'mẹ' if mother else 'bố'})"
        consent = consent_record(
            patient=patient,
            actor=plan.requester,
            method=ConsentMethod.VERBAL if rng.random() < 0.6 else ConsentMethod.WRITTEN,
            given_by=given_by,
        )
        PatientConsent.objects.filter(pk=consent.pk).update(given_at=when - timedelta(minutes=3))
        return patient

    # --- clinical content ---------------------------------------------------------------------

    def summary(self, case: Case, patient: Patient) -> dict[str, Any]:
        rng = self.rng
        context = {
            "days": rng.randint(2, 6),
            "weeks": rng.randint(2, 6),
            "months": rng.randint(2, 8),
            "years": rng.randint(2, 12),
            "hours": rng.randint(1, 4),
            "gestation": rng.randint(24, 36),
        }
        summary: dict[str, Any] = {
            "reason": case.reason.format(**context),
            "history": case.history.format(**context),
            "examination": case.examination,
            "current_treatment": case.treatment,
            "question": case.question,
        }
        age = patient.age(self.today)
        child = age < 6
        ranges: dict[str, tuple[float, float]] = {}
        usual = (
            {
                "temperature": (36.6, 37.3),
                "pulse": (100, 130),
                "respiratory_rate": (24, 36),
                "spo2": (96, 99),
            }
            if child
            else {
                "temperature": (36.4, 37.1),
                "pulse": (68, 90),
                "systolic": (105, 135),
                "diastolic": (65, 85),
                "respiratory_rate": (16, 20),
                "spo2": (96, 99),
            }
        )
        for name, span in usual.items():
            if rng.random() < (
                0.9 if name in ("temperature", "pulse", "systolic", "diastolic") else 0.5
            ):
                ranges[name] = span
        if "systolic" in ranges:
            ranges["diastolic"] = usual["diastolic"]
        ranges.update(case.vitals)
        places = {"temperature": 1, "glucose": 1}
        for name, (low, high) in ranges.items():
            value = rng.uniform(low, high)
            summary[name] = Decimal(f"{value:.{places.get(name, 0)}f}")
        weight, height = self.body(age, patient, case)
        if child or rng.random() < 0.6:
            summary["weight"] = weight
        if child or rng.random() < 0.2:
            summary["height"] = height
        return summary

    def body(self, age: int, patient: Patient, case: Case) -> tuple[Decimal, Decimal]:
        rng = self.rng
        if age < 6:
            months = (self.today - patient.birth_date).days / 30.4
            weight = 3.3 + 0.6 * months if months < 12 else 9.5 + 0.17 * (months - 12)
            height = 50 + 2.1 * months if months < 12 else 75 + 0.65 * (months - 12)
            if case.key == "malnutrition":
                weight *= 0.75
            weight *= rng.uniform(0.9, 1.1)
            height *= rng.uniform(0.96, 1.04)
        elif patient.sex == Sex.FEMALE:
            weight, height = rng.uniform(40, 58), rng.uniform(145, 158)
        else:
            weight, height = rng.uniform(46, 68), rng.uniform(153, 168)
        return Decimal(f"{weight:.1f}"), Decimal(f"{height:.1f}")

    # --- backdating ---------------------------------------------------------------------------

    def stamp(
        self,
        c: Consultation,
        at: datetime,
        *,
        created: datetime | None = None,
        deadline: datetime | None = None,
    ) -> None:
        """Move what the last service call wrote for ``c`` to ``at``.

        Rows written during this run are the only ones at or after ``self.now``; everything
        planned is earlier, so "at or after now" picks exactly the last step's rows.
        """
        now = self.now
        ConsultationEvent.objects.filter(consultation_id=c.pk, at__gte=now).update(at=at)
        Message.objects.filter(consultation_id=c.pk, created_at__gte=now).update(created_at=at)
        Attachment.objects.filter(consultation_id=c.pk, created_at__gte=now).update(created_at=at)
        url = c.get_absolute_url()
        Notification.objects.filter(url=url, created_at__gte=now).update(created_at=at)
        fields = [
            "submitted_at",
            "assigned_at",
            "first_response_at",
            "escalated_at",
            "answered_at",
            "closed_at",
        ]
        row = Consultation.objects.filter(pk=c.pk).values(*fields).get()
        changes: dict[str, Any] = {
            name: at for name, value in row.items() if value is not None and value >= now
        }
        changes["updated_at"] = at
        if created is not None:
            changes["created_at"] = created
            ConsultationEvent.objects.filter(consultation_id=c.pk, kind=EventKind.CREATED).update(
                at=created
            )
        if deadline is not None:
            changes["deadline_at"] = deadline
            # The hub's notification names the deadline; it was written with the real one.
            if c.deadline_at is not None:
                written = timezone.localtime(c.deadline_at).strftime("%d/%m/%Y %H:%M")
                planned = timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")
                Notification.objects.filter(url=url, kind="consult.new").update(
                    body=Replace(F("body"), Value(written), Value(planned))
                )
        Consultation.objects.filter(pk=c.pk).update(**changes)

    # --- one consultation ---------------------------------------------------------------------

    def make(self, plan: Plan) -> Consultation:
        rng = self.rng
        case, station = plan.case, plan.station
        specialty = self.specialties[case.specialty]
        hub = self.hub(station, specialty)
        if hub is None:
            raise ValueError(f"No hub supports {station.facility} in {specialty.code}.")
        times = plan_times(plan, deadline_minutes(hub.pk, plan.urgency), self.now, rng)
        patient = self.register(plan, times.created)
        image = case.image if case.image and rng.random() < 0.85 else ""
        image_in_reply = bool(image) and plan.thread and rng.random() < 0.3
        uploads = (
            [Upload(IMAGE_NAMES[image], picture(image, rng))]
            if image and not image_in_reply
            else []
        )
        data = ConsultationInput(
            patient=patient,
            specialty=specialty,
            urgency=plan.urgency,
            summary=self.summary(case, patient),
            uploads=uploads,
        )
        send = plan.status != Status.DRAFT and not plan.from_draft
        requester = plan.requester
        c, _created = consultation_submit(
            actor=requester, client_id=stable_uuid("demo-consult", plan.n), data=data, submit=send
        )
        self.stamp(
            c, times.submitted or times.created, created=times.created, deadline=times.deadline
        )
        if plan.status == Status.CANCELLED:
            c = consultation_cancel(consultation=c, actor=requester)
            assert times.closed is not None
            self.stamp(c, times.closed)
            return c
        if plan.status == Status.DRAFT:
            return c

        assert c.hub_id == hub.pk
        specialist = self.pick_specialist(plan, hub, specialty)
        if times.assigned is not None:
            if plan.claim:
                c = consultation_claim(consultation=c, actor=specialist)
            else:
                c = consultation_assign(
                    consultation=c, actor=self.coordinator_of(hub), specialist=specialist
                )
            self.stamp(c, times.assigned)
        if times.escalated is not None:
            # The deadline task would do this when the deadline passed; the deadline is already
            # in the past, so the real escalation runs now.
            consultation_escalate(consultation_id=c.pk)
            self.stamp(c, times.escalated)
        if times.nudge is not None:
            message_post(consultation=c, actor=requester, body=rng.choice(NUDGES))
            self.stamp(c, times.nudge)
        asked = None
        if times.ask is not None:
            asked, _created = message_post(
                consultation=c,
                actor=specialist,
                body=case.ask,
                client_id=stable_uuid("demo-message", f"{plan.n}:ask"),
            )
            self.stamp(c, times.ask)
        if times.reply is not None:
            message_post(
                consultation=c,
                actor=requester,
                body=case.reply,
                parent=asked,
                uploads=[Upload(IMAGE_NAMES[image], picture(image, rng))]
                if image_in_reply
                else None,
                client_id=stable_uuid("demo-message", f"{plan.n}:reply"),
            )
            self.stamp(c, times.reply)
        if times.answered is not None:
            c = advice_record(
                consultation=c,
                actor=specialist,
                advice=case.advice,
                outcome=case.outcome,
                diagnoses=[self.codes[code] for code in case.codes if code in self.codes],
            )
            self.stamp(c, times.answered)
        if times.thanks is not None:
            message_post(consultation=c, actor=requester, body=rng.choice(THANKS))
            self.stamp(c, times.thanks)
        if times.closed is not None:
            c = consultation_close(consultation=c, actor=requester, action_taken=case.action)
            self.stamp(c, times.closed)
        if (
            times.ask is None
            and times.answered is None
            and times.deadline
            and times.deadline > self.now
        ):
            self.schedule_deadline(c.pk, times.deadline)
        return c

    def pick_specialist(self, plan: Plan, hub: Facility, specialty: Specialty) -> User:
        people = self.specialists_of(hub, specialty)
        persona = self.persona.get("specialist")
        if (
            persona is not None
            and persona in people
            and (plan.persona_specialist or self.rng.random() < 0.5)
        ):
            return persona
        if not people:
            raise ValueError(f"{hub} has no specialist in {specialty.code}.")
        return self.rng.choice(people)

    def schedule_deadline(self, consult_id: int, when: datetime) -> None:
        """The submission scheduled the deadline check at the real submission time plus the
        deadline; the demo moved the submission back, so check again when it is really due.
        (The first check finds nothing to do: the escalation looks at the current deadline.)"""
        from caunoi.consults.tasks import consultation_deadline_check

        transaction.on_commit(
            lambda: consultation_deadline_check.using(run_after=when).enqueue(consult_id)
        )

    # --- the plan -----------------------------------------------------------------------------

    def plans(self, home: Station, others: list[Station]) -> list[Plan]:
        rng = self.rng
        worker = self.persona["worker"]
        plans = []
        for n, (key, status, options) in enumerate(WORKER_PLAN):
            case = CASE_BY_KEY[key]
            plans.append(
                Plan(
                    n=n,
                    case=case,
                    station=home,
                    requester=worker,
                    status=status,
                    urgency=options.get("urgency", Urgency.ROUTINE),
                    overdue=options.get("overdue", False),
                    late=options.get("late", False),
                    claim=options.get("claim", True),
                    thread=options.get("thread", False),
                    thanks=options.get("thanks", False),
                    persona_specialist=True,
                )
            )
        weights = [REGION_WEIGHT[s.region] for s in others]
        for n in range(len(plans), len(plans) + OTHER_CONSULTS):
            station = rng.choices(others, weights=weights)[0]
            cases = [c for c in CASES if not c.regions or station.region in c.regions]
            case = rng.choices(cases, weights=[c.weight for c in cases])[0]
            status = rng.choices([s for s, _ in STATUS_MIX], weights=[w for _, w in STATUS_MIX])[0]
            urgency = rng.choices(
                [Urgency.ROUTINE, Urgency.URGENT, Urgency.EMERGENCY], weights=case.urgency
            )[0]
            answered = status in (Status.ANSWERED, Status.CLOSED)
            plans.append(
                Plan(
                    n=n,
                    case=case,
                    station=station,
                    requester=rng.choice(station.workers),
                    status=status,
                    urgency=urgency,
                    overdue=(status == Status.SUBMITTED and rng.random() < 0.35)
                    or (status == Status.ASSIGNED and rng.random() < 0.25),
                    late=answered and rng.random() < 0.12,
                    claim=rng.random() < 0.5,
                    thread=(answered and rng.random() < 0.55)
                    or (status == Status.ASSIGNED and rng.random() < 0.5),
                    thanks=answered and rng.random() < 0.4,
                    from_draft=status == Status.CANCELLED and rng.random() < 0.3,
                )
            )
        return plans


def demo_consults_load(*, progress: Callable[[str], None] | None = None) -> int:
    """Make the demo consultations once; a second call finds them and makes none."""
    say = progress or (lambda _message: None)
    # The worker persona's first demo case marks the load; her other consultations (her own,
    # or generated by ``scale_consults``) do not.
    if Consultation.objects.filter(
        requester__username=MARKER, client_id=stable_uuid("demo-consult", 0)
    ).exists():
        say("demo consultations already loaded")
        return 0
    worker = (
        Membership.objects.active()
        .filter(user__username=MARKER, role=Role.WORKER)
        .select_related("facility__province", "facility__commune")
        .first()
    )
    if worker is None or worker.facility is None:
        raise ValueError("Load the demo network first: the worker persona is missing.")
    with transaction.atomic():
        loader = DemoConsults(say)
        home = loader.station(worker.facility)
        home.workers = [loader.persona[MARKER]]
        others = loader.stations(worker.facility)
        plans = loader.plans(home, others)
        first_notification = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        made: dict[str, int] = defaultdict(int)
        for index, plan in enumerate(plans, start=1):
            c = loader.make(plan)
            made[c.status] += 1
            if index % 50 == 0 or index == len(plans):
                say(f"consultations: {index}/{len(plans)}")
        # The demo's past notifications were delivered at the time (and those older than two
        # days were read), so starting the worker does not mail hundreds of old alerts.
        ours = Notification.objects.filter(id__gt=first_notification)
        ours.update(emailed_at=F("created_at"))
        ours.filter(created_at__lt=loader.now - timedelta(days=2)).update(
            read_at=F("created_at") + timedelta(hours=2)
        )
        say(", ".join(f"{status}: {made[status]}" for status in Status.values))
    return len(plans)


# --- on-call roster --------------------------------------------------------------------------

# A Vietnamese hospital's on-call rhythm (lịch trực): 24-hour shifts handed over at 07:00.
ROSTER_HANDOVER = time(7)
ROSTER_DAYS = 7


def demo_roster_load(*, progress: Callable[[str], None] | None = None) -> int:
    """Each hub's on-call roster for the week ahead, so that a coordinator finds one to keep:
    for every common specialty, a 24-hour shift from 07:00 (from yesterday's, which may still
    run, to a week ahead), taken in turn by the hub's specialists of that specialty. The
    coordinator makes them through ``oncall_shift_add``, as on the page (audited).

    Deterministic: who is on call on a day follows from the date alone (its ordinal, modulo
    the specialists of the specialty ordered by username). A hub that already has a roster is
    left as it is, so a second run makes nothing."""
    say = progress or (lambda _message: None)
    today = timezone.localdate()
    specialties = list(Specialty.objects.filter(is_common=True).order_by("sort_order", "code"))
    hubs = Facility.objects.active().filter(is_hub=True).order_by("code")
    made = 0
    with transaction.atomic():
        for hub in hubs:
            if OnCallShift.objects.filter(hub=hub).exists():
                continue
            staff = (
                Membership.objects.active()
                .filter(facility=hub, role__in=[Role.SPECIALIST, Role.COORDINATOR])
                .select_related("user")
                .prefetch_related("specialties")
                .order_by("user__username")
            )
            coordinator = next((m.user for m in staff if m.role == Role.COORDINATOR), None)
            if coordinator is None:
                continue
            # The persona keeps her own hub's roster, so its audit trail is hers.
            coordinator = next(
                (m.user for m in staff if m.user.username == "coordinator"), coordinator
            )
            on_call: dict[int, list[User]] = defaultdict(list)
            for m in staff:
                if m.role == Role.SPECIALIST:
                    for s in m.specialties.all():
                        on_call[s.pk].append(m.user)
            for offset in range(-1, ROSTER_DAYS):
                day = today + timedelta(days=offset)
                starts_at = timezone.make_aware(datetime.combine(day, ROSTER_HANDOVER))
                for specialty in specialties:
                    people = on_call.get(specialty.pk)
                    if not people:
                        continue
                    oncall_shift_add(
                        actor=coordinator,
                        hub=hub,
                        user=people[day.toordinal() % len(people)],
                        specialty=specialty,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=24),
                    )
                    made += 1
    say(f"on-call shifts: {made}")
    return made
