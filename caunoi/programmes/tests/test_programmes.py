"""Programmes and their money: conversion at the transaction's date, the portfolio's figures
over a hand-built portfolio (the grant share among them), bad input refused whole, and who
sees which programme."""

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from django.core.exceptions import PermissionDenied, ValidationError

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Role
from caunoi.places.models import Province
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.models import ExchangeRate, Partner, PriorityArea, Programme, Transaction
from caunoi.programmes.selectors import portfolio
from caunoi.programmes.services import (
    ProgrammeInput,
    TransactionInput,
    convert,
    programme_create,
    rates_load,
    transaction_record,
)

pytestmark = pytest.mark.django_db

RATES = b"""currency,date,vnd
USD,2024-01-02,24300
USD,2025-01-02,25400
KRW,2024-01-02,18.6
KRW,2025-01-02,17.2
"""


@pytest.fixture
def partners():
    return {
        "KOFIH": Partner.objects.create(
            name="Korea Foundation for International Healthcare",
            short_name="KOFIH",
            kind="bilateral",
        ),
        "UNDP": Partner.objects.create(
            name="United Nations Development Programme", short_name="UNDP", kind="multilateral"
        ),
        "ADB": Partner.objects.create(
            name="Asian Development Bank", short_name="ADB", kind="multilateral"
        ),
    }


def _programme(admin, code, funders, provinces, areas, **kw):
    return programme_create(
        actor=admin,
        client_id=uuid.uuid4(),
        data=ProgrammeInput(
            code=code,
            title_vi=f"Chương trình {code}",
            status="implementation",
            starts_on=date(2023, 1, 1),
            ends_on=date(2026, 12, 31),
            partners=[(p, "funding") for p in funders],
            priority_areas=list(PriorityArea.objects.filter(code__in=areas)),
            provinces=list(Province.objects.filter(code__in=provinces)),
            **kw,
        ),
    )[0]


def _money(
    admin,
    programme,
    kind,
    provider,
    amount,
    currency="USD",
    on=date(2024, 3, 1),
    flow="grant",
    reason="",
):
    return transaction_record(
        programme=programme,
        actor=admin,
        data=TransactionInput(
            kind=kind,
            on=on,
            provider=provider,
            currency=currency,
            amount=Decimal(amount),
            flow_type=flow,
            finance_type="110" if flow == "grant" else "410",
            reason=reason,
        ),
    )[0]


def test_amounts_are_converted_at_the_rate_of_the_transactions_date():
    assert rates_load(RATES) == 4
    # KRW 1,000,000 in March 2024 (rate of 02/01/2024 is more than a month old: refused) …
    with pytest.raises(ValidationError) as refused:
        convert(Decimal(1_000_000), "KRW", date(2024, 3, 1))
    assert "currency" in refused.value.message_dict
    # … and on 20/01/2025 at 17.2 VND per won and 25,400 VND per dollar.
    vnd, usd = convert(Decimal(1_000_000), "KRW", date(2025, 1, 20))
    assert (vnd, usd) == (Decimal(17_200_000), Decimal("677.17"))
    assert convert(Decimal(100), "USD", date(2024, 1, 15)) == (Decimal(2_430_000), Decimal(100))
    assert convert(Decimal(2_430_000), "VND", date(2024, 1, 15)) == (
        Decimal(2_430_000),
        Decimal(100),
    )


@pytest.mark.parametrize(
    "content",
    [
        b"currency,date,vnd\nUSD,2024-13-40,24300\n",
        b"currency,date,vnd\nUS,2024-01-02,1\n",
        b"currency,date,vnd\nUSD,2024-01-02,-5\n",
        b"currency,date,vnd\n",
    ],
)
def test_a_wrong_rates_file_loads_nothing(content):
    with pytest.raises(ValidationError):
        rates_load(content)
    assert not ExchangeRate.objects.exists()


def test_the_portfolio_figures_over_a_hand_built_portfolio(network_admin, partners):
    rates_load(RATES)
    # Programme A: KOFIH and UNDP grant, two provinces, two priority areas.
    a = _programme(
        network_admin,
        "A",
        [partners["KOFIH"], partners["UNDP"]],
        [4, 8],
        ["grassroots-health", "digital-transformation"],
    )
    # Programme B: ADB concessional loan, one province, one area.
    b = _programme(network_admin, "B", [partners["ADB"]], [4], ["infrastructure"])
    _money(network_admin, a, "commitment", partners["KOFIH"], 3_000_000, on=date(2024, 1, 10))
    _money(network_admin, a, "commitment", partners["UNDP"], 200_000, on=date(2024, 1, 10))
    _money(network_admin, a, "disbursement", partners["KOFIH"], 1_000_000, on=date(2025, 1, 5))
    _money(
        network_admin,
        b,
        "commitment",
        partners["ADB"],
        8_000_000,
        on=date(2025, 1, 5),
        flow="concessional_loan",
    )
    figures = portfolio(Programme.objects.all())
    assert (figures.programmes, figures.committed, figures.disbursed) == (
        2,
        Decimal("11200000.00"),
        Decimal("1000000.00"),
    )
    # 3.2 M of 11.2 M committed are grants: 28.6 %.
    assert figures.grant_share == Decimal("28.6")
    assert [(d.key, d.committed, d.disbursed) for d in figures.by_donor] == [
        ("ADB", Decimal("8000000.00"), Decimal(0)),
        ("KOFIH", Decimal("3000000.00"), Decimal("1000000.00")),
        ("UNDP", Decimal("200000.00"), Decimal(0)),
    ]
    assert [(y.key, y.committed, y.disbursed) for y in figures.by_year] == [
        ("2024", Decimal("3200000.00"), Decimal(0)),
        ("2025", Decimal("8000000.00"), Decimal("1000000.00")),
    ]
    # A's money is shared between its two provinces; B's all in province 4.
    by_province = {p.key: (p.committed, p.disbursed) for p in figures.by_province}
    assert by_province == {
        "4": (Decimal("9600000.00"), Decimal("500000.00")),
        "8": (Decimal("1600000.00"), Decimal("500000.00")),
    }
    assert sum(p.committed for p in figures.by_province) == figures.committed
    by_area = {p.key: p.committed for p in figures.by_priority}
    assert by_area == {
        "infrastructure": Decimal("8000000.00"),
        "grassroots-health": Decimal("1600000.00"),
        "digital-transformation": Decimal("1600000.00"),
    }


def test_bad_money_is_refused_with_a_message_and_changes_nothing(network_admin, partners):
    rates_load(RATES)
    a = _programme(network_admin, "A", [partners["KOFIH"]], [], ["grassroots-health"])
    _money(network_admin, a, "commitment", partners["KOFIH"], 1000, on=date(2024, 1, 10))
    for kwargs, field in [
        ({"amount": -5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"provider": partners["ADB"]}, "provider"),
        ({"flow": "gift"}, "flow_type"),
        ({"amount": 5000, "kind": "disbursement"}, "reason"),  # beyond the commitment, no reason
    ]:
        args = {
            "kind": "commitment",
            "provider": partners["KOFIH"],
            "amount": 10,
            "on": date(2024, 1, 20),
            **kwargs,
        }
        with pytest.raises(ValidationError) as refused:
            _money(
                network_admin, a, args.pop("kind"), args.pop("provider"), args.pop("amount"), **args
            )
        assert field in refused.value.message_dict
    assert Transaction.objects.count() == 1
    # With its reason the advance is taken.
    _money(
        network_admin,
        a,
        "disbursement",
        partners["KOFIH"],
        5000,
        on=date(2024, 1, 20),
        reason="Tạm ứng trước khi ký bổ sung cam kết",
    )
    assert Transaction.objects.count() == 2


def test_only_administrators_record_programmes_and_managers_their_money(
    network_admin, partners, officer
):
    with pytest.raises(PermissionDenied):
        _programme(officer, "X", [partners["KOFIH"]], [], ["grassroots-health"])
    with pytest.raises(ValidationError) as refused:
        _programme(network_admin, "X", [], [], [])
    assert {"partners", "priority_areas"} <= set(refused.value.message_dict)
    a = _programme(network_admin, "A", [partners["KOFIH"]], [], ["grassroots-health"])
    rates_load(RATES)
    with pytest.raises(PermissionDenied):
        _money(officer, a, "commitment", partners["KOFIH"], 10, on=date(2024, 1, 10))


def test_who_sees_a_programme(network_admin, partners, donor, officer, worker, login, api_client):
    donor_org = donor.memberships.get(role=Role.DONOR).organisation
    assert donor_org == "KOFIH"
    province = officer.memberships.get().facility.province
    mine = _programme(network_admin, "K", [partners["KOFIH"]], [], ["grassroots-health"])
    theirs = _programme(network_admin, "D", [partners["ADB"]], [province.code], ["infrastructure"])
    answer = api_client(donor).get("/api/programmes").json()["items"]
    assert [p["code"] for p in answer] == ["K"]
    assert login(donor).get(theirs.get_absolute_url()).status_code == 404
    assert login(donor).get(mine.get_absolute_url()).status_code == 200
    assert [p["code"] for p in api_client(officer).get("/api/programmes").json()["items"]] == ["D"]
    assert login(worker).get("/programmes/").status_code == 404
    # An officer of a province no programme covers sees the page, empty.
    Programme.objects.filter(code="D").delete()
    empty = login(officer).get("/programmes/")
    assert empty.status_code == 200
    assert "Chưa có chương trình nào" in empty.content.decode()
    manager = User.objects.create_user(username="manager", full_name="Quản lý dự án")
    Membership.objects.create(user=manager, role=Role.DONOR, organisation="Bộ Y tế")
    mine.managers.add(manager)
    assert login(manager).get(mine.get_absolute_url()).status_code == 200


SCHEMA = Path(__file__).resolve().parent.parent / "iati_schemas" / "iati-activities-schema.xsd"


@pytest.fixture(scope="module")
def iati_schema():
    return xmlschema.XMLSchema(str(SCHEMA))


def test_the_iati_file_is_valid_against_the_official_schema_and_says_what_was_recorded(
    network_admin, partners, iati_schema, donor, api_client, login
):
    rates_load(RATES)
    partners["KOFIH"].iati_ref = "KR-GOV-KOFIH"
    partners["KOFIH"].save()
    a = _programme(
        network_admin,
        "TELEMED",
        [partners["KOFIH"], partners["UNDP"]],
        [4, 8],
        ["grassroots-health", "medical-training", "digital-transformation"],
    )
    _money(network_admin, a, "commitment", partners["KOFIH"], 3_200_000, on=date(2024, 1, 10))
    _money(
        network_admin,
        a,
        "disbursement",
        partners["KOFIH"],
        1_000_000,
        currency="KRW",
        on=date(2025, 1, 5),
    )
    xml = activities_xml([a])
    assert list(iati_schema.iter_errors(xml.decode())) == []
    root = ET.fromstring(xml)  # noqa: S314 -- our own file
    activity = root.find("iati-activity")
    assert activity is not None
    assert activity.findtext("iati-identifier") == "KR-GOV-KOFIH-TELEMED"
    values = [
        (
            t.find("transaction-type").get("code"),  # type: ignore[union-attr]
            t.find("value").get("currency"),  # type: ignore[union-attr]
            t.findtext("value"),
        )
        for t in activity.iter("transaction")
    ]
    assert values == [("2", "USD", "3200000.00"), ("3", "KRW", "1000000.00")]
    shares = [float(s.get("percentage", "0")) for s in activity.iter("sector")]
    assert sum(shares) == pytest.approx(100)
    assert [c.get("code") for c in activity.iter("recipient-country")] == ["VN"]
    # The same file from the page and the API, for the donor (KOFIH) only.
    page = login(donor).get(f"/programmes/{a.public_id}/iati.xml")
    assert page["Content-Type"].startswith("application/xml")
    assert list(iati_schema.iter_errors(page.content.decode())) == []
    api = api_client(donor).get(f"/api/programmes/{a.public_id}/iati.xml")
    assert api.status_code == 200
    assert b"KR-GOV-KOFIH-TELEMED" in api.content
    other = _programme(network_admin, "ADB-1", [partners["ADB"]], [], ["infrastructure"])
    assert api_client(donor).get(f"/api/programmes/{other.public_id}/iati.xml").status_code == 404


def test_the_schema_check_catches_a_broken_file(network_admin, partners, iati_schema):
    a = _programme(network_admin, "X", [partners["KOFIH"]], [], ["grassroots-health"])
    root = ET.fromstring(activities_xml([a]))  # noqa: S314 -- our own file
    activity = root.find("iati-activity")
    assert activity is not None
    activity.remove(activity.find("iati-identifier"))  # type: ignore[arg-type]
    ET.SubElement(activity, "activity-status", {"code": "2"})  # out of order, twice
    errors = list(iati_schema.iter_errors(ET.tostring(root, encoding="unicode")))
    assert errors


def test_a_kit_serial_is_one_kits_and_the_idle_report_finds_the_unused_ones(
    network_admin, partners, worker, donor, api_client
):
    from datetime import timedelta

    from django.utils import timezone

    from caunoi.consults.services import ConsultationInput, consultation_submit
    from caunoi.consults.tests.factories import internal_medicine, summary
    from caunoi.network.models import Facility
    from caunoi.patients.tests.factories import make_patient
    from caunoi.programmes.selectors import idle_kits, kit_use
    from caunoi.programmes.services import KitInput, kit_register, kit_status_set

    p = _programme(network_admin, "KITS", [partners["KOFIH"]], [], ["grassroots-health"])
    busy = worker.memberships.get(role=Role.WORKER).facility
    quiet, broken_at = Facility.objects.filter(kind="station").exclude(pk=busy.pk)[:2]
    today = timezone.localdate()
    long_ago = today - timedelta(days=200)

    def kit(serial, facility, delivered=long_ago):
        return kit_register(
            programme=p,
            actor=network_admin,
            data=KitInput(kind="kit", serial=serial, facility=facility, delivered_on=delivered),
        )

    kit("kf-001", busy)
    kit("KF-002", quiet)
    broken = kit("KF-003", broken_at)
    kit("KF-004", quiet, delivered=today - timedelta(days=10))  # too new to be idle
    kit_register(  # a server serves the platform: never "idle" at its facility
        programme=p,
        actor=network_admin,
        data=KitInput(kind="server", serial="SV-1", facility=quiet, delivered_on=long_ago),
    )
    with pytest.raises(ValidationError) as refused:
        kit(" kf-002 ", busy)  # the same serial, written differently
    assert "serial" in refused.value.message_dict
    kit_status_set(kit=broken, actor=network_admin, status="broken", note="Hỏng nguồn")
    # The busy station sends a consultation today.
    consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name="Lý Thị Mỷ"),
            specialty=internal_medicine(),
            summary=summary(),
        ),
    )
    idle = idle_kits(p.kits.all(), days=60, today=today)
    assert [u.kit.serial for u in idle] == ["KF-002"]
    uses = {
        u.kit.serial: u
        for u in kit_use(p.kits.all(), since=today - timedelta(days=29), until=today)
    }
    assert (uses["KF-001"].consults, uses["KF-001"].last_used) == (1, today)
    assert uses["KF-002"].last_used is None
    assert [log.status for log in broken.log.all()] == ["in_use", "broken"]
    answer = api_client(donor).get("/api/kits?idle_days=60").json()["items"]
    assert [k["serial"] for k in answer] == ["KF-002"]


def test_the_programme_list_costs_the_same_queries_for_one_programme_or_many(
    network_admin, partners, api_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rates_load(RATES)
    client = api_client(network_admin)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            items = client.get("/api/programmes").json()["items"]
        # The token's "last used" is written at most once a while: not the list's cost.
        return len(items), sum(1 for q in queries if "accounts_apitoken" not in q["sql"])

    first = _programme(network_admin, "P1", [partners["KOFIH"]], [4], ["grassroots-health"])
    _money(network_admin, first, "commitment", partners["KOFIH"], 100, on=date(2024, 1, 10))
    one = cost()
    for n in range(2, 5):
        p = _programme(network_admin, f"P{n}", [partners["ADB"]], [4, 8], ["infrastructure"])
        _money(network_admin, p, "commitment", partners["ADB"], 100 * n, on=date(2024, 1, 10))
    many = cost()
    assert (one[0], many[0]) == (1, 4)
    assert many[1] == one[1], (one, many)
    answer = client.get(f"/api/programmes/{first.public_id}").json()
    assert (answer["committed_usd"], answer["grant_share"]) == ("100.00", "100.0")
