"""The 54 ethnic groups of Vietnam with the statistics office's codes (01 Kinh … 54 Rơ Măm).

Names are proper names and are not translated. The code order follows the General Statistics
Office list (recalled from its published table; see DOMAIN.md — confirm before exchanging codes
with another system). Everyone but the Kinh is an ethnic minority for equity reporting.
"""

from __future__ import annotations

ETHNIC_GROUPS = [
    "Kinh", "Tày", "Thái", "Hoa", "Khơ-me", "Mường", "Nùng", "H'Mông", "Dao", "Gia-rai",
    "Ngái", "Ê-đê", "Ba-na", "Xơ-đăng", "Sán Chay", "Cơ-ho", "Chăm", "Sán Dìu", "Hrê", "Mnông",
    "Ra-glai", "Xtiêng", "Bru-Vân Kiều", "Thổ", "Giáy", "Cơ-tu", "Giẻ-Triêng", "Mạ", "Khơ-mú",
    "Co", "Tà-ôi", "Chơ-ro", "Kháng", "Xinh-mun", "Hà Nhì", "Chu-ru", "Lào", "La Chí", "La Ha",
    "Phù Lá", "La Hủ", "Lự", "Lô Lô", "Chứt", "Mảng", "Pà Thẻn", "Cơ Lao", "Cống", "Bố Y",
    "Si La", "Pu Péo", "Brâu", "Ơ Đu", "Rơ Măm",
]  # fmt: skip

KINH = "01"

ETHNICITY_CHOICES = [(f"{i:02d}", name) for i, name in enumerate(ETHNIC_GROUPS, 1)]
ETHNICITY_PATTERN = r"^(0[1-9]|[1-4][0-9]|5[0-4])$"
