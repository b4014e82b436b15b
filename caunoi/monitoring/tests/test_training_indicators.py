"""Training coverage in the M&E catalogue (issue 14, item 7): courses, health workers and
facilities trained, counted at the learner's own facility, and the share of clinical staff on
track for 120 tiết in five years — with the small-cell rule applied to people, in the engine,
the API, the dashboard and the DHIS2 payload.

The month (October 2026), built through the training services (publish, enrol, attend,
complete) with the completion times then set:

=============  ==================================  ==================  ============  ========
learner        facility (profession)               course (specialty)  completed     CME 31/10
=============  ==================================  ==================  ============  ========
worker         Bảo Lâm (assistant doctor)           A (internal med.)   October       short
                                                    B (paediatrics)     September
colleague      Bảo Lâm (assistant doctor)           A                   October       short *
n1             Bảo Lâm (assistant doctor)           A                   October       short **
n2             Bảo Lâm (assistant doctor)           A                   October       on track
n3             Bảo Lâm (nurse)                      A                   October       on track
other          Lý Bôn (assistant doctor)            B                   October       warning
                                                    D (internal med.)   1 November
n4             Lý Bôn (nurse; first an officer at   B                   October       on track
               the Department of Health)
receiver       provincial hospital (doctor)         A                   October       on track
receiver.col.  provincial hospital (doctor)         —                   —             on track
2 Huế staff    Huế hub (Thừa Thiên Huế)             C (no specialty)    October       on track
=============  ==================================  ==================  ============  ========

*  120 tiết earned on 10/11/2026: on track today, not on 31/10.
** 120 tiết self-declared and not verified: they do not count.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from caunoi.accounts.models import User
from caunoi.accounts.tests.factories import OfficerFactory, WorkerFactory
from caunoi.monitoring.catalogue import BY_CODE, Place
from caunoi.monitoring.dhis2 import data_value_set
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.models import Dhis2DataElement, Dhis2OrgUnit
from caunoi.monitoring.periods import parse_period
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.network.tests.factories import MembershipFactory, fixture_network
from caunoi.places.models import Province
from caunoi.training.models import (
    AttendanceSource,
    CmeCredit,
    CmeProfile,
    Course,
    CourseFormat,
    CreditSource,
    Enrolment,
    SessionMode,
    TrainingCentre,
)
from caunoi.training.services import (
    CourseInput,
    SessionInput,
    attendance_join,
    attendance_leave,
    course_complete,
    course_enrol,
    course_publish,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OCTOBER = parse_period("2026-10")
CAO_BANG = Place(kind="province", province_code=4)


def _on(month, day):
    return datetime(2026, month, day, 15, 0, tzinfo=TZ)


def _course(centre, organiser, title, specialty):
    start = timezone.now() + timedelta(days=7)
    course, _created = course_publish(
        actor=organiser,
        centre=centre,
        data=CourseInput(
            title_vi=title,
            tiet=Decimal(8),
            capacity=50,
            format=CourseFormat.LIVE_ONLINE,
            specialty=Specialty.objects.get(code=specialty) if specialty else None,
            sessions=[SessionInput("Buổi 1", start, start + timedelta(hours=2), SessionMode.ROOM)],
        ),
    )
    return course


def _complete(course, organiser, completions):
    """Enrol, attend the whole session, complete; then date each completion as given."""
    for learner in completions:
        course_enrol(course=course, actor=learner)
    session = course.sessions.get()
    # Move the course into the past: publishing refuses no date, the clock does.
    start = timezone.now() - timedelta(days=1)
    session.starts_at, session.ends_at = start, start + timedelta(hours=2)
    session.save()
    Course.objects.filter(pk=course.pk).update(
        starts_on=timezone.localdate(start), ends_on=timezone.localdate(start)
    )
    course.refresh_from_db()
    for learner in completions:
        attendance_join(
            session=session, user=learner, source=AttendanceSource.VIDEO, at=session.starts_at
        )
        attendance_leave(session=session, user=learner, at=session.ends_at)
    credits = course_complete(course=course, actor=organiser)
    assert len(credits) == len(completions)
    for learner, when in completions.items():
        Enrolment.objects.filter(course=course, user=learner).update(completed_at=when)


def _credit(user, tiet, on, source=CreditSource.PLATFORM):
    CmeCredit.objects.create(
        user=user,
        activity_type="course",
        title="Hội thảo",
        provider="Nơi khác",
        tiet=Decimal(tiet),
        earned_on=on,
        source=source,
    )


@pytest.fixture
def trained(worker, receiver, specialist):
    net = fixture_network()
    bao_lam, ly_bon = net.stations[0], net.stations[1]
    people = {
        "worker": worker,
        "colleague": User.objects.get(username="worker.colleague"),
        "other": User.objects.get(username="worker.other"),
        "receiver": receiver,
        "receiver.colleague": User.objects.get(username="receiver.colleague"),
        "n1": WorkerFactory(username="hv.n1", facility=bao_lam),
        "n2": WorkerFactory(username="hv.n2", facility=bao_lam),
        "n3": WorkerFactory(username="hv.n3", facility=bao_lam, profession=Profession.NURSE),
        # First an officer at the Department of Health, then a nurse at Lý Bôn: counted at
        # the station, as a nurse (the first clinical membership).
        "n4": OfficerFactory(username="hv.n4", facility=net.department),
    }
    MembershipFactory(
        user=people["n4"], facility=ly_bon, role=Role.WORKER, profession=Profession.NURSE
    )
    hue = list(
        User.objects.filter(memberships__facility=net.hub, memberships__role=Role.SPECIALIST)
        .exclude(pk=specialist.pk)
        .order_by("id")[:2]
    )
    centre = TrainingCentre.objects.create(facility=net.hub, cme_provider_code="HUE-CME-01")
    a = _course(centre, specialist, "Tăng huyết áp ở tuyến xã", "internal-medicine")
    b = _course(centre, specialist, "Sốt ở trẻ em", "paediatrics")
    c = _course(centre, specialist, "Kỹ năng hội chẩn từ xa", None)
    october = [_on(10, 1 + n) for n in range(6)]
    _complete(
        a,
        specialist,
        {
            people[key]: when
            for key, when in zip(
                ["worker", "colleague", "n1", "n2", "n3", "receiver"], october, strict=True
            )
        },
    )
    _complete(
        b,
        specialist,
        {worker: _on(9, 20), people["other"]: _on(10, 31), people["n4"]: _on(10, 15)},
    )
    _complete(c, specialist, {hue[0]: _on(10, 9), hue[1]: _on(10, 10)})
    # November's by Vietnam's calendar, though still 31 October in UTC.
    d = _course(centre, specialist, "Đái tháo đường", "internal-medicine")
    _complete(d, specialist, {people["other"]: datetime(2026, 11, 1, 0, 30, tzinfo=TZ)})
    # CME standing on 31 October 2026 (licences of 2015: the obligation has started).
    for key in ["worker", "colleague", "other", "receiver.colleague", "n1"]:
        CmeProfile.objects.create(user=people[key], licence_issued_on=date(2015, 1, 1))
    _credit(people["colleague"], 120, date(2026, 11, 10))  # after 31 October
    _credit(people["other"], 120, date(2021, 12, 1))  # leaves the window on 1/12/2026: warned
    _credit(people["receiver.colleague"], 120, date(2025, 6, 1))
    _credit(people["n1"], 120, date(2025, 6, 1), source=CreditSource.SELF_DECLARED)
    people["hue"] = hue
    people["net"] = net
    return people


def _value(code, place=CAO_BANG, period=OCTOBER, by=""):
    return compute(BY_CODE[code], period, place, by)


def _cells(result):
    return {c.key: (c.value, c.suppressed) for c in result.cells}


def test_a_province_counts_its_own_learners_courses_and_facilities(trained):
    assert _value("workers_trained").total.value == 8
    assert _value("facilities_trained").total.value == 3
    assert _value("training_courses").total.value == 2  # A and B; C only at Huế, D in November
    # The network adds Huế's two learners, their facility and their course.
    assert _value("workers_trained", place=Place()).total.value == 10
    assert _value("facilities_trained", place=Place()).total.value == 4
    assert _value("training_courses", place=Place()).total.value == 3
    hue = Place(kind="province", province_code=trained["net"].hub.province.code)
    assert _value("workers_trained", place=hue).total.suppressed  # two people


def test_a_facility_counts_its_staff_and_a_small_one_is_suppressed(trained):
    bao_lam = Place(kind="facility", facility=trained["net"].stations[0])
    assert _value("workers_trained", place=bao_lam).total.value == 5
    # The worker's paediatrics course was completed in September.
    assert _value("training_courses", place=bao_lam).total.value == 1
    assert _value("facilities_trained", place=bao_lam).total.value == 1
    ly_bon = Place(kind="facility", facility=trained["net"].stations[1])
    total = _value("workers_trained", place=ly_bon).total
    assert (total.value, total.numerator, total.suppressed) == (None, None, True)
    # The officer-then-nurse counts at her station, not at the Department of Health.
    department = Place(kind="facility", facility=trained["net"].department)
    assert _value("workers_trained", place=department).total.value == 0


def test_by_facility_and_profession_small_cells_are_suppressed_and_the_total_shown(trained):
    net = trained["net"]
    result = _value("workers_trained", by="facility")
    assert (result.total.value, result.total.suppressed) == (8, False)
    assert _cells(result) == {
        str(net.stations[0].public_id): (5, False),
        str(net.stations[1].public_id): (None, True),
        str(net.provincial.public_id): (None, True),
    }
    by_profession = _value("workers_trained", by="profession")
    assert _cells(by_profession) == {
        "assistant_doctor": (5, False),
        "nurse": (None, True),
        "doctor": (None, True),
    }
    labels = {c.key: c.label for c in by_profession.cells}
    assert labels["nurse"] == str(Profession.NURSE.label)
    with translation.override("en"):
        english = {c.key: c.label for c in _value("workers_trained", by="profession").cells}
    assert english["assistant_doctor"] == "assistant doctor (y sĩ)"


def test_by_specialty_the_only_shown_cell_is_hidden_when_it_would_give_the_other_away(trained):
    # Cao Bằng: internal medicine 6 and paediatrics 2; 8 - 6 would tell the 2.
    province = _value("workers_trained", by="specialty")
    assert result_total(province) == 8
    assert _cells(province) == {"internal-medicine": (None, True), "paediatrics": (None, True)}
    # The network: two small cells hide each other; internal medicine stays.
    network = _value("workers_trained", place=Place(), by="specialty")
    assert result_total(network) == 10
    assert _cells(network) == {
        "internal-medicine": (6, False),
        "paediatrics": (None, True),
        "none": (None, True),
    }
    with translation.override("en"):
        courses = _value("training_courses", place=Place(), by="specialty")
    assert {c.key: c.label for c in courses.cells}["none"] == "no specialty"


def result_total(result):
    assert not result.total.suppressed
    return result.total.value


def test_by_month_each_month_counts_its_own_and_the_year_counts_people_once(trained):
    year = _value("workers_trained", period=parse_period("2026"), by="month")
    # The worker completed in September and October, "other" in October and November: each
    # is one person trained in the year.
    assert result_total(year) == 8
    # September's and November's one learner are hidden, October's eight shown.
    assert _cells(year) == {"2026-09": (None, True), "2026-10": (8, False), "2026-11": (None, True)}
    # A single hidden month is given no partner: October is its own published total.
    quarter = _value("workers_trained", period=parse_period("2026-Q4"), by="month")
    assert _cells(quarter) == {"2026-10": (8, False), "2026-11": (None, True)}
    # D, completed at 00:30 on 1 November in Vietnam (still 31 October in UTC), is November's.
    courses = _value("training_courses", period=parse_period("2026-Q4"), by="month")
    assert result_total(courses) == 3
    assert _cells(courses) == {"2026-10": (2, False), "2026-11": (None, True)}
    assert _value("workers_trained", period=parse_period("2026-11")).total.suppressed  # one


def test_share_of_staff_on_track_is_read_at_the_end_of_the_period(trained):
    share = _value("cme_on_track").total
    # Nine clinical staff in Cao Bằng (not the officer, not Huế's): five on track on 31/10.
    assert (share.numerator, share.denominator, share.value) == (5, 9, 55.6)
    # Today the colleague's November credit counts.
    november = _value("cme_on_track", period=parse_period("2026-11")).total
    assert (november.numerator, november.denominator) == (6, 9)
    net = trained["net"]
    by_facility = _value("cme_on_track", by="facility")
    assert _cells(by_facility) == {
        str(net.stations[0].public_id): (40.0, False),
        str(net.stations[1].public_id): (None, True),
        str(net.provincial.public_id): (None, True),
    }
    assert _cells(_value("cme_on_track", by="profession")) == {
        "assistant_doctor": (20.0, False),
        "nurse": (None, True),
        "doctor": (None, True),
    }
    # The whole network: each member of staff once, the four behind all from Cao Bằng.
    staff = (
        Membership.objects.active()
        .filter(
            facility__isnull=False, role__in=["worker", "specialist", "coordinator", "clinician"]
        )
        .values("user_id")
        .distinct()
        .count()
    )
    network = _value("cme_on_track", place=Place()).total
    assert (network.numerator, network.denominator) == (staff - 4, staff)
    with pytest.raises(ValueError, match="month"):
        _value("cme_on_track", by="month")


def test_the_api_gives_the_figures_and_the_catalogue_lists_them(trained, officer, api_client):
    client = api_client(officer)
    body = client.get(
        "/api/indicators/workers_trained/values?period=2026-10&place=4&by=profession"
    ).json()
    assert body["total"] == {
        "key": "total",
        "label": "total",
        "numerator": 8,
        "denominator": None,
        "value": 8,
        "suppressed": False,
    }
    assert [(v["key"], v["value"], v["suppressed"]) for v in body["values"]] == [
        ("assistant_doctor", 5, False),
        ("doctor", None, True),
        ("nurse", None, True),
    ]
    share = client.get("/api/indicators/cme_on_track/values?period=2026-10&place=4").json()
    assert (share["unit"], share["total"]["value"]) == ("percent", 55.6)
    refused = client.get("/api/indicators/cme_on_track/values?period=2026-10&place=4&by=month")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["by"]
    listed = {i["code"]: i for i in client.get("/api/indicators").json()["items"]}
    assert "profession" in listed["workers_trained"]["breakdowns"]
    assert "month" not in listed["cme_on_track"]["breakdowns"]
    assert listed["cme_on_track"]["name_vi"] == "Tỷ lệ nhân viên đạt tiến độ 120 tiết"


def test_the_dhis2_payload_carries_them_and_never_a_small_cell(trained):
    net = trained["net"]
    Dhis2DataElement.objects.create(indicator="workers_trained", data_element="wrkTrained1")
    Dhis2DataElement.objects.create(indicator="cme_on_track", data_element="cmeOnTrack1")
    Dhis2OrgUnit.objects.create(province=Province.objects.get(code=4), org_unit="CaoBang0001")
    Dhis2OrgUnit.objects.create(facility=net.stations[0], org_unit="BaoLam00001")
    Dhis2OrgUnit.objects.create(facility=net.stations[1], org_unit="LyBon000001")
    values = data_value_set(OCTOBER, within=[Place()])["dataValues"]
    assert sorted((v["orgUnit"], v["dataElement"], v["value"]) for v in values) == [
        ("BaoLam00001", "cmeOnTrack1", "40"),
        ("BaoLam00001", "wrkTrained1", "5"),
        ("CaoBang0001", "cmeOnTrack1", "55.6"),
        ("CaoBang0001", "wrkTrained1", "8"),
    ]


def _table_rows(page: str, table_id: str) -> list[list[str]]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def test_the_dashboard_shows_the_training_table_for_a_province_and_a_facility(
    trained, officer, login
):
    client = login(officer)
    page = client.get("/monitoring/?place=4&period=2026-10").content.decode()
    assert _table_rows(page, "table-training") == [
        ["Số nhân viên y tế được đào tạo", "8", "—"],
        ["Số cơ sở có nhân viên được đào tạo", "3", "—"],
        ["Số khóa đào tạo có học viên hoàn thành", "2", "—"],
        ["Tỷ lệ nhân viên đạt tiến độ 120 tiết", "5", "55,6%"],
    ]
    assert "31/10/2026" in page.split('id="table-training"', 1)[1]
    ly_bon = trained["net"].stations[1].public_id
    page = client.get(f"/monitoring/?place={ly_bon}&period=2026-10").content.decode()
    assert _table_rows(page, "table-training") == [
        ["Số nhân viên y tế được đào tạo", "•", "—"],
        ["Số cơ sở có nhân viên được đào tạo", "•", "—"],
        ["Số khóa đào tạo có học viên hoàn thành", "•", "—"],
        ["Tỷ lệ nhân viên đạt tiến độ 120 tiết", "•", "•"],
    ]
    csv = client.get("/monitoring/?place=4&period=2026-10&export=csv&table=training").content
    assert "Tỷ lệ nhân viên đạt tiến độ 120 tiết,5,55.6" in csv.decode("utf-8-sig")


def test_a_hubs_staff_are_its_own_total_and_never_hidden_as_a_partner(db):
    """Hà Nội has two hubs: Bạch Mai (a dozen staff) and the children's hospital (two). The
    children's is hidden; Bạch Mai's share is what its own dashboard shows, so hiding it
    would protect nothing."""
    net = fixture_network()
    hanoi = Place(kind="province", province_code=net.second_hub.province.code)
    result = _value("cme_on_track", place=hanoi, by="facility")
    bach_mai = _value("cme_on_track", place=Place(kind="facility", facility=net.second_hub))
    assert bach_mai.total.value == 100.0
    assert _cells(result) == {
        str(net.second_hub.public_id): (100.0, False),
        str(net.children_hub.public_id): (None, True),
    }
