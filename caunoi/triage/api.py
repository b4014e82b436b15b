from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from caunoi.core.api import FieldErrors
from caunoi.triage import engine
from caunoi.triage.present import (
    NOTICE,
    instruction_texts,
    missing_labels,
    not_fitting_message,
    signs_out,
)

router = Router(tags=["triage"])


class TriageIn(Schema):
    """What the station sees: the patient's age and sex, the measurements taken (leave out
    those not taken), the consciousness on the ACVPU scale and the signs found."""

    model_config = ConfigDict(extra="forbid")
    age_months: int = Field(..., ge=0, le=1800, description="Age in whole months")
    sex: Literal["male", "female", ""] = ""
    temperature: Decimal | None = Field(None, ge=30, le=45, decimal_places=1, description="°C")
    pulse: Decimal | None = Field(None, ge=20, le=250, decimal_places=0, description="beats/min")
    systolic: Decimal | None = Field(None, ge=50, le=260, decimal_places=0, description="mmHg")
    diastolic: Decimal | None = Field(None, ge=20, le=160, decimal_places=0, description="mmHg")
    respiratory_rate: Decimal | None = Field(
        None, ge=4, le=80, decimal_places=0, description="breaths/min"
    )
    spo2: Decimal | None = Field(
        None, ge=50, le=100, decimal_places=0, description="%, on air or on oxygen"
    )
    consciousness: Literal["A", "C", "V", "P", "U", ""] = Field(
        "", description="A alert, C new confusion, V voice, P pain, U unresponsive"
    )
    signs: list[str] = Field(
        default_factory=list, max_length=30, description="Ids of the signs found (GET the rules)"
    )


class SignOut(Schema):
    id: str
    urgency: str
    label: str
    instruction: str
    source: str = Field(description="The guideline, its edition, and the section")


class ScoreOut(Schema):
    id: str
    total: int
    complete: bool = Field(description="False when a measurement of the score was missing")


class MissingOut(Schema):
    name: str
    label: str


class CheckOut(Schema):
    version: str = Field(description="The version of the rule set")
    urgency: str = Field(description="The urgency the signs imply: routine when none")
    signs: list[SignOut]
    score: ScoreOut | None
    missing: list[MissingOut] = Field(description="Measurements that would help the check")


class TriageOut(CheckOut):
    instructions: list[str] = Field(description="What to do while waiting, one per line")
    notice: str


@router.post(
    "/triage/check", response=TriageOut, summary="Check danger signs", url_name="triage_check"
)
def triage_check(request: HttpRequest, payload: TriageIn) -> dict[str, object]:
    """The danger signs present, the score where there is one (NEWS2 from 16 years) and the
    urgency they imply, with what to do in the meantime. The same rules as the consult form;
    no patient is read or stored."""
    unknown = sorted(set(payload.signs) - set(engine.sign_ids()))
    if unknown:
        raise FieldErrors({"signs": _("Unknown signs: %(ids)s.") % {"ids": ", ".join(unknown)}})
    inputs = engine.Inputs.of(
        age_months=payload.age_months,
        sex=payload.sex,
        measurements={name: getattr(payload, name) for name in engine.MEASUREMENTS},
        consciousness=payload.consciousness,
        signs=payload.signs,
    )
    stray = engine.not_fitting(inputs)
    if stray:
        raise FieldErrors({"signs": not_fitting_message(stray)})
    result = engine.check(inputs)
    return {
        "version": result.version,
        "urgency": result.urgency,
        "signs": signs_out([s.as_dict() for s in result.signs]),
        "score": result.score,
        "missing": [{"name": n, "label": label} for n, label in missing_labels(result)],
        "instructions": instruction_texts(result),
        "notice": str(NOTICE),
    }
