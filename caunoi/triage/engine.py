"""The danger-sign check: the rule set (``static/triage/danger-signs.json``) applied to what the
station entered. The browser runs the same file through ``static/triage/engine.js`` as the
worker types; the server runs this one when the consultation is saved, and is the authority.
``tests/test_browser_engine.py`` runs both on every case of ``tests/cases.py`` and compares.

A condition is true, false or unknown: a measurement not taken is unknown, a sign not ticked is
false (the page says plainly that a sign not found proves nothing). A rule whose condition is
unknown names the measurements that would settle it (``missing``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

RULES_PATH = Path(__file__).parent / "static" / "triage" / "danger-signs.json"
ORDER = {"routine": 0, "urgent": 1, "emergency": 2}
CONSCIOUSNESS = ("A", "C", "V", "P", "U")


@cache
def rules() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    return data


def version() -> str:
    return str(rules()["version"])


def sign_ids() -> list[str]:
    return [s["id"] for s in rules()["signs"]]


def age_in_months(birth: date, on: date) -> int:
    """Whole months of life on ``on``: 2 months means the second month's day has come."""
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    return max(months, 0)


@dataclass(frozen=True)
class Inputs:
    """What the check reads: measurements (numbers or None), the consciousness on the ACVPU
    scale ("" when not assessed), the signs ticked, the age in whole months and the sex."""

    age_months: int
    sex: str = ""
    measurements: dict[str, float | None] = field(default_factory=dict)
    consciousness: str = ""
    signs: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        age_months: int,
        sex: str = "",
        measurements: dict[str, Decimal | float | int | str | None] | None = None,
        consciousness: str = "",
        signs: list[str] | frozenset[str] | tuple[str, ...] = (),
    ) -> Inputs:
        values: dict[str, float | None] = {}
        for name, value in (measurements or {}).items():
            values[name] = None if value in (None, "") else float(value)
        return cls(age_months, sex, values, consciousness or "", frozenset(signs))


@dataclass
class Sign:
    id: str
    urgency: str
    instruction: str
    source: str
    section: str
    label: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "urgency": self.urgency,
            "instruction": self.instruction,
            "source": self.source,
            "section": self.section,
            "label": self.label,
        }


@dataclass
class Result:
    version: str
    urgency: str
    signs: list[Sign]
    score: dict[str, Any] | None
    missing: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "urgency": self.urgency,
            "signs": [s.as_dict() for s in self.signs],
            "score": self.score,
            "missing": self.missing,
        }

    @property
    def has_signs(self) -> bool:
        return bool(self.signs)


def applies(item: dict[str, Any], inputs: Inputs) -> bool:
    low, high = item.get("ages", [0, None])
    if inputs.age_months < low or (high is not None and inputs.age_months >= high):
        return False
    return not (item.get("sex") and inputs.sex != item["sex"])


def _compare(value: float, op: str, threshold: float) -> bool:
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "<=":
        return value <= threshold
    if op == "<":
        return value < threshold
    raise ValueError(op)


def _evaluate(when: dict[str, Any], inputs: Inputs, missing: list[str]) -> bool | None:
    """True, False, or None when a measurement it needs was not taken (named in ``missing``)."""
    if "sign" in when:
        return when["sign"] in inputs.signs
    if "measure" in when:
        value = inputs.measurements.get(when["measure"])
        if value is None:
            missing.append(when["measure"])
            return None
        return _compare(value, when["op"], float(when["value"]))
    if "consciousness" in when:
        if not inputs.consciousness:
            missing.append("consciousness")
            return None
        return inputs.consciousness in when["consciousness"]
    parts = when.get("all") or when.get("any")
    if parts is None:
        raise ValueError(when)
    wanted: list[str] = []
    values = [_evaluate(p, inputs, wanted) for p in parts]
    if "all" in when:
        if False in values:
            return False
        outcome: bool | None = None if None in values else True
    else:
        if True in values:
            return True
        outcome = None if None in values else False
    missing.extend(wanted)
    return outcome


def _points(parameter: dict[str, Any], inputs: Inputs, missing: list[str]) -> int | None:
    if "sign" in parameter:
        return int(parameter["points"]) if parameter["sign"] in inputs.signs else 0
    if "consciousness" in parameter:
        if not inputs.consciousness:
            missing.append("consciousness")
            return None
        return int(parameter["consciousness"][inputs.consciousness])
    value = inputs.measurements.get(parameter["measure"])
    if value is None:
        missing.append(parameter["measure"])
        return None
    for upto, points in parameter["bands"]:
        if upto is None or value <= float(upto):
            return int(points)
    raise ValueError(parameter)


def _sign(item: dict[str, Any], urgency: str, instruction: str, score: int | None = None) -> Sign:
    label = {lang: str(item[lang]).replace("{score}", str(score)) for lang in ("vi", "en")}
    return Sign(
        id=item["id"],
        urgency=urgency,
        instruction=instruction,
        source=item["source"],
        section=item["section"],
        label=label,
    )


def not_fitting(inputs: Inputs) -> list[str]:
    """The signs ticked that are not asked at this age or for this sex (pregnancy for a man, a
    young infant's sign for an adult): the check reads them as not ticked."""
    fit = {s["id"] for s in rules()["signs"] if applies(s, inputs)}
    return sorted(inputs.signs - fit)


def check(inputs: Inputs) -> Result:
    data = rules()
    stray = not_fitting(inputs)
    if stray:
        inputs = replace(inputs, signs=inputs.signs - set(stray))
    signs: list[Sign] = []
    missing: list[str] = []
    for rule in data["rules"]:
        if not applies(rule, inputs):
            continue
        if _evaluate(rule["when"], inputs, missing):
            signs.append(_sign(rule, rule["urgency"], rule["instruction"]))
    score: dict[str, Any] | None = None
    for scale in data["scores"]:
        if not applies(scale, inputs):
            continue
        if "unless" in scale and _evaluate(scale["unless"], inputs, []):
            continue
        points = [_points(p, inputs, missing) for p in scale["parameters"]]
        known = [p for p in points if p is not None]
        total = sum(known)
        score = {"id": scale["id"], "total": total, "complete": len(known) == len(points)}
        for trigger in scale["triggers"]:
            if ("total" in trigger and total >= trigger["total"]) or (
                "single" in trigger and trigger["single"] in known
            ):
                item = {**trigger, "source": scale["source"], "section": scale["section"]}
                signs.append(_sign(item, trigger["urgency"], trigger["instruction"], total))
                break
    urgency = max((s.urgency for s in signs), key=ORDER.__getitem__, default="routine")
    return Result(
        version=version(),
        urgency=urgency,
        signs=signs,
        score=score,
        missing=list(dict.fromkeys(missing)),
    )


def lower_than(urgency: str, other: str) -> bool:
    return ORDER[urgency] < ORDER[other]


def in_language(texts: dict[str, str]) -> str:
    """The reader's language from a rule's ``{"vi": …, "en": …}`` (Vietnamese first)."""
    return texts["en"] if (get_language() or "vi").startswith("en") else texts["vi"]


# The measurements the rules read, as the consultation names its fields.
MEASUREMENTS = ("temperature", "pulse", "systolic", "diastolic", "respiratory_rate", "spo2")
