"""Two independent FHIR R4 implementations check what the server returns: ``fhirclient``'s R4
models (Python) and Medplum's validator (``tools/fhir-validate``, Node, from the npm
registry). Neither is ours: a resource both accept is well-formed R4."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.fhirelementfactory import FHIRElementFactory

VALIDATOR = Path(__file__).resolve().parents[3] / "tools" / "fhir-validate" / "validate.mjs"


def fhirclient_problems(resource: dict[str, Any]) -> str:
    try:
        FHIRElementFactory.instantiate(resource["resourceType"], resource)
    except FHIRValidationError as exc:
        return str(exc)
    return ""


def medplum_problems(resources: list[dict[str, Any]]) -> list[str]:
    node = shutil.which("node")
    assert node, "Node.js is needed for the second FHIR validator (tools/fhir-validate)"
    answer = subprocess.run(  # noqa: S603 -- our own script, our own JSON on stdin
        [node, str(VALIDATOR)],
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=True,
        cwd=VALIDATOR.parent,
    )
    return [r.get("error", "") if not r["ok"] else "" for r in json.loads(answer.stdout)]


def assert_valid(*resources: dict[str, Any]) -> None:
    """Every resource (a Bundle with its entries) valid R4 for both implementations."""
    every = list(resources)
    for r in resources:
        every.extend(e["resource"] for e in r.get("entry", []) if "resource" in e)
    problems = [
        f"{r['resourceType']}/{r.get('id', '')}: {p}"
        for r in every
        if (p := fhirclient_problems(r))
    ]
    problems += [
        f"{r['resourceType']}/{r.get('id', '')}: {p}"
        for r, p in zip(every, medplum_problems(every), strict=True)
        if p
    ]
    assert not problems, "\n".join(problems)
