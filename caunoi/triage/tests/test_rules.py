from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from caunoi.triage import engine
from caunoi.triage.tests.cases import CASES, Case


def run(case: Case) -> engine.Result:
    return engine.check(
        engine.Inputs.of(
            age_months=case.age_months,
            sex=case.sex,
            measurements=case.measurements,
            consciousness=case.consciousness,
            signs=case.ticked,
        )
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case(case: Case) -> None:
    result = run(case)
    assert result.urgency == case.urgency
    assert tuple(s.id for s in result.signs) == case.signs
    if case.news2 is not None:
        assert result.score is not None
        assert result.score["total"] == case.news2
    if case.missing is not None:
        assert tuple(result.missing) == case.missing


def test_every_rule_and_trigger_is_met_and_missed_by_some_case() -> None:
    """Each rule fires in some case and applies without firing in another (both sides)."""
    data = engine.rules()
    ids = [r["id"] for r in data["rules"]] + [
        t["id"] for s in data["scores"] for t in s["triggers"]
    ]
    fired = {s for c in CASES for s in c.signs}
    assert set(ids) <= fired, set(ids) - fired
    for rule in data["rules"]:
        quiet = [
            c
            for c in CASES
            if engine.applies(rule, engine.Inputs.of(age_months=c.age_months, sex=c.sex))
            and rule["id"] not in c.signs
        ]
        assert quiet, rule["id"]


def test_the_rule_set_names_its_sources_and_is_well_formed() -> None:
    data = engine.rules()
    signs = set(engine.sign_ids())
    assert data["version"]
    for item in [*data["rules"], *data["scores"]]:
        assert item["source"] in data["sources"]
        assert item["section"]
        assert item["vi"]
        assert item["en"]
    for rule in data["rules"]:
        assert rule["urgency"] in engine.ORDER
        assert rule["instruction"] in data["instructions"]

        for name in _names(rule["when"]):
            assert name in signs or name in data["measurements"], rule["id"]
    # Vietnamese and English for every instruction and sign
    for text in [*data["instructions"].values(), *data["signs"]]:
        assert text["vi"]
        assert text["en"]
        assert text["vi"] != text["en"]


def _names(when: dict) -> list[str]:
    """The signs and measurements a condition reads."""
    if "sign" in when:
        return [when["sign"]]
    if "measure" in when:
        return [when["measure"]]
    if "consciousness" in when:
        return ["consciousness"]
    return [n for part in when.get("all", []) + when.get("any", []) for n in _names(part)]


def test_a_sign_outside_its_ages_or_sex_changes_nothing() -> None:
    man = engine.check(
        engine.Inputs.of(age_months=300, sex="male", signs=["bleeding_in_pregnancy"])
    )
    assert man.urgency == "routine"


def test_results_are_json_and_carry_the_version() -> None:
    result = run(CASES[1])
    data = json.loads(json.dumps(result.as_dict()))
    assert data["version"] == engine.version()
    assert data["signs"][0]["label"]["vi"] == "Trẻ nhỏ rút lõm lồng ngực nặng"
    assert data["signs"][0]["instruction"] == "refer-young-infant"


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (date(2026, 9, 28), date(2026, 11, 27), 1),
        (date(2026, 9, 28), date(2026, 11, 28), 2),
        (date(2025, 11, 28), date(2026, 11, 27), 11),
        (date(2025, 11, 28), date(2026, 11, 28), 12),
        (date(2026, 11, 29), date(2026, 11, 28), 0),
    ],
)
def test_age_in_whole_months(birth: date, on: date, months: int) -> None:
    assert engine.age_in_months(birth, on) == months


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ticking_one_more_sign_never_lowers_the_urgency(case: Case) -> None:
    """A sign is evidence of more danger, never of less: whatever the patient, adding any sign
    of the rule set leaves the urgency where it was or raises it (pregnancy once switched NEWS2
    off and let a woman in shock through as routine)."""
    before = engine.ORDER[run(case).urgency]
    for sign in engine.sign_ids():
        more = replace(case, ticked=(*case.ticked, sign))
        assert engine.ORDER[run(more).urgency] >= before, sign
