"""The queue names the documentation gives are the ones the pages and the API answer to."""

import re
from pathlib import Path

import pytest

from caunoi.consults.selectors import QUEUES

ROOT = Path(__file__).resolve().parents[3]


def test_the_main_readme_names_the_real_queues():
    text = (ROOT / "README.md").read_text()
    pages = re.search(r"`/consults/`\s*\((.*?)ask, answer", text, re.S)
    assert pages is not None
    named = set(re.findall(r"`(\w+)`", pages.group(1)))
    assert named == set(QUEUES)


def test_the_consults_readme_names_the_real_queues():
    text = (ROOT / "caunoi" / "consults" / "README.md").read_text()
    found = re.search(r"/consults/\?queue=([\w|]+)", text)
    assert found is not None
    assert set(found.group(1).split("|")) == set(QUEUES)


@pytest.mark.django_db
def test_the_api_documents_the_real_queues(client):
    spec = client.get("/api/openapi.json").json()
    parameters = spec["paths"]["/api/consults"]["get"]["parameters"]
    queue = next(p for p in parameters if p["name"] == "queue")
    assert set(queue["schema"]["enum"]) == set(QUEUES)
    described = spec["paths"]["/api/consults"]["get"]["description"]
    assert set(re.findall(r"`(\w+)`", described)) == set(QUEUES)
