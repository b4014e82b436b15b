"""The demo's literal content, kept as data in ``data/*.json`` (UTF-8, Vietnamese as written):

- ``cases.json`` — the clinical pictures stations ask about, with the hub's usual answer
  (fields of ``consults.Case``; ``outcome`` and ``sex`` are the model choices' values);
- ``names.json`` — Vietnamese family, middle and given names for generated people;
- ``hubs.json`` and ``personas.json`` — the demo network's hubs and documented accounts;
- ``patients.json`` — ethnic and household make-up of the patients by area, mobile prefixes;
- ``messages.json`` — the stations' reminders and thanks in consultation threads.

The generators turn the rows into their own types; nothing else reads these files.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> Any:
    """The parsed content of ``data/<name>.json`` (read once per process; do not mutate it)."""
    with (DATA / f"{name}.json").open(encoding="utf-8") as file:
        return json.load(file)
