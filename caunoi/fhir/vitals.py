"""The consultation's clinical summary as FHIR Observations, both ways: each vital sign the
station measured (LOINC code, UCUM unit, as FHIR's vital-signs profile names them; blood
pressure as one panel with its systolic and diastolic components) and each written part of the
summary (history, examination, current treatment) as a narrative Observation.

**Decisions:**
- An Observation's id is its consultation's id and the item's key (``<uuid>-spo2``); it is
  ``basedOn`` the consultation's ServiceRequest, whose ``supportingInfo`` lists it. Its version
  is the consultation's (a changed consultation changes its Observations' versions).
- A client asking a consultation (``POST ServiceRequest``) gives the summary as ``contained``
  Observations with these codes, referenced from ``supportingInfo``; a code not in this table,
  a unit other than the one listed or a value of the wrong type is refused (400/422), and the
  consults app's service bounds each value as the form does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.fhir.directory import _meta, coding, instant, ref
from caunoi.fhir.http import FhirError

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CATEGORIES = {
    "vital-signs": "Vital Signs",
    "exam": "Exam",
    "laboratory": "Laboratory",
}


@dataclass(frozen=True)
class Item:
    """One Observation a consultation may carry: its key (the end of its id), the
    consultation's field(s), the LOINC code, the category and, for a measurement, its unit."""

    key: str
    fields: tuple[str, ...]
    code: str
    display: str
    category: str  # "" for the history and the treatment: FHIR's categories have none for them
    unit: str = ""  # UCUM code; "" for a narrative
    unit_display: str = ""
    # For a panel (blood pressure): each field's own LOINC code and display, as components.
    components: tuple[tuple[str, str], ...] = ()

    @property
    def narrative(self) -> bool:
        return not self.unit


ITEMS = (
    Item("temperature", ("temperature",), "8310-5", "Body temperature", "vital-signs", "Cel", "°C"),
    Item("pulse", ("pulse",), "8867-4", "Heart rate", "vital-signs", "/min", "/min"),
    Item(
        "blood-pressure",
        ("systolic", "diastolic"),
        "85354-9",
        "Blood pressure panel with all children optional",
        "vital-signs",
        "mm[Hg]",
        "mmHg",
        components=(
            ("8480-6", "Systolic blood pressure"),
            ("8462-4", "Diastolic blood pressure"),
        ),
    ),
    Item(
        "respiratory-rate",
        ("respiratory_rate",),
        "9279-2",
        "Respiratory rate",
        "vital-signs",
        "/min",
        "/min",
    ),
    Item(
        "spo2",
        ("spo2",),
        "59408-5",
        "Oxygen saturation in Arterial blood by Pulse oximetry",
        "vital-signs",
        "%",
        "%",
    ),
    Item("weight", ("weight",), "29463-7", "Body weight", "vital-signs", "kg", "kg"),
    Item("height", ("height",), "8302-2", "Body height", "vital-signs", "cm", "cm"),
    Item(
        "glucose",
        ("glucose",),
        "15074-8",
        "Glucose [Moles/volume] in Blood",
        "laboratory",
        "mmol/L",
        "mmol/L",
    ),
    Item("history", ("history",), "10164-2", "History of Present illness Narrative", ""),
    Item("examination", ("examination",), "29545-1", "Physical findings Narrative", "exam"),
    Item(
        "current-treatment",
        ("current_treatment",),
        "10160-0",
        "History of Medication use Narrative",
        "",
    ),
)
BY_CODE = {item.code: item for item in ITEMS}


def present(c: Consultation, item: Item) -> bool:
    return any(getattr(c, f) not in (None, "") for f in item.fields)


def observation_refs(c: Consultation) -> list[dict[str, str]]:
    """The consultation's Observations, as ServiceRequest.supportingInfo lists them."""
    return [ref("Observation", f"{c.public_id}-{i.key}") for i in ITEMS if present(c, i)]


def _number(value: Decimal) -> int | float:
    """A JSON number with the places the field keeps: 93 stays 93, 38.0 stays 38.0 (a float's
    shortest form is the decimal's, for these few digits)."""
    exponent = value.as_tuple().exponent
    return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)


def _quantity(value: Decimal, item: Item) -> dict[str, Any]:
    return {"value": _number(value), "unit": item.unit_display, "system": UCUM, "code": item.unit}


def observation(c: Consultation, item: Item) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{c.public_id}-{item.key}",
        "meta": _meta(c.updated_at),
        "basedOn": [ref("ServiceRequest", str(c.public_id))],
        "status": "preliminary" if c.status == ConsultStatus.DRAFT else "final",
        "category": [{"coding": [coding(CATEGORY, item.category, CATEGORIES[item.category])]}]
        if item.category
        else None,
        "code": {"coding": [coding(LOINC, item.code, item.display)], "text": item.display},
        "subject": ref("Patient", str(c.patient.public_id), c.patient.full_name),
        "effectiveDateTime": instant(c.submitted_at or c.created_at),
        "performer": [ref("Practitioner", str(c.requester.public_id), c.requester.full_name)],
    }
    body = {k: v for k, v in body.items() if v is not None}
    if item.narrative:
        body["valueString"] = getattr(c, item.fields[0])
    elif item.components:
        body["component"] = [
            {
                "code": {"coding": [coding(LOINC, code, display)], "text": display},
                "valueQuantity": _quantity(getattr(c, f), item),
            }
            for f, (code, display) in zip(item.fields, item.components, strict=True)
            if getattr(c, f) is not None
        ]
    else:
        body["valueQuantity"] = _quantity(getattr(c, item.fields[0]), item)
    return body


# --- the other way: contained Observations → the consultation's summary ------------------------


def _loinc(concept: Any, where: str) -> str:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for c in codings or []:
        if isinstance(c, dict) and c.get("system") == LOINC and isinstance(c.get("code"), str):
            return str(c["code"])
    raise FhirError(
        422, "processing", _("Give the LOINC code of %(where)s.") % {"where": where}, where
    )


def _value(quantity: Any, unit: str, where: str) -> str:
    if not isinstance(quantity, dict) or "value" not in quantity:
        raise FhirError(
            422, "processing", _("%(where)s needs a valueQuantity.") % {"where": where}, where
        )
    if quantity.get("code", unit) != unit or quantity.get("system", UCUM) != UCUM:
        raise FhirError(
            422,
            "processing",
            _("%(where)s must be in %(unit)s (UCUM).") % {"where": where, "unit": unit},
            where,
        )
    value = quantity["value"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FhirError(400, "structure", _("%(where)s is not a number.") % {"where": where}, where)
    try:
        return str(Decimal(str(value)))
    except InvalidOperation as exc:
        raise FhirError(
            400, "structure", _("%(where)s is not a number.") % {"where": where}, where
        ) from exc


def summary_from(body: dict[str, Any]) -> dict[str, str]:
    """The summary fields a ServiceRequest carries as ``contained`` Observations referenced
    from its ``supportingInfo`` (others contained are refused: nothing is silently dropped)."""
    contained = body.get("contained") or []
    if not isinstance(contained, list):
        raise FhirError(
            400, "structure", _("contained must be a list."), "ServiceRequest.contained"
        )
    pointed = {
        str(s.get("reference", ""))[1:]
        for s in body.get("supportingInfo") or []
        if isinstance(s, dict) and str(s.get("reference", "")).startswith("#")
    }
    summary: dict[str, str] = {}
    for index, resource in enumerate(contained):
        where = f"ServiceRequest.contained[{index}]"
        if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
            raise FhirError(422, "processing", _("Only Observations are contained here."), where)
        if resource.get("id") not in pointed:
            raise FhirError(
                422,
                "processing",
                _("A contained Observation must be referenced from supportingInfo."),
                where,
            )
        item = BY_CODE.get(_loinc(resource.get("code"), where))
        if item is None:
            raise FhirError(
                422,
                "processing",
                _("This Observation's code is not one of the consultation's summary."),
                f"{where}.code",
            )
        if any(f in summary for f in item.fields):
            raise FhirError(
                422, "processing", _("This Observation is given twice."), f"{where}.code"
            )
        if item.narrative:
            text = resource.get("valueString")
            if not isinstance(text, str):
                raise FhirError(
                    422,
                    "processing",
                    _("%(where)s needs a valueString.") % {"where": where},
                    where,
                )
            summary[item.fields[0]] = text
        elif item.components:
            by_code = {
                _loinc(
                    part.get("code") if isinstance(part, dict) else None, f"{where}.component"
                ): part
                for part in resource.get("component") or []
            }
            for f, (code, _display) in zip(item.fields, item.components, strict=True):
                if code in by_code:
                    summary[f] = _value(
                        by_code[code].get("valueQuantity"), item.unit, f"{where}.component"
                    )
        else:
            summary[item.fields[0]] = _value(resource.get("valueQuantity"), item.unit, where)
    return summary
