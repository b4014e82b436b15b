"""The logframe: actuals bound to the M&E catalogue equal the engine's own figures for the same
scope and period (read through the indicators API, the dashboards' path), with the same
suppression; entered actuals need evidence; the lights and the missing flags; the results in
the IATI file; budgets by year and documents; bad input changes nothing."""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.catalogue import BY_CODE, CATALOGUE, Place
from caunoi.monitoring.engine import compute_raw
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import parse_period
from caunoi.network.models import Facility
from caunoi.network.tests.factories import FacilityFactory
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Commune
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.logframe import light, programme_scope, progress, within
from caunoi.programmes.models import Budget, EnteredActual, Partner, PriorityArea, Target
from caunoi.programmes.services import (
    IndicatorInput,
    ProgrammeInput,
    actual_enter,
    budget_set,
    document_add,
    indicator_add,
    programme_create,
    rates_load,
    result_add,
    target_set,
)
from caunoi.programmes.tests.test_programmes import SCHEMA

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n160\n%%EOF\n"
)


def _send(worker, n, when, facility=None):
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name=f"Người bệnh {n}"),
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(),
        ),
    )[0]
    fields = {"submitted_at": when, "updated_at": timezone.now()}
    if facility is not None:
        fields["requester_facility"] = facility
    Consultation.objects.filter(pk=c.pk).update(**fields)
    return c


def _programme(admin, *, provinces=(), facilities=(), starts=None, ends=None, code="TELEMED"):
    today = timezone.localdate()
    kofih = Partner.objects.get_or_create(
        short_name="KOFIH", defaults={"name": "KOFIH", "kind": "bilateral"}
    )[0]
    return programme_create(
        actor=admin,
        client_id=uuid.uuid4(),
        data=ProgrammeInput(
            code=code,
            title_vi=f"Chương trình {code}",
            status="implementation",
            starts_on=starts or date(today.year - 1, 1, 1),
            ends_on=ends or date(today.year + 1, 12, 31),
            partners=[(kofih, "funding")],
            priority_areas=list(PriorityArea.objects.filter(code="grassroots-health")),
            provinces=list(provinces),
            facilities=list(facilities),
        ),
    )[0]


def _bound(admin, p, code, targets, **kw):
    goal = p.results.filter(level="goal").first() or result_add(
        programme=p, actor=admin, level="goal", code="G", title_vi="Mục tiêu"
    )
    i = indicator_add(
        result=goal,
        actor=admin,
        data=IndicatorInput(code=f"G.{code}", title_vi=code, bound_code=code, **kw),
    )
    for period, value in targets.items():
        target_set(indicator=i, actor=admin, period=period, value=Decimal(value))
    return i


def _actuals(p):
    return {
        (ip.indicator.bound_code or ip.indicator.code, row.period): row
        for node in progress(p)
        for ip in node.indicators
        for row in ip.periods
    }


def _api_value(api_client, admin, code, period, place):
    answer = api_client(admin).get(
        f"/api/indicators/{code}/values", {"period": period, "place": place}
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["total"]


def test_bound_actuals_equal_the_engines_figures_for_the_same_scope_and_period(
    worker, network_admin, api_client, settings
):
    settings.MONITORING_FACTS_MAX_AGE = 0
    station = worker.memberships.get().facility
    province = station.province
    made = FacilityFactory(
        commune=Commune.objects.exclude(province=province).order_by("code").first()
    )
    elsewhere = Facility.objects.get(pk=made.pk)  # type: ignore[attr-defined]
    now = timezone.now()
    this_year = str(timezone.localdate().year)
    for n in range(7):
        _send(worker, n, now - timedelta(days=n))
    for n in range(6):
        _send(worker, 100 + n, now - timedelta(days=n), facility=elsewhere)

    # 1. A programme covering the station's province: the province's own figures.
    p = _programme(network_admin, provinces=[province])
    codes = ["consults_submitted", "answered_in_time", "active_facilities", "workers_trained"]
    for code in codes:
        _bound(network_admin, p, code, {this_year: "1"})
    got = _actuals(p)
    for code in codes:
        expected = _api_value(api_client, network_admin, code, this_year, province.code)
        row = got[(code, this_year)]
        assert row.suppressed == expected["suppressed"], code
        assert row.actual == expected["value"], code
    assert got[("consults_submitted", this_year)].actual == 7

    # 2. Its province and a facility of another province: the two places' counts added.
    q = _programme(network_admin, provinces=[province], facilities=[elsewhere], code="WIDER")
    _bound(network_admin, q, "consults_submitted", {this_year: "10"})
    there = _api_value(
        api_client, network_admin, "consults_submitted", this_year, elsewhere.public_id
    )
    assert there["value"] == 6
    assert _actuals(q)[("consults_submitted", this_year)].actual == 7 + 6
    assert _actuals(q)[("consults_submitted", this_year)].state == "running"

    # 3. Every catalogue indicator over a scope: the facts' answer is the rows' (the reference).
    scope = programme_scope(q)
    year = parse_period(this_year)
    for indicator in CATALOGUE:
        assert (
            compute(indicator, year, scope).as_dict()
            == compute_raw(indicator, year, scope).as_dict()
        ), indicator.code


def test_a_period_is_cut_to_the_programmes_dates_and_a_small_scope_is_suppressed(
    worker, network_admin, api_client, settings
):
    settings.MONITORING_FACTS_MAX_AGE = 0
    station = worker.memberships.get().facility
    today = timezone.localdate()
    last_year = today.year - 1
    # Six patients in January of last year, three in July.
    for n in range(6):
        _send(worker, n, timezone.make_aware(datetime(last_year, 1, 10 + n, 9)))
    for n in range(3):
        _send(worker, 10 + n, timezone.make_aware(datetime(last_year, 7, 10 + n, 9)))
    # A programme from 1 July: last year's actual is July to December only — three patients,
    # too few to show.
    p = _programme(network_admin, facilities=[station], starts=date(last_year, 7, 1))
    _bound(network_admin, p, "consults_submitted", {str(last_year): "5"})
    row = _actuals(p)[("consults_submitted", str(last_year))]
    assert row.suppressed
    assert row.actual is None
    assert row.state == "suppressed"
    assert row.actual_text == "•"
    halves = [
        _api_value(
            api_client,
            network_admin,
            "consults_submitted",
            f"{last_year}-{m:02d}",
            station.public_id,
        )
        for m in range(1, 13)
    ]
    assert halves[0]["value"] == 6  # January: before the programme, not counted
    assert [h["suppressed"] for h in halves][6] is True
    # From January, the whole year: nine patients, shown; met (target 5).
    q = _programme(network_admin, facilities=[station], code="WHOLE", starts=date(last_year, 1, 1))
    _bound(network_admin, q, "consults_submitted", {str(last_year): "5"})
    whole = _actuals(q)[("consults_submitted", str(last_year))]
    assert whole.actual == 9
    assert whole.state == "met"
    cut = within(parse_period(str(last_year)), p)
    assert cut is not None
    assert cut.start == date(last_year, 7, 1)
    assert compute(BY_CODE["consults_submitted"], cut, programme_scope(p)).total.suppressed
    # The IATI file publishes the period without the suppressed value, and stays valid.
    schema = xmlschema.XMLSchema(str(SCHEMA))
    xml = activities_xml([p])
    assert list(schema.iter_errors(xml.decode())) == []
    actual = ET.fromstring(xml).find(".//result/indicator/period/actual")  # noqa: S314
    assert actual is not None
    assert actual.get("value") is None
    assert "not published" in ET.tostring(actual, encoding="unicode")


def test_entered_actuals_need_evidence_and_the_lights_and_flags_follow_the_targets(
    network_admin, worker
):
    today = timezone.localdate()
    p = _programme(network_admin, starts=date(today.year - 2, 1, 1))
    goal = result_add(programme=p, actor=network_admin, level="goal", code="G", title_vi="Mục tiêu")
    outcome = result_add(
        programme=p, actor=network_admin, level="outcome", code="1", title_vi="Kết quả", parent=goal
    )
    output = result_add(
        programme=p,
        actor=network_admin,
        level="output",
        code="1.1",
        title_vi="Đầu ra",
        parent=outcome,
    )
    i = indicator_add(
        result=output,
        actor=network_admin,
        data=IndicatorInput(
            code="1.1.a",
            title_vi="Số bộ thiết bị được lắp đặt",
            baseline=Decimal(0),
            baseline_year=today.year - 2,
        ),
    )
    two, one, now_ = str(today.year - 2), str(today.year - 1), str(today.year)
    for period, value in ((two, 40), (one, 75), (now_, 75)):
        target_set(indicator=i, actor=network_admin, period=period, value=Decimal(value))
    actual_enter(
        indicator=i,
        actor=network_admin,
        period=two,
        value=Decimal(35),
        evidence=PDF,
        note="Biên bản",
    )
    rows = {r.period: r for r in progress(p)[0].children[0].children[0].indicators[0].periods}
    assert (rows[two].actual, rows[two].state) == (35.0, "near")  # 35 of 40: within 80 %
    assert rows[one].state == "missing"  # a past period with a target and nothing entered
    assert rows[now_].state == "running"
    tree = progress(p)
    assert tree[0].children[0].children[0].indicators[0].missing == [one]
    # Entered again: the new figure replaces the old.
    actual_enter(indicator=i, actor=network_admin, period=two, value=Decimal(41), evidence=PDF)
    assert EnteredActual.objects.get(indicator=i, period=two).value == 41

    # Bad input: a message each, and nothing changes.
    before = (EnteredActual.objects.count(), Target.objects.count())
    with pytest.raises(ValidationError) as refused:
        actual_enter(
            indicator=i, actor=network_admin, period=one, value=Decimal(5), evidence=b"MZ\x90"
        )
    assert "evidence" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        actual_enter(
            indicator=i,
            actor=network_admin,
            period=str(today.year + 1),
            value=Decimal(5),
            evidence=PDF,
        )
    assert "period" in refused.value.message_dict  # not begun: nothing to count yet
    with pytest.raises(ValidationError) as refused:
        target_set(indicator=i, actor=network_admin, period=str(today.year + 5), value=Decimal(1))
    assert "period" in refused.value.message_dict
    with pytest.raises(ValidationError):
        target_set(indicator=i, actor=network_admin, period="2025-W10", value=Decimal(1))
    with pytest.raises(ValidationError):
        target_set(indicator=i, actor=network_admin, period=one, value=Decimal(-1))
    with pytest.raises(ValidationError) as refused:
        result_add(
            programme=p, actor=network_admin, level="output", code="9", title_vi="x", parent=goal
        )
    assert "parent" in refused.value.message_dict
    with pytest.raises(ValidationError):
        result_add(programme=p, actor=network_admin, level="goal", code="G2", title_vi="x")
    bound = _bound(network_admin, p, "consults_submitted", {one: "10"})
    with pytest.raises(ValidationError):
        actual_enter(
            indicator=bound, actor=network_admin, period=one, value=Decimal(1), evidence=PDF
        )
    with pytest.raises(ValidationError):
        indicator_add(
            result=goal,
            actor=network_admin,
            data=IndicatorInput(code="x", title_vi="x", bound_code="nope"),
        )
    assert (EnteredActual.objects.count(), Target.objects.count()) == (before[0], before[1] + 1)
    with pytest.raises(PermissionDenied):
        target_set(indicator=i, actor=worker, period=one, value=Decimal(1))


@pytest.mark.parametrize(
    ("actual", "target", "ascending", "state"),
    [
        (100, "100", True, "met"),
        (80, "100", True, "near"),
        (79.9, "100", True, "behind"),
        (None, "100", True, "missing"),
        (45, "60", False, "met"),  # minutes to answer: lower is better
        (70, "60", False, "near"),  # 60/70 = 86 %
        (90, "60", False, "behind"),
        (0, "0", True, "met"),
    ],
)
def test_the_traffic_light(actual, target, ascending, state):
    assert light(actual, Decimal(target), ascending, ended=True) == state
    assert light(actual, Decimal(target), ascending, ended=False) == "running"
    assert light(actual, None, ascending, ended=True) == "none"


def test_budgets_by_year_and_documents(network_admin, worker):
    rates_load(b"currency,date,vnd\nUSD,2024-01-01,24300\nKRW,2024-01-01,18.6\n")
    p = _programme(network_admin, starts=date(2024, 1, 1), ends=date(2026, 12, 31))
    b = budget_set(
        programme=p, actor=network_admin, year=2024, currency="krw", amount=Decimal(1_000_000)
    )
    assert (b.currency, b.amount_vnd, b.amount_usd) == (
        "KRW",
        Decimal(18_600_000),
        Decimal("765.43"),
    )
    again = budget_set(
        programme=p, actor=network_admin, year=2024, currency="USD", amount=Decimal(900)
    )
    assert again.pk == b.pk
    assert Budget.objects.get(pk=b.pk).amount_vnd == Decimal(21_870_000)
    for year, amount in ((2023, 5), (2024, -1)):
        with pytest.raises(ValidationError):
            budget_set(
                programme=p, actor=network_admin, year=year, currency="USD", amount=Decimal(amount)
            )
    with pytest.raises(PermissionDenied):
        budget_set(programme=p, actor=worker, year=2025, currency="USD", amount=Decimal(1))
    assert Budget.objects.count() == 1
    key = uuid.uuid4()
    doc, made = document_add(
        programme=p,
        actor=network_admin,
        kind="mou",
        title="Biên bản ghi nhớ",
        content=PDF,
        client_id=key,
    )
    twin, made_again = document_add(
        programme=p,
        actor=network_admin,
        kind="mou",
        title="Biên bản ghi nhớ",
        content=PDF,
        client_id=key,
    )
    assert (made, made_again, twin.pk) == (True, False, doc.pk)
    assert doc.content_type == "application/pdf"
    with pytest.raises(ValidationError) as refused:
        document_add(programme=p, actor=network_admin, kind="mou", title="x", content=b"<html>")
    assert "file" in refused.value.message_dict
    assert p.documents.count() == 1
    xml = activities_xml([p])
    assert list(xmlschema.XMLSchema(str(SCHEMA)).iter_errors(xml.decode())) == []
    budget = ET.fromstring(xml).find(".//budget")  # noqa: S314
    assert budget is not None
    assert budget.find("value").text == "900.00"  # type: ignore[union-attr]
    assert budget.find("period-start").get("iso-date") == "2024-01-01"  # type: ignore[union-attr]


def test_scope_place_contains_its_provinces_and_facilities(worker):
    station = worker.memberships.get().facility
    scope = Place.scope([station.province.code], [])
    assert scope.contains(Place(kind="facility", facility=station))
    assert scope.contains(Place(kind="province", province_code=station.province.code))
    other = Facility.objects.exclude(province=station.province).first()
    assert other is not None
    assert not scope.contains(Place(kind="facility", facility=other))
    assert Place.scope([], [other.pk]).contains(Place(kind="facility", facility=other))
