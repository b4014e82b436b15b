"""Every figure a dashboard chart draws is the API's number for the same cell: on the network
(as an administrator and as a donor), province, hub and facility dashboards, for every mark of
every chart — the cell in the API's breakdown, and the cell's own total (a month of a trend is
the API's total for that month; a province or a facility of a comparison is the API's total for
that place)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.charts import nice_step
from caunoi.network.models import Facility
from caunoi.network.tests.factories import FacilityFactory
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Commune

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Mark:
    key: str
    value: float | None
    suppressed: bool


@dataclass
class Chart:
    key: str
    indicator: str
    by: str
    marks: list[Mark] = field(default_factory=list)


class ChartReader(HTMLParser):
    """The charts of a page as drawn: each ``svg.chart`` and the marks (``g.mark``) in it."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[Chart] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "svg" and "chart" in classes:
            self.charts.append(Chart(a["data-chart"], a["data-indicator"], a["data-by"]))
            self.inside = True
        elif tag == "g" and "mark" in classes and self.inside:
            value = a["data-value"]
            self.charts[-1].marks.append(
                Mark(a["data-key"], float(value) if value else None, a["data-suppressed"] == "true")
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.inside = False


def charts_of(html: str) -> list[Chart]:
    reader = ChartReader()
    reader.feed(html)
    return reader.charts


def _send(worker, station, count, when, tag):
    for n in range(count):
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=make_patient(worker, name=f"Biểu đồ {tag} {n}"),
                specialty=internal_medicine(),
                summary=summary(),
            ),
        )
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=when, requester_facility=station, updated_at=timezone.now()
        )


@pytest.fixture
def months(worker):
    """August: 2 patients at Bảo Lâm (a month that must be hidden); September: 6 at Bảo Lâm, 2 at
    a second station of Cao Bằng, 7 at a station of another province; October: 6 and 5."""
    home = worker.memberships.get().facility
    neighbour = (
        Facility.objects.filter(province=home.province, is_hub=False).exclude(pk=home.pk).first()
    )
    away = FacilityFactory(  # a station of Lạng Sơn
        name="Trạm Y tế thử Lạng Sơn",
        commune=Commune.objects.filter(province__code=20).order_by("code")[0],
    )
    assert neighbour
    assert away
    aug, sep, oct = (datetime(2026, m, 12, 9, tzinfo=TZ) for m in (8, 9, 10))
    _send(worker, home, 2, aug, "aug")
    _send(worker, home, 6, sep, "sep-home")
    _send(worker, neighbour, 2, sep, "sep-neighbour")
    _send(worker, away, 7, sep, "sep-away")
    _send(worker, home, 6, oct, "oct-home")
    _send(worker, away, 5, oct, "oct-away")
    return home


def _api_cell(client, code, period, place, by="", key=""):
    query = f"/api/indicators/{code}/values?period={period}&place={place}"
    body = client.get(query + (f"&by={by}" if by else "")).json()
    if not by:
        return body["total"]
    return next((c for c in body["values"] if c["key"] == key), None)


def _same(mark: Mark, cell: dict | None, where: str) -> None:
    if cell is None:  # the API has no such cell: nothing happened there
        assert (mark.value, mark.suppressed) == (0, False), where
        return
    assert mark.suppressed == cell["suppressed"], where
    assert mark.value == cell["value"], where


@pytest.mark.parametrize(
    ("persona", "place"),
    [
        ("network_admin", "network"),
        ("donor", "network"),
        ("officer", "4"),
        ("coordinator", ""),  # the hub
        ("worker", ""),  # the station
    ],
)
@pytest.mark.parametrize("period", ["2026-10", "2026-09"])
def test_every_figure_a_chart_draws_is_the_apis_number_for_the_same_cell(
    months, persona, place, period, login, api_client, request
):
    user = request.getfixturevalue(persona)
    page = login(user).get(f"/monitoring/?place={place}&period={period}")
    html = page.content.decode()
    place_key = page.context["place"].key
    api = api_client(user)
    charts = charts_of(html)
    assert "trend" in {c.key for c in charts}
    drawn_something = False
    for chart in charts:
        assert chart.marks, chart.key
        for mark in chart.marks:
            where = f"{persona} {place_key} {period} {chart.key} {mark.key}"
            if chart.by == "month":
                # A month of the trend is that month's total, as the API gives it.
                _same(mark, _api_cell(api, chart.indicator, mark.key, place_key), where)
            else:
                # A place of a comparison: its cell in the API's breakdown, and its own total.
                cell = _api_cell(api, chart.indicator, period, place_key, chart.by, mark.key)
                _same(mark, cell, where)
                _same(mark, _api_cell(api, chart.indicator, period, mark.key), where + " alone")
            drawn_something |= bool(mark.value)
    assert drawn_something  # the comparison is not between empty charts


def test_the_month_of_few_patients_is_hidden_and_no_other(months, donor, officer, login):
    """The trend the donor saw: August (2 patients) is hidden; September and October show."""
    for user, place in ((donor, "network"), (officer, "4")):
        html = login(user).get(f"/monitoring/?place={place}&period=2026-10").content.decode()
        trend = next(c for c in charts_of(html) if c.key == "trend")
        drawn = {m.key: (m.value, m.suppressed) for m in trend.marks}
        assert len(trend.marks) == 12
        assert drawn["2026-08"] == (None, True)
        assert drawn["2026-09"] == ((15, False) if place == "network" else (8, False))
        assert drawn["2026-10"] == ((11, False) if place == "network" else (6, False))
        assert drawn["2026-07"] == (0, False)


def test_a_province_comparison_shows_each_station_as_its_own_dashboard_does(months, officer, login):
    html = login(officer).get("/monitoring/?place=4&period=2026-09").content.decode()
    comparison = next(c for c in charts_of(html) if c.key == "comparison")
    assert {(m.value, m.suppressed) for m in comparison.marks} == {(6, False), (None, True)}
    assert str(months.public_id) in {m.key for m in comparison.marks}


def test_axis_steps_are_round_numbers():
    assert [nice_step(v) for v in (0, 3, 15, 148, 1234)] == [1, 1, 5, 50, 500]
