"""How an ICD-10 code leaves the JSON API (consultations and referrals use it)."""

from __future__ import annotations

from ninja import Field, Schema

from caunoi.codes.models import IcdCode


class DiagnosisOut(Schema):
    code: str
    title: str = Field(
        description="In the request's language (Accept-Language or the user's setting): the "
        "Vietnamese title unless English is asked for; the English title when the code has "
        "no Vietnamese one yet."
    )
    title_en: str = Field(description="WHO's English title.")
    title_vi: str | None = Field(description="The Vietnamese title, if there is one.")
    title_vi_source: str | None = Field(
        description='Where the Vietnamese title comes from: "moh" (the Ministry of Health\'s '
        'list, QĐ 4469/QĐ-BYT), "caunoi" (the Cầu Nối project\'s translation) or "admin" '
        "(entered by an administrator)."
    )


def diagnosis_out(d: IcdCode) -> dict[str, str | None]:
    return {
        "code": d.code,
        "title": d.title,
        "title_en": d.title_en,
        "title_vi": d.title_vi or None,
        "title_vi_source": d.title_vi_source or None,
    }
