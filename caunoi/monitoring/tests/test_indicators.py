"""Each indicator against a hand-built month with known answers, and the suppression of
small cells, in the engine and the API."""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.catalogue import BY_CODE, CATALOGUE, Place, age_band
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import parse_period
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.tests.factories import make_referral

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH = parse_period("2026-09")
LUNG_CU = 715


def at(day, hour=8):
    return datetime(2026, 9, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def month(worker, specialist):
    """Eight consults from Bảo Lâm in September 2026 (urgent, 4 h deadline):
    - minutes to first response: 30, 60, 90, 120, 300 (late), 600 (late); two never answered (late);
    - closed: the first five; one of them referred;
    - patients: 4 H'Mông (ethnic minority), 2 elderly Kinh, 2 Kinh adults (not vulnerable)."""
    people = [
        ("H'Mông 1", "08", 30),
        ("H'Mông 2", "08", 40),
        ("H'Mông 3", "08", 25),
        ("H'Mông 4", "08", 35),
        ("Kinh cao tuổi 1", "01", 70),
        ("Kinh cao tuổi 2", "01", 75),
        ("Kinh 1", "01", 40),
        ("Kinh 2", "01", 45),
    ]
    minutes = [30, 60, 90, 120, 300, 600, None, None]
    made = []
    for n, ((name, ethnicity, age), first) in enumerate(zip(people, minutes, strict=True)):
        patient = make_patient(
            worker,
            name=name,
            ethnicity=ethnicity,
            birth_date=date(2026 - age, 1, 1),
            age_years=None,
        )
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient, specialty=internal_medicine(), urgency="urgent", summary=summary()
            ),
        )
        sent = at(n + 1)
        fields = {"submitted_at": sent, "deadline_at": sent + timedelta(hours=4)}
        if first is not None:
            fields.update(
                first_response_at=sent + timedelta(minutes=first),
                answered_at=sent + timedelta(minutes=first),
                specialist=specialist,
                status="answered",
            )
        if n < 5:
            fields.update(
                status="closed",
                closed_at=sent + timedelta(days=1),
                recommended_outcome="manage_locally",
            )
        Consultation.objects.filter(pk=c.pk).update(**fields, updated_at=timezone.now())
        made.append(Consultation.objects.get(pk=c.pk))
    make_referral(worker, made[0].patient, consultation=made[0])
    return made


def value(code, by="", place=None):
    result = compute(BY_CODE[code], MONTH, place or Place(kind="province", province_code=4), by)
    return result


def test_counts_times_and_shares_match_the_hand_built_month(month):
    assert value("consults_submitted").total.value == 8
    assert value("consults_answered").total.value == 6
    assert value("consults_closed").total.value == 5
    assert value("response_time_median").total.value == 105.0  # median of 30, 60, 90, 120, 300, 600
    assert value("response_time_p90").total.value == 600.0
    in_time = value("answered_in_time").total
    assert (in_time.numerator, in_time.denominator, in_time.value) == (4, 8, 50.0)
    local = value("resolved_locally").total
    assert (local.numerator, local.denominator, local.value) == (4, 5, 80.0)
    reach = value("vulnerable_reach").total
    assert (reach.numerator, reach.denominator, reach.value) == (6, 8, 75.0)
    assert value("active_health_workers").total.value == 2  # the worker and the specialist


def test_breakdowns_by_vulnerability_age_and_period(month):
    groups = {c.key: c for c in value("consults_submitted", "vulnerability").cells}
    assert groups["ethnic_minority"].value is None
    assert groups["ethnic_minority"].suppressed
    assert groups["elderly"].suppressed
    assert groups["none"].suppressed
    weeks = value("consults_submitted", "week").cells
    assert [c.key for c in weeks] == ["2026-W36", "2026-W37"]
    facilities = value("consults_submitted", "facility").cells
    assert [c.label for c in facilities] == ["Trạm Y tế xã Bảo Lâm"]
    assert facilities[0].value == 8


def test_small_cells_are_suppressed_and_zero_is_not(worker):
    patient = make_patient(worker, name="Một Mình")
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    Consultation.objects.filter(pk=c.pk).update(submitted_at=at(3), updated_at=timezone.now())
    one = value("consults_submitted").total
    assert one.suppressed
    assert one.value is None
    assert one.numerator is None
    empty = compute(
        BY_CODE["consults_submitted"],
        parse_period("2026-08"),
        Place(kind="province", province_code=4),
    )
    assert empty.total.value == 0
    assert not empty.total.suppressed


def _sent(worker, station, count, when, **patient):
    for n in range(count):
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=make_patient(worker, name=f"{station.pk}-{when:%m%d}-{n}", **patient),
                specialty=internal_medicine(),
                summary=summary(),
            ),
        )
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=when, requester_facility=station, updated_at=timezone.now()
        )


def test_a_lone_hidden_cell_takes_its_smallest_sibling_with_it(worker):
    """13 women and 2 men: the 2 is hidden, and so is the 13, or else 15 − 13 would give it
    away; the total stays."""
    home = worker.memberships.get().facility
    _sent(worker, home, 13, at(4), sex="female")
    _sent(worker, home, 2, at(4), sex="male")
    result = value("consults_submitted", "sex")
    assert result.total.value == 15
    assert [(c.key, c.value, c.suppressed) for c in result.cells] == [
        ("female", None, True),
        ("male", None, True),
    ]


def test_a_cell_published_on_its_own_is_never_hidden_to_protect_another(worker):
    """Stations with 6, 2 and 7 patients: the 2 is hidden; the 6 stays, because the station's
    own dashboard and the API publish it anyway (hiding it here would protect nothing and
    contradict them)."""
    from caunoi.network.models import Facility

    home = worker.memberships.get().facility
    others = list(
        Facility.objects.filter(province=home.province, is_hub=False).exclude(pk=home.pk)[:2]
    )
    for station, count in zip([home, *others], [6, 2, 7], strict=True):
        _sent(worker, station, count, at(4))
    result = value("consults_submitted", "facility")
    assert result.total.value == 15
    shown = {c.key: (c.value, c.suppressed) for c in result.cells}
    assert shown == {
        str(home.public_id): (6, False),
        str(others[0].public_id): (None, True),
        str(others[1].public_id): (7, False),
    }
    alone = compute(BY_CODE["consults_submitted"], MONTH, Place(kind="facility", facility=home))
    assert alone.total.value == 6
    # By day there is one cell: shown, as the total shows it anyway.
    assert [(c.value, c.suppressed) for c in value("consults_submitted", "day").cells] == [
        (15, False)
    ]


def test_a_month_with_few_patients_hides_no_other_month_of_a_trend(worker):
    """The donor's trend showed "•" for a month of 46 consultations: the month before counted
    2 patients, and secondary suppression hid the smallest other month with it. Each month of a
    trend is that month's own published total: hidden only if it counts fewer than 5."""
    home = worker.memberships.get().facility
    _sent(worker, home, 2, datetime(2026, 8, 20, 9, tzinfo=TZ))
    _sent(worker, home, 9, at(10))
    _sent(worker, home, 6, datetime(2026, 10, 10, 9, tzinfo=TZ))
    for place in (Place(), Place(kind="province", province_code=4)):
        year = compute(BY_CODE["consults_submitted"], parse_period("2026"), place, "month")
        assert [(c.key, c.value, c.suppressed) for c in year.cells] == [
            ("2026-08", None, True),
            ("2026-09", 9, False),
            ("2026-10", 6, False),
        ]
        october = compute(BY_CODE["consults_submitted"], parse_period("2026-10"), place)
        assert october.total.value == 6


def test_an_age_band_that_is_also_a_vulnerable_group_is_not_hidden_to_protect_another(worker):
    """Ages 3 (6 patients), 10 (2), 30 (7, two of them H'Mông) and 70 (8): the 6-15 band is
    hidden, and 16-59 with it — not 0-5, which the same page publishes as "child under 6".
    Vulnerable groups overlap, so hiding the two H'Mông patients needs no partner."""
    home = worker.memberships.get().facility
    _sent(worker, home, 6, at(4), age_years=3, ethnicity="01")
    _sent(worker, home, 2, at(5), age_years=10, ethnicity="01")
    _sent(worker, home, 5, at(6), age_years=30, ethnicity="01")
    _sent(worker, home, 2, at(7), age_years=30, ethnicity="08")
    _sent(worker, home, 8, at(8), age_years=70, ethnicity="01")
    bands = value("consults_submitted", "age_band").cells
    assert [(c.key, c.value) for c in bands] == [
        ("0-5", 6),
        ("6-15", None),
        ("16-59", None),
        ("60+", 8),
    ]
    groups = value("consults_submitted", "vulnerability").cells
    assert [(c.key, c.value) for c in groups] == [
        ("ethnic_minority", None),
        ("elderly", 8),
        ("child_under_6", 6),
        ("none", 7),
    ]


def test_breakdowns_read_in_age_and_urgency_order(worker):
    home = worker.memberships.get().facility
    for age in (70, 10, 3, 30):
        _sent(worker, home, 5, at(4), age_years=age)
    bands = value("consults_submitted", "age_band").cells
    assert [c.key for c in bands] == ["0-5", "6-15", "16-59", "60+"]
    assert (
        compute(
            BY_CODE["consults_submitted"],
            MONTH,
            Place(kind="province", province_code=4),
            "age_band",
        ).as_dict()["values"][2]["key"]
        == "16-59"
    )


def test_facility_indicators_count_facilities_not_patients(month):
    share = value("active_facilities").total
    stations = share.denominator
    assert share.numerator == 1
    # Every facility of care of the province counts, busy or not: three stations, the regional
    # centre and the provincial hospital of the fixture network.
    assert stations == 5
    assert share.value == round(100 / stations, 1)
    assert value("consults_per_facility").total.value == round(8 / stations, 2)


def test_referral_indicators(month, receiver):
    from caunoi.referrals.models import Referral
    from caunoi.referrals.services import referral_accept

    r = Referral.objects.get(patient=month[0].patient)
    referral_accept(referral=r, actor=receiver)
    Referral.objects.filter(pk=r.pk).update(sent_at=at(2))
    total = value("referrals").total
    assert total.suppressed  # one patient
    assert value("referrals", place=Place()).total.suppressed


def test_every_indicator_answers_for_every_breakdown_it_allows(month):
    for indicator in CATALOGUE:
        for by in indicator.breakdowns:
            result = compute(indicator, MONTH, Place(kind="province", province_code=4), by)
            for cell in result.cells:
                assert cell.suppressed or cell.value is not None or cell.denominator == 0


def test_api_gives_the_same_numbers_and_refuses_what_is_not_yours(
    month, officer, donor, worker, receiver, api_client
):
    listed = api_client(officer).get("/api/indicators").json()
    assert listed["count"] == len(BY_CODE)
    catalogue = listed["items"]
    assert {i["code"] for i in catalogue} == set(BY_CODE)
    assert all(i["name_vi"] and i["name_en"] and i["breakdowns"] for i in catalogue)
    body = (
        api_client(officer)
        .get("/api/indicators/answered_in_time/values?period=2026-09&place=4&by=urgency")
        .json()
    )
    assert body["total"] == {
        "key": "total",
        "label": "total",
        "numerator": 4,
        "denominator": 8,
        "value": 50.0,
        "suppressed": False,
    }
    assert body["values"][0]["key"] == "urgent"
    network = (
        api_client(donor)
        .get("/api/indicators/consults_submitted/values?period=2026-09&place=network")
        .json()
    )
    assert network["total"]["value"] == 8
    assert (
        api_client(officer)
        .get("/api/indicators/consults_submitted/values?period=2026-09&place=network")
        .status_code
        == 404
    )
    assert (
        api_client(officer)
        .get("/api/indicators/consults_submitted/values?period=2026-09&place=46")
        .status_code
        == 404
    )
    assert (
        api_client(worker)
        .get("/api/indicators/consults_submitted/values?period=2026-09&place=4")
        .status_code
        == 404
    )
    bad = api_client(officer).get(
        "/api/indicators/consults_submitted/values?period=09-2026&place=4"
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "period"
    wrong_by = api_client(officer).get(
        "/api/indicators/active_facilities/values?period=2026-09&place=4&by=sex"
    )
    assert wrong_by.status_code == 422
    unknown = api_client(officer).get("/api/indicators/nothing/values")
    assert unknown.status_code == 422


def test_a_birth_date_after_the_visit_counts_as_age_zero():
    assert age_band(date(2026, 10, 1), at(5)) == "0-5"
    assert age_band(None, at(5)) == "?"
    assert age_band(date(1940, 1, 1), at(5)) == "60+"
