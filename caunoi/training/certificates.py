"""Certificates of completed courses: the number, the signed credential, the PDF.

**The signed credential.** Each certificate is also a W3C Verifiable Credential (data model
2.0) of type ``OpenBadgeCredential`` (Open Badges 3.0), secured as a compact JWS
(``typ: vc+jwt``, ``alg: EdDSA``, Ed25519): a wallet or another registry can check it without
asking us, with the public key published at ``/training/certificates/jwks.json``. The key is
``CERTIFICATE_SIGNING_KEY`` (32 bytes, base64url); without one, it is derived from
``SECRET_KEY``, which is enough for the demo and a single server but ties the credentials to
that secret — production sets its own (``caunoi certificate-key`` prints a new one).

The verification page checks the stored credential's signature *and* that what it says is
what the registry issued for that number; a credential pasted by a visitor is checked the same way, so an edited
name or number (a tampered credential) is rejected even when the rest is genuine.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils import timezone

from caunoi.core.pdf import VietnameseDocument, number_vi
from caunoi.training.models import Certificate

# No 0/O, 1/I/L: a number read aloud over the telephone or typed from paper.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
KEY_ID = "caunoi-certificates-1"


def new_number() -> str:
    """``CN-XXXX-XXXX``: 8 random characters (~40 bits), unguessable enough that the public
    verification page cannot be walked."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"CN-{chars[:4]}-{chars[4:]}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key() -> Ed25519PrivateKey:
    configured = getattr(settings, "CERTIFICATE_SIGNING_KEY", "")
    if configured:
        seed = _unb64(configured)
    else:
        seed = hashlib.sha256(f"caunoi-certificates:{settings.SECRET_KEY}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_jwk() -> dict[str, str]:
    raw = signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": KEY_ID, "use": "sig"}


def credential_claims(c: Certificate) -> dict[str, Any]:
    """The credential's content: only what the public page shows (name, course, tiết, dates,
    issuer) — no date of birth, no licence number."""
    course, centre = c.course, c.course.centre
    site = settings.SITE_URL.rstrip("/")
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{c.public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": f"{site}/training/centres/{centre.public_id}",
            "type": ["Profile"],
            "name": centre.facility.name,
            "otherIdentifier": [
                {
                    "type": "IdentifierEntry",
                    "identifier": centre.cme_provider_code,
                    "identifierType": "identifier",
                }
            ],
        },
        "validFrom": c.issued_at.isoformat(),
        "name": course.title_vi,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": c.user.full_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": {
                "id": f"{site}{course.get_absolute_url()}",
                "type": ["Achievement"],
                "name": course.title_vi,
                "criteria": {
                    "narrative": "Có mặt ở mọi buổi học của khoá (tối thiểu 80% thời lượng mỗi buổi)."
                },
                "creditsAvailable": float(course.tiet),
                "resultDescription": [],
            },
        },
        "credentialStatus": {
            "id": f"{site}{c.get_verify_url()}",
            "type": "CauNoiCertificateStatus",
        },
        "certificateNumber": c.number,
        "tiet": str(c.credit.tiet),
        "period": [
            course.starts_on.isoformat() if course.starts_on else None,
            course.ends_on.isoformat() if course.ends_on else None,
        ],
    }


def sign(claims: dict[str, Any]) -> str:
    header = {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": KEY_ID}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = signing_key().sign(signing_input.encode())
    return f"{signing_input}.{_b64(signature)}"


@dataclass(frozen=True)
class Check:
    """What a credential proves: ``signed`` (our key signed exactly these bytes), the claims it
    carries, and ``matches`` (they are what the registry holds for that number)."""

    signed: bool
    claims: dict[str, Any] | None
    matches: bool
    certificate: Certificate | None

    @property
    def genuine(self) -> bool:
        return self.signed and self.matches


def verify(token: str) -> Check:
    """Check a credential: its signature with our public key, then its claims against the
    certificate of the number it names."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return Check(False, None, False, None)
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError):
        return Check(False, None, False, None)
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or not isinstance(claims, dict):
        return Check(False, None, False, None)
    public: Ed25519PublicKey = signing_key().public_key()
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode())
        signed = True
    except InvalidSignature:
        signed = False
    number = claims.get("certificateNumber")
    cert = (
        Certificate.objects.select_related("course__centre__facility", "user", "credit")
        .filter(number=number)
        .first()
        if isinstance(number, str)
        else None
    )
    # The registry keeps the credential it issued: the claims must be those, to the letter.
    matches = cert is not None and json.loads(_unb64(cert.credential.split(".")[1])) == claims
    return Check(signed, claims, matches, cert)


def certificate_pdf(c: Certificate, *, licence_number: str = "", birth_date: str = "") -> bytes:
    """The certificate in Vietnamese, with what Appendix II of Circular 32/2023/TT-BYT asks,
    and a QR code of its public verification page."""
    course, centre = c.course, c.course.centre
    pdf = VietnameseDocument("Giấy chứng nhận đào tạo liên tục")
    pdf.letterhead(
        centre.facility.name,
        "GIẤY CHỨNG NHẬN ĐÀO TẠO LIÊN TỤC",
        f"Số: {c.number} · Mã cơ sở đào tạo liên tục: {centre.cme_provider_code}",
    )
    pdf.text_block(f"{centre.facility.name.upper()} CHỨNG NHẬN", 11, bold=True, align="C")
    pdf.ln(3)
    pdf.field("Ông/Bà", c.user.full_name)
    pdf.field("Ngày sinh", birth_date or "—")
    pdf.field("Số giấy phép hành nghề", licence_number or "—")
    pdf.field("Đã hoàn thành khoá đào tạo", course.title_vi)
    period = "—"
    if course.starts_on and course.ends_on:
        period = f"từ ngày {course.starts_on:%d/%m/%Y} đến ngày {course.ends_on:%d/%m/%Y}"
    pdf.field("Thời gian đào tạo", period)
    pdf.field("Hình thức đào tạo", _format_vi(course.format))
    tiet = c.credit.tiet
    pdf.field("Số tiết học", number_vi(int(tiet)) if tiet == int(tiet) else number_vi(tiet, 1))
    pdf.field("Đơn vị tổ chức", f"{centre.facility.name} (mã {centre.cme_provider_code})")
    if c.revoked_at is not None:
        pdf.ln(2)
        pdf.text_block(
            f"ĐÃ THU HỒI ngày {timezone.localtime(c.revoked_at):%d/%m/%Y}", 12, bold=True
        )
    issued = timezone.localtime(c.issued_at)
    pdf.signatures(
        ("", ""),
        ((centre.signer_title or "Giám đốc").upper(), centre.signer_name or ""),
        dated=f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
    )
    url = f"{settings.SITE_URL.rstrip('/')}{c.get_verify_url()}"
    qr = segno.make(url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=4, border=2)
    pdf.ln(6)
    y = pdf.get_y()
    pdf.image(png, x=pdf.l_margin, y=y, w=30, h=30)
    pdf.set_xy(pdf.l_margin + 34, y + 6)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        pdf.epw - 34, 5, f"Kiểm tra giấy chứng nhận này: quét mã QR hoặc mở {url}", align="L"
    )
    return pdf.render()


def _format_vi(value: str) -> str:
    return {
        "live_online": "trực tuyến",
        "recorded": "bài giảng ghi sẵn",
        "in_person": "trực tiếp",
        "blended": "kết hợp trực tuyến và trực tiếp",
    }.get(value, value)
