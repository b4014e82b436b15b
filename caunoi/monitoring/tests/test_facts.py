"""The pre-computed consultation facts: every indicator computed from them equals the same
indicator recomputed from the raw rows, and an incremental refresh follows every kind of change."""

import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_cancel, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring import aggregate
from caunoi.monitoring.catalogue import BY_CODE, CATALOGUE, Place
from caunoi.monitoring.engine import compute_raw
from caunoi.monitoring.facts import refresh
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.models import ConsultFact, FactState
from caunoi.monitoring.periods import parse_period
from caunoi.monitoring.tasks import indicators_refresh
from caunoi.network.models import Facility, Specialty
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Commune
from caunoi.referrals.tests.factories import make_referral

pytestmark = pytest.mark.django_db
FROM_FACTS = [i for i in CATALOGUE if i.source in aggregate.SOURCES]


def _send(worker, name="Thào A Pó", **patient):
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name=name, **patient),
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(),
        ),
    )[0]


def _same(indicator, period, place, by):
    fast = compute(indicator, period, place, by)
    slow = compute_raw(indicator, period, place, by)
    where = f"{indicator.code} {period.label} {place.key} by={by or '—'}"
    assert fast.as_dict() == slow.as_dict(), where
    # Roll-ups know a cell's patients up to five, which is all that suppression asks.
    assert [min(c.patients, 5) for c in fast.cells] == [min(c.patients, 5) for c in slow.cells]
    return fast


@pytest.fixture
def varied(worker, specialist, coordinator):
    """Seventy consultations over fourteen months, drawn at random (seeded): every status and
    urgency, four specialties, two hubs, three stations, two specialists, ages from 0 to 89,
    Kinh, H'Mông and Tày patients from ordinary, poor and near-poor households, responses early,
    late and exactly at the deadline, some closed with a referral; plus a draft and a cancelled one, which never count."""
    rng = random.Random(6)
    now = timezone.now()
    station = worker.memberships.get().facility
    stations = [
        station,
        *Facility.objects.filter(province=station.province, is_hub=False)
        .exclude(pk=station.pk)
        .exclude(commune=None)[:2],
    ]
    hubs = [
        coordinator.memberships.get().facility,
        Facility.objects.filter(is_hub=True).exclude(pk=coordinator.memberships.get().facility.pk)[
            0
        ],
    ]
    specialties = list(
        Specialty.objects.filter(
            code__in=["internal-medicine", "paediatrics", "dermatology", "cardiology"]
        )
    )
    specialists = [specialist, coordinator]
    made = []
    for n in range(70):
        c = _send(
            worker,
            name=f"Người bệnh {n}",
            sex=rng.choice(["female", "male"]),
            age_years=rng.choice([0, 3, 5, 6, 12, 15, 16, 40, 59, 60, 75, 89]),
            ethnicity=rng.choice(["01", "01", "08", "04"]),
            household=rng.choice(["", "", "poor", "near_poor"]),
        )
        sent = now - timedelta(days=rng.randint(0, 420), minutes=rng.randint(0, 1440))
        fields = {
            "submitted_at": sent,
            "deadline_at": sent + timedelta(hours=rng.choice([1, 4, 24])),
            "urgency": rng.choice(["emergency", "urgent", "routine"]),
            "requester_facility": rng.choice(stations),
            "hub": rng.choice(hubs),
            "specialty": rng.choice(specialties),
            "updated_at": timezone.now(),
        }
        fate = rng.choice(["waiting", "answered", "closed", "closed"])
        if fate != "waiting":
            first = sent + timedelta(minutes=rng.randint(5, 3000))
            if n % 7 == 0:
                first = fields["deadline_at"]  # answered at the last minute: in time
            fields.update(
                status="answered",
                first_response_at=first,
                answered_at=first,
                specialist=rng.choice(specialists),
            )
        if fate == "closed":
            fields.update(
                status="closed",
                closed_at=first + timedelta(days=rng.randint(0, 40)),
                recommended_outcome=rng.choice(["manage_locally", "follow_up", "refer"]),
            )
        if fate == "closed" and rng.random() < 0.3:
            make_referral(worker, c.patient, consultation=c)  # while still the station's own
        Consultation.objects.filter(pk=c.pk).update(**fields)
        made.append(c)
    draft, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=False,
        data=ConsultationInput(
            patient=make_patient(worker, name="Bản Nháp"), specialty=internal_medicine()
        ),
    )
    cancelled = _send(worker, name="Đã Hủy")
    consultation_cancel(consultation=cancelled, actor=worker)
    return made, draft, cancelled


def test_every_indicator_from_the_facts_equals_the_raw_rows(varied, worker, coordinator, settings):
    _made, draft, cancelled = varied
    refresh(full=True)
    settings.MONITORING_FACTS_MAX_AGE = 3600  # fresh: compare, do not keep refreshing
    assert not ConsultFact.objects.filter(pk__in=[draft.pk, cancelled.pk]).exists()
    assert ConsultFact.objects.count() == 70

    station = worker.memberships.get().facility
    hub = coordinator.memberships.get().facility
    places = [
        Place(),
        Place(kind="province", province_code=station.province.code),
        Place(kind="facility", facility=station),
        Place(kind="facility", facility=hub),
        # What a programme covers (some facilities, some provinces): from the facts as from
        # the rows; a hub in a scope is a facility like another (what it sends, none here).
        Place.scope([], [station.pk]),
        Place.scope([station.province.code], [hub.pk]),
    ]
    today = timezone.localdate()
    checked = 0
    for year in (parse_period(str(today.year)), parse_period(str(today.year - 1))):
        for place in places:
            for indicator in FROM_FACTS:
                for by in ("", *indicator.breakdowns):
                    _same(indicator, year, place, by)
                    checked += 1
    last_month = today.replace(day=1) - timedelta(days=1)
    week = today - timedelta(days=9)
    for text in (
        f"{today:%Y-%m}",
        f"{last_month:%Y-%m}",
        f"{today.year}-Q1",
        f"{week.isocalendar().year}-W{week.isocalendar().week:02d}",
        f"{today:%Y-%m-%d}",
    ):
        for place in places:
            for indicator in FROM_FACTS:
                # Every breakdown where the roll-ups answer (network and province), the total
                # elsewhere.
                for by in (
                    ("", *indicator.breakdowns) if place.kind in ("network", "province") else ("",)
                ):
                    _same(indicator, parse_period(text), place, by)
    assert checked > 1000
    # The comparison is not between two empty or wholly suppressed answers.
    year = parse_period(str(today.year))
    result = compute(BY_CODE["consults_submitted"], year, places[0], "specialty")
    assert result.total.value
    assert result.total.value > 40
    assert len(result.cells) == 4
    assert any(not c.suppressed for c in result.cells)
    assert compute(BY_CODE["response_time_median"], year, places[0]).total.value
    assert compute(BY_CODE["resolved_locally"], year, places[0]).total.value


def test_an_incremental_refresh_follows_every_kind_of_change(worker, receiver):
    a, b, c = (_send(worker, name=f"Người {n}", ethnicity="01", age_years=40) for n in "ABC")
    first = refresh()
    assert first.written == 3
    assert refresh().written == 0  # nothing changed: nothing rewritten

    patient = b.patient
    patient.ethnicity = "08"  # recorded again as H'Mông
    patient.save()
    consultation_cancel(consultation=c, actor=worker)
    make_referral(worker, a.patient, consultation=a)
    done = refresh()
    assert (done.written, done.removed) == (2, 1)
    assert ConsultFact.objects.get(pk=b.pk).ethnic_minority
    assert ConsultFact.objects.get(pk=b.pk).vulnerable
    assert ConsultFact.objects.get(pk=a.pk).referred
    assert not ConsultFact.objects.filter(pk=c.pk).exists()

    # The station moves to another commune (a merger): its consultations follow.
    station = Facility.objects.get(pk=a.requester_facility_id)
    assert station.commune_id is not None
    elsewhere = Commune.objects.exclude(pk=station.commune_id).filter(province=station.province)[0]
    station.commune = elsewhere
    station.save()
    assert refresh().written == 2
    assert set(ConsultFact.objects.values_list("commune_code", flat=True)) == {elsewhere.code}

    # The monthly roll-ups followed too: the province's figures still equal the raw rows'.
    month = parse_period(f"{timezone.localdate():%Y-%m}")
    province = Place(kind="province", province_code=station.province.code)
    for code in ("consults_submitted", "answered_in_time", "vulnerable_reach"):
        for by in ("", "vulnerability", "facility", "day"):
            _same(BY_CODE[code], month, province, by)
    assert compute(BY_CODE["consults_submitted"], month, province).total.suppressed  # 2 patients


def test_a_change_committed_late_is_caught_by_the_look_back(worker):
    refresh()
    c = _send(worker)
    # As if its transaction had saved before the last refresh began and committed after it.
    state = FactState.objects.get()
    assert state.watermark is not None
    Consultation.objects.filter(pk=c.pk).update(updated_at=state.watermark - timedelta(minutes=2))
    assert not ConsultFact.objects.filter(pk=c.pk).exists()
    assert refresh().written == 1
    assert ConsultFact.objects.filter(pk=c.pk).exists()


def test_a_stale_read_is_served_at_once_and_asks_the_worker_for_one_refresh(
    worker, settings, django_capture_on_commit_callbacks
):
    month = parse_period(f"{timezone.localdate():%Y-%m}")
    place = Place(kind="facility", facility=worker.memberships.get().facility)
    settings.MONITORING_FACTS_MAX_AGE = 3600
    for n in range(5):
        _send(worker, name=f"Trước {n}")
    refresh()
    DBTaskResult.objects.all().delete()

    def sent() -> int | float | None:
        return compute(BY_CODE["consults_submitted"], month, place).total.value

    assert sent() == 5
    _send(worker, name="Sau")
    assert sent() == 5  # younger than an hour: not refreshed, nothing asked
    assert not DBTaskResult.objects.filter(task_path__endswith="indicators_refresh").exists()

    FactState.objects.update(refreshed_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert sent() == 5  # served from what is there, without waiting
        assert sent() == 5  # a second stale read does not ask again
    asked = DBTaskResult.objects.filter(task_path__endswith="indicators_refresh")
    assert asked.count() == 1
    assert FactState.objects.get().requested_at is not None

    assert indicators_refresh.call() == 1  # what the worker runs: the one new consultation
    assert sent() == 6


def test_figures_never_computed_are_asked_for_not_computed_in_the_read(
    worker, settings, django_capture_on_commit_callbacks
):
    month = parse_period(f"{timezone.localdate():%Y-%m}")
    place = Place(kind="facility", facility=worker.memberships.get().facility)
    settings.MONITORING_FACTS_MAX_AGE = 3600
    for n in range(5):
        _send(worker, name=f"Đầu {n}")
    FactState.objects.all().delete()  # never computed (a new installation, or an upgrade)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert compute(BY_CODE["consults_submitted"], month, place).total.value == 0
    assert DBTaskResult.objects.filter(task_path__endswith="indicators_refresh").count() == 1
    assert FactState.objects.get().refreshed_at is None
    assert indicators_refresh.call() == 5  # the worker computes everything
    assert compute(BY_CODE["consults_submitted"], month, place).total.value == 5

    settings.MONITORING_FACTS_MAX_AGE = 0  # always exact: the read refreshes first
    _send(worker, name="Sau")
    assert compute(BY_CODE["consults_submitted"], month, place).total.value == 6


def test_a_median_between_two_responses_is_rounded_as_the_reference_rounds_it(worker):
    """(1.05 + 4.25) / 2 is 2.65 (2.6 once rounded), while a + (b - a) / 2, as PostgreSQL's
    percentile_cont interpolates, is 2.6500000000000004 (2.7): the fast path must say 2.6."""
    sent = timezone.now() - timedelta(days=1)
    for n, seconds in enumerate([30, 40, 63, 255, 400, 500]):
        c = _send(worker, name=f"Trung Vị {n}")
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=sent,
            first_response_at=sent + timedelta(seconds=seconds),
            status="answered",
            answered_at=sent + timedelta(seconds=seconds),
            updated_at=timezone.now(),
        )
    station = worker.memberships.get().facility
    month = parse_period(f"{timezone.localtime(sent):%Y-%m}")
    for place in (
        Place(),
        Place(kind="province", province_code=station.province.code),
        Place(kind="facility", facility=station),
    ):
        median = _same(BY_CODE["response_time_median"], month, place, "")
        assert median.total.value == 2.6
        assert _same(BY_CODE["response_time_p90"], month, place, "").total.value == 8.3


@pytest.mark.postgres
def test_a_refresh_asked_while_another_runs_steps_aside(worker):
    """The worker's refresh does not queue behind a running one (a full refresh can take
    minutes); the one running takes every change anyway."""
    from caunoi.monitoring.facts import LOCK_KEY

    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            taken.set()
            release.wait(10)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        connection.close()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert taken.wait(10)
        _send(worker)
        assert refresh(wait=False).skipped
        assert not ConsultFact.objects.exists()
    finally:
        release.set()
        other.join()
    done = refresh(wait=False)
    assert not done.skipped
    assert ConsultFact.objects.count() == 1


def test_the_command_rebuilds_the_facts(worker, capsys):
    for n in range(3):
        _send(worker, name=f"Lệnh {n}")
    ConsultFact.objects.all().delete()
    call_command("indicators", "refresh", "--full")
    out = capsys.readouterr().out
    assert "3 / 3 consultations" in out
    assert "3 facts written" in out
    assert ConsultFact.objects.count() == 3
