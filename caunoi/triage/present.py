"""A check's result in the reader's language: the notice shown with every check, the
instructions for the meantime and the measurements that would help."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from caunoi.triage import engine

NOTICE = _(
    "This assistant checks danger signs; it does not diagnose. A sign not found proves nothing: "
    "trust what you see and ask the hub when in doubt."
)


def instruction_texts(result: engine.Result) -> list[str]:
    """What to do while waiting, each once, the most urgent first."""
    texts = engine.rules()["instructions"]
    ordered = sorted(result.signs, key=lambda s: -engine.ORDER[s.urgency])
    keys = list(dict.fromkeys(s.instruction for s in ordered))
    return [engine.in_language(texts[k]) for k in keys]


def not_fitting_message(ids: list[str]) -> str:
    """A refusal naming, in the reader's language, the signs not asked at the patient's age or
    for the patient's sex."""
    labels = {sign["id"]: engine.in_language(sign) for sign in engine.rules()["signs"]}
    return _(
        "These signs are not asked at the patient's age or for the patient's sex: %(signs)s."
    ) % {"signs": "; ".join(labels.get(i, i) for i in ids)}


def missing_labels(result: engine.Result) -> list[tuple[str, str]]:
    names = engine.rules()["measurements"]
    return [(name, engine.in_language(names[name])) for name in result.missing]


def signs_out(signs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Signs (as a result stores them) for a reader: the label and what to do in her language,
    the guideline and section they come from."""
    data = engine.rules()
    out = []
    for s in signs:
        instruction = data["instructions"].get(s["instruction"])
        out.append(
            {
                "id": s["id"],
                "urgency": s["urgency"],
                "label": engine.in_language(s["label"]),
                "instruction": engine.in_language(instruction) if instruction else "",
                "source": f"{data['sources'].get(s['source'], s['source'])} — {s['section']}",
            }
        )
    return out


def stored_out(stored: dict[str, Any]) -> dict[str, Any] | None:
    """The check stored on a consultation, for the API; None before any check was stored."""
    if not stored:
        return None
    names = engine.rules()["measurements"]
    return {
        "version": stored["version"],
        "urgency": stored["urgency"],
        "signs": signs_out(stored["signs"]),
        "score": stored["score"],
        "missing": [
            {"name": n, "label": engine.in_language(names[n]) if n in names else n}
            for n in stored["missing"]
        ],
    }
