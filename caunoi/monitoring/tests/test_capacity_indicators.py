"""Technique transfer, protocols and quality in the M&E catalogue (issue 15, item 5): transfers
by status, hub and province, the median days from agreement to authorisation, the techniques
performed after a transfer, the share of protocol readers who have read, and the quality
self-assessment score — in the engine, the API, the DHIS2 payload and the dashboard.

Built through the transfers, protocols and quality services:

====  ========================  ================  ===========  ===========  ===================
      hub → receiver            province          agreed       authorised   reports (performed)
====  ========================  ================  ===========  ===========  ===================
T1    Huế → provincial hosp.    Cao Bằng          10/01/2026   15/03/2026   4: 5, 5: 7, 6: 4,
                                                                             7: 6  (64 days)
T2    Bạch Mai → provincial     Cao Bằng          02/02/2026   20/04/2026   5: 3, 6: 2, 7: 0
                                                                             (77 days)
T3    Huế → regional centre     Cao Bằng          20/02/2026   01/06/2026   7: 8  (101 days)
T4    Huế → Bảo Lâm             Cao Bằng          05/03/2026   (theory taught)
T5    Bạch Mai → regional       Cao Bằng          25/03/2026   (agreed)
T6    Huế → Bạch Mai            Hà Nội            14/02/2026   (signed off)
T7    Bạch Mai → provincial     Cao Bằng          03/11/2025   10/02/2026   3: 2, 4: 1  (99 d.)
T8    Huế → Lý Bôn              Cao Bằng          20/01/2026   cancelled
====  ========================  ================  ===========  ===========  ===================

Protocols, read now by the active clinical staff of the facilities each current version went
to (Huế's, version 2, to the five facilities it supports; the Department's to the same five):

- provincial hospital: receiver, receiver.colleague, director, bs1, bs2 (and a doctor who read
  the Department's and left: not counted). Huế v2 read by four, the Department's by two.
- regional centre: two, one read Huế's. Bảo Lâm: two, one read Huế's (three read version 1,
  superseded: not counted). Lý Bôn: one, read the Department's.
- Nam Quang: "multi", a worker there first and later a clinician at the provincial hospital, read
  Huế's: counted once per version, at Nam Quang (the oldest membership).

Quality (5 levels; A: A1, A2, B: B1): provincial 2025 (2, 3, 4) = 60; provincial 2026 (4, 5, 3)
= 80; regional 2026 (3, 3, 4) = 66 (10 of 15 points, each section a whole percent); Huế 2026
(5, 5, 5) = 100; Bạch Mai 2026 a draft.
"""

import json
import re
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from caunoi.accounts.models import User
from caunoi.monitoring.catalogue import BY_CODE, Place
from caunoi.monitoring.dashboards import _label
from caunoi.monitoring.dhis2 import data_value_set
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.models import Dhis2DataElement, Dhis2OrgUnit
from caunoi.monitoring.periods import parse_period
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.network.tests.factories import fixture_network
from caunoi.places.models import Province
from caunoi.protocols.services import (
    ProtocolInput,
    VersionInput,
    acknowledge,
    protocol_publish,
    version_publish,
)
from caunoi.quality.loader import criteria_load
from caunoi.quality.models import Assessment, AssessmentStatus, Criterion
from caunoi.quality.selectors import overall, section_scores
from caunoi.quality.services import (
    ScoreInput,
    action_add,
    assessment_start,
    assessment_submit,
    score_record,
)
from caunoi.transfers.models import Transfer, TransferStatus
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    assessment_record,
    authorise,
    case_record,
    observation_complete,
    report_file,
    sign_off,
    theory_complete,
    transfer_create,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAO_BANG = Place(kind="province", province_code=4)


def _person(username, facility, *, role=Role.CLINICIAN, head=False):
    user = User.objects.create_user(username=username, full_name=username)
    Membership.objects.create(
        user=user, facility=facility, role=role, profession=Profession.DOCTOR, is_head=head
    )
    return user


def _transfer(hub, trainer, receiver, trainee, agreed_on, status, *, head=None, authorised=None):
    """A transfer through the services, taken up to ``status``."""
    t, _created = transfer_create(
        actor=trainer,
        hub=hub,
        client_id=uuid.uuid4(),
        data=TransferInput(
            receiver=receiver,
            technique_name="Nội soi dạ dày can thiệp",
            specialty=Specialty.objects.get(code="internal-medicine"),
            level="specialised",
            agreed_on=agreed_on,
            planned_end=agreed_on + timedelta(days=180),
            observed_target=1,
            supervised_target=1,
            trainers=[trainer],
            trainees=[trainee],
        ),
    )
    if status == TransferStatus.AGREED:
        return t
    theory_complete(transfer=t, actor=trainer)
    if status == TransferStatus.THEORY_DONE:
        return t
    for kind, day in (("observed", 1), ("supervised", 2)):
        case_record(
            transfer=t,
            actor=trainer,
            data=CaseInput(kind, agreed_on + timedelta(days=day), trainee, trainer),
        )
        if kind == "observed":
            observation_complete(transfer=t, actor=trainer)
    assessment_record(transfer=t, actor=trainer, passed=True, note="Thành thạo, an toàn")
    sign_off(transfer=t, actor=trainer)
    if status == TransferStatus.SIGNED_OFF:
        return t
    # Signed off a few days before the decision (the services date the sign-off now).
    signed = datetime.combine(authorised - timedelta(days=3), time(9), TZ)
    Transfer.objects.filter(pk=t.pk).update(signed_off_at=signed)
    t.refresh_from_db()
    return authorise(transfer=t, actor=head, on=authorised, decision_number="12/QĐ-BV")


def _report(t, actor, month, performed):
    report_file(transfer=t, actor=actor, data=ReportInput(date(2026, month, 1), performed))


@pytest.fixture
def people(db):
    """The heads of the provincial hospital and the regional centre, and a clinician there."""
    net = fixture_network()
    return {
        "net": net,
        "director": _person("giamdoc", net.provincial, head=True),
        "regional": _person("kv.bacsi", net.regional),
        "regional_head": _person("kv.giamdoc", net.regional, head=True),
    }


@pytest.fixture
def transfers(people, specialist, receiver, worker):
    net = people["net"]
    bach_mai = list(
        User.objects.filter(
            memberships__facility=net.second_hub, memberships__role=Role.SPECIALIST
        ).order_by("id")[:2]
    )
    director, regional = people["director"], people["regional"]
    regional_head = people["regional_head"]
    colleague = User.objects.get(username="receiver.colleague")
    s = TransferStatus
    t1 = _transfer(
        net.hub,
        specialist,
        net.provincial,
        receiver,
        date(2026, 1, 10),
        s.AUTHORISED,
        head=director,
        authorised=date(2026, 3, 15),
    )
    t2 = _transfer(
        net.second_hub,
        bach_mai[0],
        net.provincial,
        colleague,
        date(2026, 2, 2),
        s.AUTHORISED,
        head=director,
        authorised=date(2026, 4, 20),
    )
    t3 = _transfer(
        net.hub,
        specialist,
        net.regional,
        regional,
        date(2026, 2, 20),
        s.AUTHORISED,
        head=regional_head,
        authorised=date(2026, 6, 1),
    )
    _transfer(net.hub, specialist, net.stations[0], worker, date(2026, 3, 5), s.THEORY_DONE)
    _transfer(net.second_hub, bach_mai[0], net.regional, regional, date(2026, 3, 25), s.AGREED)
    _transfer(net.hub, specialist, net.second_hub, bach_mai[1], date(2026, 2, 14), s.SIGNED_OFF)
    t7 = _transfer(
        net.second_hub,
        bach_mai[0],
        net.provincial,
        receiver,
        date(2025, 11, 3),
        s.AUTHORISED,
        head=director,
        authorised=date(2026, 2, 10),
    )
    other = User.objects.get(username="worker.other")
    t8 = _transfer(net.hub, specialist, net.stations[1], other, date(2026, 1, 20), s.AGREED)
    Transfer.objects.filter(pk=t8.pk).update(status=TransferStatus.CANCELLED)  # no service yet
    for month, performed in [(4, 5), (5, 7), (6, 4), (7, 6)]:
        _report(t1, receiver, month, performed)
    for month, performed in [(5, 3), (6, 2), (7, 0)]:
        _report(t2, receiver, month, performed)
    _report(t3, regional, 7, 8)
    for month, performed in [(3, 2), (4, 1)]:
        _report(t7, receiver, month, performed)
    return people


def _value(code, period, place=CAO_BANG, by=""):
    return compute(BY_CODE[code], parse_period(period), place, by)


def _cells(result):
    return {c.key: (c.value, c.suppressed) for c in result.cells}


def test_transfers_agreed_by_status_hub_province_facility_and_month(transfers):
    net = transfers["net"]
    # Q1 2026: T1–T6 agreed; T7 agreed in 2025, T8 cancelled.
    network = _value("technique_transfers", "2026-Q1", place=Place(), by="transfer_status")
    assert network.total.value == 6
    assert [(c.key, c.value) for c in network.cells] == [
        ("agreed", 1),
        ("theory_done", 1),
        ("signed_off", 1),
        ("authorised", 3),
    ]
    assert network.cells[-1].label == str(TransferStatus.AUTHORISED.label)
    with translation.override("en"):
        english = _value("technique_transfers", "2026-Q1", place=Place(), by="transfer_status")
    assert english.cells[-1].label == "authorised to perform independently"
    assert _label("transfer_status", "signed_off", "?") == str(TransferStatus.SIGNED_OFF.label)
    by_province = _value("technique_transfers", "2026-Q1", place=Place(), by="province")
    assert _cells(by_province) == {"4": (5, False), str(net.second_hub.province.code): (1, False)}
    by_hub = _value("technique_transfers", "2026-Q1", by="hub")
    assert {c.label: c.value for c in by_hub.cells} == {net.hub.name: 3, net.second_hub.name: 2}
    assert _cells(_value("technique_transfers", "2026-Q1", by="facility")) == {
        str(net.provincial.public_id): (2, False),
        str(net.regional.public_id): (2, False),
        str(net.stations[0].public_id): (1, False),
    }
    assert _cells(_value("technique_transfers", "2026-Q1", by="month")) == {
        "2026-01": (1, False),
        "2026-02": (2, False),
        "2026-03": (2, False),
    }
    # A small count is not hidden: transfers are not people.
    bao_lam = Place(kind="facility", facility=net.stations[0])
    assert _value("technique_transfers", "2026-Q1", place=bao_lam).total.value == 1
    # A hub's own figure is what it gives (T6 to Bạch Mai included), not what it receives.
    hue = Place(kind="facility", facility=net.hub)
    assert _value("technique_transfers", "2026-Q1", place=hue).total.value == 4
    bach_mai = Place(kind="facility", facility=net.second_hub)
    assert _value("technique_transfers", "2026-Q1", place=bach_mai).total.value == 2
    assert _value("technique_transfers", "2025").total.value == 1  # T7


def test_median_days_from_agreement_to_authorisation_of_those_authorised_in_the_period(transfers):
    net = transfers["net"]
    year = _value("transfer_time_to_authorisation", "2026", by="quarter")
    # 64, 77, 99 and 101 days: the median is 88 (the mean would be 85.25).
    assert (year.total.denominator, year.total.value) == (4, 88.0)
    assert _cells(year) == {"2026-Q1": (81.5, False), "2026-Q2": (89.0, False)}  # T1, T7 | T2, T3
    by_hub = _value("transfer_time_to_authorisation", "2026", by="hub")
    assert {c.label: c.value for c in by_hub.cells} == {
        net.hub.name: 82.5,
        net.second_hub.name: 88.0,
    }
    by_facility = _value("transfer_time_to_authorisation", "2026", by="facility")
    assert _cells(by_facility) == {
        str(net.provincial.public_id): (77.0, False),
        str(net.regional.public_id): (101.0, False),
    }
    # T7 was agreed in 2025 and authorised in 2026: it counts in 2026, not in 2025.
    none = _value("transfer_time_to_authorisation", "2025").total
    assert (none.denominator, none.value) == (0, None)


def test_techniques_performed_add_the_monthly_reports_of_the_months_in_the_period(transfers):
    net = transfers["net"]
    may = _value("techniques_performed", "2026-05").total
    assert (may.numerator, may.denominator, may.value) == (10, 2, 10)  # T1 7, T2 3
    quarter = _value("techniques_performed", "2026-Q2", by="month")
    assert quarter.total.value == 22
    assert _cells(quarter) == {"2026-04": (6, False), "2026-05": (10, False), "2026-06": (6, False)}
    by_hub = _value("techniques_performed", "2026-Q2", by="hub")
    assert {c.label: c.value for c in by_hub.cells} == {net.hub.name: 16, net.second_hub.name: 6}
    third = _value("techniques_performed", "2026-Q3", by="facility")
    assert third.total.value == 14  # T2's July reported 0: a true zero, still a report
    assert third.total.denominator == 3
    assert _cells(third) == {
        str(net.provincial.public_id): (6, False),
        str(net.regional.public_id): (8, False),
    }
    bach_mai = Place(kind="facility", facility=net.second_hub)
    assert _value("techniques_performed", "2026-Q2", place=bach_mai).total.value == 6
    # No report, no figure; a week holds no whole month (W18 holds 1 May, not May).
    assert _value("techniques_performed", "2026-09").total.value is None
    assert _value("techniques_performed", "2026-W18").total.value is None
    with pytest.raises(ValueError, match="week"):
        _value("techniques_performed", "2026", by="week")


@pytest.fixture
def readings(people, specialist, officer, receiver, worker):
    net, director, regional = people["net"], people["director"], people["regional"]
    colleague = User.objects.get(username="receiver.colleague")
    bs1 = _person("bs1", net.provincial)
    _person("bs2", net.provincial)
    left = _person("bs.nghi", net.provincial)
    station_colleague = User.objects.get(username="worker.colleague")
    other = User.objects.get(username="worker.other")
    multi = _person("nhieu.noi", net.stations[2], role=Role.WORKER)  # the oldest membership
    Membership.objects.create(
        user=multi, facility=net.provincial, role=Role.CLINICIAN, profession=Profession.DOCTOR
    )
    today = timezone.localdate()

    def version(note=""):
        return VersionInput(
            effective_on=today,
            review_on=today + timedelta(days=365),
            body="1. Đo huyết áp hai lần.",
            change_note=note,
        )

    def publish(actor, publisher, audience):
        return protocol_publish(
            actor=actor,
            publisher=publisher,
            client_id=uuid.uuid4(),
            data=ProtocolInput(
                title_vi="Phác đồ tăng huyết áp",
                kind="protocol",
                audience=audience,
                version=version(),
            ),
        )[0]

    hue = publish(specialist, net.hub, "supported")
    first = hue.versions.get()
    for person in (receiver, worker, station_colleague):
        acknowledge(version=first, actor=person)
    second = version_publish(protocol=hue, actor=specialist, data=version("Ngưỡng mới"))
    for person in (receiver, colleague, director, bs1, regional, worker, multi):
        acknowledge(version=second, actor=person)
    department = publish(officer, net.department, "province").versions.get()
    for person in (receiver, director, other, left):
        acknowledge(version=department, actor=person)
    Membership.objects.filter(user=left).update(is_active=False)
    return people


def test_the_read_share_of_current_versions_per_person_and_small_cells_hidden(readings):
    net = readings["net"]
    # 11 people × 2 current versions; read: 7 of Huế's version 2 and 3 of the Department's.
    total = _value("protocol_read_share", "2026-11").total
    assert (total.numerator, total.denominator, total.value) == (10, 22, 45.5)
    by_facility = _value("protocol_read_share", "2026-11", by="facility")
    assert _cells(by_facility) == {
        str(net.provincial.public_id): (60.0, False),  # 6 of 10, five people
        str(net.regional.public_id): (None, True),
        str(net.stations[0].public_id): (None, True),
        str(net.stations[1].public_id): (None, True),
        str(net.stations[2].public_id): (None, True),  # "multi", counted there only
    }
    provincial = {c.key: c for c in by_facility.cells}[str(net.provincial.public_id)]
    assert (provincial.numerator, provincial.denominator) == (6, 10)
    own = _value(
        "protocol_read_share", "2026-11", place=Place(kind="facility", facility=net.provincial)
    )
    assert (own.total.numerator, own.total.denominator) == (6, 10)
    station = _value(
        "protocol_read_share", "2026-11", place=Place(kind="facility", facility=net.stations[0])
    )
    assert (station.total.value, station.total.numerator, station.total.suppressed) == (
        None,
        None,
        True,
    )
    network = _value("protocol_read_share", "2026-11", place=Place(), by="province")
    assert _cells(network) == {"4": (45.5, False)}
    # A hub's own figure: the readers of what it publishes (its version 2 only).
    hub = _value(
        "protocol_read_share", "2026-11", place=Place(kind="facility", facility=net.hub)
    ).total
    assert (hub.numerator, hub.denominator, hub.value) == (7, 11, 63.6)
    with pytest.raises(ValueError, match="month"):
        _value("protocol_read_share", "2026-11", by="month")


def _assess(facility, year, actor, head, levels):
    a, _created = assessment_start(facility=facility, year=year, actor=actor)
    for code, level in zip(("A1", "A2", "B1"), levels, strict=True):
        criterion = Criterion.objects.get(section__criteria_set=a.criteria_set, code=code)
        score_record(assessment=a, criterion=criterion, actor=actor, data=ScoreInput(level=level))
        if level <= 2:
            action_add(
                assessment=a,
                actor=actor,
                action="Tập huấn lại",
                owner=actor,
                due_on=timezone.localdate() + timedelta(days=30),
                criterion=criterion,
            )
    if head is not None:
        assessment_submit(assessment=a, actor=head)
    return a


@pytest.fixture
def assessed(people, receiver, specialist):
    net = people["net"]
    criteria_load(
        json.dumps(
            {
                "code": "TEST-CL",
                "version": "1",
                "name_vi": "Bộ tiêu chí thử",
                "levels": 5,
                "facility_kinds": ["provincial_hospital", "regional_centre", "central_hospital"],
                "sections": [
                    {
                        "code": "A",
                        "name_vi": "Người bệnh",
                        "criteria": [
                            {"code": "A1", "text_vi": "Đón tiếp"},
                            {"code": "A2", "text_vi": "Quyền lợi"},
                        ],
                    },
                    {
                        "code": "B",
                        "name_vi": "Nhân lực",
                        "criteria": [{"code": "B1", "text_vi": "Đào tạo"}],
                    },
                ],
            },
            ensure_ascii=False,
        ).encode()
    )
    director, regional = people["director"], people["regional"]
    regional_head = people["regional_head"]
    hue_head = _person("hue.giamdoc", net.hub, role=Role.SPECIALIST, head=True)
    bach_mai = User.objects.filter(
        memberships__facility=net.second_hub, memberships__role=Role.SPECIALIST
    ).first()
    _assess(net.provincial, 2025, receiver, director, (2, 3, 4))
    _assess(net.provincial, 2026, receiver, director, (4, 5, 3))
    _assess(net.regional, 2026, regional, regional_head, (3, 3, 4))
    _assess(net.hub, 2026, specialist, hue_head, (5, 5, 5))
    _assess(net.second_hub, 2026, bach_mai, None, (1, 1, 1))  # a draft: not counted
    return people


def test_quality_score_is_the_mean_of_the_years_submitted_self_assessments(assessed):
    net = assessed["net"]
    # The quality pages' own figure for each (each section a whole percent, then weighted).
    pages = {
        (a.facility_id, a.year): overall(section_scores(a))
        for a in Assessment.objects.filter(status=AssessmentStatus.SUBMITTED)
    }
    assert pages == {
        (net.provincial.pk, 2025): 60,
        (net.provincial.pk, 2026): 80,
        (net.regional.pk, 2026): 66,  # 10 of 15 points: 66, not 66.7
        (net.hub.pk, 2026): 100,
    }
    year = _value("quality_score", "2026", by="facility")
    assert (year.total.denominator, year.total.value) == (2, 73.0)
    assert _cells(year) == {
        str(net.provincial.public_id): (80.0, False),
        str(net.regional.public_id): (66.0, False),
    }
    # A period within a year reads that year's; a week is its ISO year (2026-W01 starts
    # on 29/12/2025).
    assert _value("quality_score", "2026-Q3").total.value == 73.0
    assert _value("quality_score", "2025-12").total.value == 60.0
    assert _value("quality_score", "2026-W01").total.value == 73.0
    network = _value("quality_score", "2026", place=Place(), by="province")
    assert (network.total.denominator, network.total.value) == (3, 82.0)  # Bạch Mai's draft out
    assert _cells(network) == {"4": (73.0, False), str(net.hub.province.code): (100.0, False)}
    hub = _value("quality_score", "2026", place=Place(kind="facility", facility=net.hub))
    assert hub.total.value == 100.0  # a hub's own self-assessment
    assert _value("quality_score", "2024").total.value is None


def test_the_api_and_the_catalogue_give_them(transfers, officer, api_client):
    net = transfers["net"]
    client = api_client(officer)
    body = client.get(
        "/api/indicators/transfer_time_to_authorisation/values?period=2026&place=4&by=hub"
    ).json()
    assert (body["unit"], body["total"]["denominator"], body["total"]["value"]) == (
        "days",
        4,
        88.0,
    )
    assert {v["key"]: v["value"] for v in body["values"]} == {
        str(net.hub.public_id): 82.5,
        str(net.second_hub.public_id): 88.0,
    }
    statuses = client.get(
        "/api/indicators/technique_transfers/values?period=2026-Q1&place=4&by=transfer_status"
    ).json()
    assert [(v["key"], v["value"]) for v in statuses["values"]] == [
        ("agreed", 1),
        ("theory_done", 1),
        ("authorised", 3),
    ]
    refused = client.get("/api/indicators/techniques_performed/values?period=2026&by=day")
    assert refused.status_code == 422
    listed = {i["code"]: i for i in client.get("/api/indicators", {"limit": 100}).json()["items"]}
    assert "transfer_status" in listed["technique_transfers"]["breakdowns"]
    assert listed["quality_score"]["name_en"] == "Quality self-assessment score (mean)"


def test_the_dhis2_payload_carries_them_and_never_a_small_cell(transfers, readings):
    net = transfers["net"]
    Dhis2DataElement.objects.create(indicator="technique_transfers", data_element="tkTransfer1")
    Dhis2DataElement.objects.create(indicator="protocol_read_share", data_element="protRead001")
    Dhis2OrgUnit.objects.create(province=Province.objects.get(code=4), org_unit="CaoBang0001")
    Dhis2OrgUnit.objects.create(facility=net.provincial, org_unit="BVCaoBang01")
    Dhis2OrgUnit.objects.create(facility=net.stations[0], org_unit="BaoLam00001")
    payload = data_value_set(parse_period("2026-Q1"), within=[Place()])["dataValues"]
    assert {v["period"] for v in payload} == {"2026Q1"}
    assert sorted((v["orgUnit"], v["dataElement"], v["value"]) for v in payload) == [
        ("BVCaoBang01", "protRead001", "60"),
        ("BVCaoBang01", "tkTransfer1", "2"),
        ("BaoLam00001", "tkTransfer1", "1"),  # its protocol reading: two people, not sent
        ("CaoBang0001", "protRead001", "45.5"),
        ("CaoBang0001", "tkTransfer1", "5"),
    ]


def _table_rows(page, table_id):
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def test_the_dashboard_table_for_a_province_a_station_and_a_hub(
    transfers, readings, assessed, officer, network_admin, login
):
    net = transfers["net"]
    client = login(officer)
    page = client.get("/monitoring/?place=4&period=2026").content.decode()
    assert _table_rows(page, "table-capacity") == [
        ["Số chuyển giao kỹ thuật được thỏa thuận", "5", "—", "—"],
        ["Thời gian từ thỏa thuận đến cho phép thực hiện (trung vị)", "4", "88,0 ngày", "—"],
        # T7: 2 + 1; T1: 22; T2: 5; T3: 8
        ["Số lần thực hiện kỹ thuật sau chuyển giao", "38", "—", "—"],
        ["Tỷ lệ đã đọc phác đồ, quy trình hiện hành", "10", "—", "45,5%"],
        ["Điểm tự đánh giá chất lượng (trung bình)", "2", "—", "73,0%"],
    ]
    bao_lam = net.stations[0].public_id
    page = client.get(f"/monitoring/?place={bao_lam}&period=2026").content.decode()
    assert _table_rows(page, "table-capacity") == [
        ["Số chuyển giao kỹ thuật được thỏa thuận", "1", "—", "—"],
        ["Thời gian từ thỏa thuận đến cho phép thực hiện (trung vị)", "0", "—", "—"],
        ["Số lần thực hiện kỹ thuật sau chuyển giao", "—", "—", "—"],
        ["Tỷ lệ đã đọc phác đồ, quy trình hiện hành", "•", "—", "•"],
        ["Điểm tự đánh giá chất lượng (trung bình)", "0", "—", "—"],
    ]
    page = login(network_admin).get(f"/monitoring/?place={net.hub.public_id}&period=2026")
    # What Huế gives: T1, T3, T4, T6; T1 and T3 authorised (64 and 101 days), performed 22 + 8;
    # its protocol read by 7 of 11; its own self-assessment.
    assert _table_rows(page.content.decode(), "table-capacity") == [
        ["Số chuyển giao kỹ thuật được thỏa thuận", "4", "—", "—"],
        ["Thời gian từ thỏa thuận đến cho phép thực hiện (trung vị)", "2", "82,5 ngày", "—"],
        ["Số lần thực hiện kỹ thuật sau chuyển giao", "30", "—", "—"],
        ["Tỷ lệ đã đọc phác đồ, quy trình hiện hành", "7", "—", "63,6%"],
        ["Điểm tự đánh giá chất lượng (trung bình)", "1", "—", "100,0%"],
    ]
    csv = client.get("/monitoring/?place=4&period=2026&export=csv&table=capacity").content
    assert "Thời gian từ thỏa thuận đến cho phép thực hiện (trung vị),4,88.0," in csv.decode(
        "utf-8-sig"
    )
