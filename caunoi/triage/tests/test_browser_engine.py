"""The browser's check (static/triage/engine.js) against the server's (engine.py): the same
rule file, every case of the table, run in a real Chromium and compared field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from caunoi.triage import engine
from caunoi.triage.tests.cases import CASES

pytestmark = pytest.mark.browser

SCRIPT = engine.RULES_PATH.parent / "engine.js"


def _server(case: Any) -> dict[str, Any]:
    return engine.check(
        engine.Inputs.of(
            age_months=case.age_months,
            sex=case.sex,
            measurements=case.measurements,
            consciousness=case.consciousness,
            signs=case.ticked,
        )
    ).as_dict()


def test_the_browser_and_the_server_agree_on_every_case(browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<!doctype html><title>triage</title>")
        page.add_script_tag(content=SCRIPT.read_text(encoding="utf-8"))
        inputs = [
            {
                "ageMonths": c.age_months,
                "sex": c.sex,
                # As the form gives them: text, "" when empty.
                "measurements": {
                    k: ("" if v is None else str(v)) for k, v in c.measurements.items()
                },
                "consciousness": c.consciousness,
                "signs": list(c.ticked),
            }
            for c in CASES
        ]
        results = page.evaluate(
            "([data, inputs]) => inputs.map((i) => caunoiTriage.check(data, i))",
            [engine.rules(), inputs],
        )
    finally:
        context.close()
    assert len(results) == len(CASES)
    for case, browser_result in zip(CASES, results, strict=True):
        server = json.loads(json.dumps(_server(case)))
        assert browser_result == server, case.name
        # And the table itself holds in the browser (not only agreement on a wrong answer).
        assert browser_result["urgency"] == case.urgency, case.name
        assert tuple(s["id"] for s in browser_result["signs"]) == case.signs, case.name
