"""Lists and pages cost the same number of queries whatever their length: each is measured
with a few rows, then again with many more, and the counts must be equal."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caunoi.codes.models import IcdCode
from caunoi.consults import queue_cache
from caunoi.consults.models import Consultation
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_assign,
    consultation_claim,
    consultation_submit,
    message_post,
    second_opinion_invite,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.network.models import Membership
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 15
NAMES = ["Giàng", "Sùng", "Vàng", "Lò", "Thào", "Hạng", "Lầu", "Vừ", "Mùa", "Chẻo"]


def _member(*, facility, role, specialty=None):
    qs = Membership.objects.filter(facility__name=facility, role=role, is_active=True)
    if specialty:
        qs = qs.filter(specialties__code=specialty)
    return qs.exclude(user__username__in=["specialist", "coordinator"]).order_by("id")[0].user


class Data:
    """Consults of the worker's station in every state the lists show."""

    def __init__(self, worker, specialist, coordinator):
        self.worker, self.specialist, self.coordinator = worker, specialist, coordinator
        self.made = 0
        self.patient = make_patient(worker, name="Giàng Thị Dợ")

    def add(self, n):
        colleague = _member(
            facility="Bệnh viện Trung ương Huế", role="specialist", specialty="internal-medicine"
        )
        for _ in range(n):
            i = self.made
            self.made += 1
            patient = (
                self.patient
                if i % 2 == 0
                else make_patient(self.worker, name=f"{NAMES[i % len(NAMES)]} A Tủa {i}")
            )
            c, _created = consultation_submit(
                actor=self.worker,
                client_id=uuid.uuid4(),
                submit=True,
                data=ConsultationInput(
                    patient=patient,
                    specialty=internal_medicine(),
                    urgency=["emergency", "urgent", "routine"][i % 3],
                    summary=summary(),
                ),
            )
            if i % 4 == 1:
                consultation_claim(consultation=c, actor=self.specialist)
            elif i % 4 == 2:
                consultation_assign(consultation=c, actor=self.coordinator, specialist=colleague)
            if i % 3 == 0:  # overdue
                Consultation.objects.filter(pk=c.pk).update(
                    deadline_at=timezone.now() - timedelta(minutes=5)
                )


@pytest.fixture
def data(worker, specialist, coordinator, django_capture_on_commit_callbacks):
    made = Data(worker, specialist, coordinator)
    add = made.add

    def add_committed(n):
        # As after a real commit: the lists' versions are bumped (queue_cache).
        with django_capture_on_commit_callbacks(execute=True):
            add(n)

    made.add = add_committed  # type: ignore[method-assign]
    return made


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


def _compare(client, url, data, rows):
    """Query counts with FEW and with MANY consults; ``rows`` counts what the response lists."""
    data.add(FEW)
    client.get(url)  # warm the caches that are filled once per process
    few, response = _queries(client, url)
    shown_few = rows(response)
    data.add(MANY - FEW)
    many, response = _queries(client, url)
    shown_many = rows(response)
    assert shown_many > shown_few, "the second measure must list more rows"
    assert many == few, f"{url}: {few} queries for {shown_few} rows, {many} for {shown_many}"


def _page_rows(response):
    return len(response.context["page"].object_list)


def _api_rows(response):
    return len(response.json()["items"])


@pytest.mark.parametrize(
    ("who", "queue"),
    [
        ("worker", "mine"),
        ("specialist", "mine"),
        ("specialist", "hub"),
        ("coordinator", "triage"),
        ("coordinator", "overdue"),
        ("worker", "overdue"),
    ],
)
def test_queue_pages_cost_the_same_whatever_their_length(who, queue, data, login, request):
    """Rendered (cold) and served from the cache (warm), each at a fixed count; the consults
    added in between bump the list's version, so the first request after them is cold."""
    client = login(request.getfixturevalue(who))
    url = f"/consults/?queue={queue}"
    data.add(FEW)
    client.get(url)  # the process's first-use caches
    queue_cache.forget_all()
    cold_few, response = _queries(client, url)
    shown_few = _html_rows(response)
    warm_few, response = _queries(client, url)
    assert _html_rows(response) == shown_few
    data.add(MANY - FEW)
    cold_many, response = _queries(client, url)
    shown_many = _html_rows(response)
    warm_many, response = _queries(client, url)
    assert _html_rows(response) == shown_many > shown_few
    assert cold_many == cold_few, f"{url} rendered: {cold_few} queries, then {cold_many}"
    assert warm_many == warm_few, f"{url} cached: {warm_few} queries, then {warm_many}"
    if queue in queue_cache.CACHED_LISTS:
        assert warm_few < cold_few, f"{url}: {warm_few} queries from the cache, {cold_few} without"
    else:
        assert warm_few == cold_few


def _html_rows(response):
    return response.content.decode().count('class="consult-row')


@pytest.mark.parametrize(
    ("who", "queue"),
    [("worker", "mine"), ("specialist", "hub"), ("coordinator", "triage"), ("worker", "overdue")],
)
def test_api_queues_cost_the_same_whatever_their_length(who, queue, data, api_client, request):
    client = api_client(request.getfixturevalue(who))
    _compare(client, f"/api/consults?queue={queue}&limit=100", data, _api_rows)


def test_api_patient_list_costs_the_same_whatever_its_length(worker, data, api_client):
    _compare(api_client(worker), "/api/patients?limit=100", data, _api_rows)


def test_patient_list_page_costs_the_same_whatever_its_length(worker, data, login):
    _compare(login(worker), "/patients/", data, _page_rows)


def test_patient_page_costs_the_same_whatever_the_number_of_consults(worker, data, login):
    client = login(worker)
    url = data.patient.get_absolute_url()

    def rows(response):
        return len(response.context["consults"])

    _compare(client, url, data, rows)


# --- one consultation with a long discussion -----------------------------------------------------


def _discussion(c, worker, specialist, n, start):
    last = None
    for i in range(start, start + n):
        author = worker if i % 2 == 0 else specialist
        uploads = [Upload(f"anh{i}.jpg", jpeg_bytes(16 + i, 16))] if i % 3 == 0 else []
        last, _created = message_post(
            consultation=Consultation.objects.get(pk=c.pk),
            actor=author,
            body=f"Tin nhắn {i}",
            parent=last if i % 2 else None,
            uploads=uploads,
        )


@pytest.fixture
def discussed(worker, specialist):
    patient = make_patient(worker)
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient,
            specialty=internal_medicine(),
            summary=summary(),
            uploads=[Upload("dau.jpg", jpeg_bytes(30, 30))],
        ),
    )
    consultation_claim(consultation=c, actor=specialist)
    return Consultation.objects.get(pk=c.pk)


def _grow(c, worker, specialist, start, n, codes):
    """Messages start..start+n, a second opinion, and advice with the given diagnoses."""
    _discussion(c, worker, specialist, n, start)
    guests = Membership.objects.filter(
        facility__name="Bệnh viện Bạch Mai",
        role="specialist",
        specialties__code="internal-medicine",
    ).order_by("id")
    guest = guests[0 if start == 0 else 1].user
    second_opinion_invite(
        consultation=Consultation.objects.get(pk=c.pk), actor=specialist, invitee=guest
    )
    advice_record(
        consultation=Consultation.objects.get(pk=c.pk),
        actor=specialist,
        advice="Theo dõi.",
        outcome="follow_up",
        diagnoses=list(IcdCode.objects.filter(code__in=codes)),
    )


@pytest.mark.parametrize("who", ["worker", "specialist"])
def test_the_consult_page_costs_the_same_whatever_the_length_of_the_discussion(
    who, worker, specialist, discussed, login, request
):
    client = login(request.getfixturevalue(who))
    url = discussed.get_absolute_url()
    _grow(discussed, worker, specialist, 0, 2, ["I10"])
    client.get(url)
    few, response = _queries(client, url)
    assert len(response.context["thread"]) == 2
    assert len(response.context["participants"]) == 1
    _grow(discussed, worker, specialist, 2, 10, ["I10", "J18.9", "E11.9"])
    many, response = _queries(client, url)
    assert len(response.context["thread"]) == 12
    assert len(response.context["participants"]) == 2
    assert len(response.context["diagnoses"]) == 3
    assert many == few


def test_the_api_consult_costs_the_same_whatever_the_length_of_the_discussion(
    worker, specialist, discussed, api_client
):
    client = api_client(worker)
    url = f"/api/consults/{discussed.public_id}"
    _grow(discussed, worker, specialist, 0, 2, ["I10"])
    client.get(url)
    few, response = _queries(client, url)
    assert len(response.json()["messages"]) == 2
    _grow(discussed, worker, specialist, 2, 10, ["I10", "J18.9", "E11.9"])
    many, response = _queries(client, url)
    body = response.json()
    assert len(body["messages"]) == 12
    assert sum(len(m["attachments"]) for m in body["messages"]) == 4
    assert len(body["diagnoses"]) == 3
    assert many == few
