"""The work lists served from the cache (queue_cache): a change shows at once, the cache never
shows one person's rows to another who may not see them, nor one language's page in another,
and a list served from the cache is still in the read audit."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.consults import queue_cache
from caunoi.consults.models import Consultation, Status
from caunoi.consults.selectors import queue
from caunoi.consults.services import (
    ConsultationInput,
    consultation_claim,
    consultation_reroute,
    consultation_submit,
)
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.network.models import Facility
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Submit as a worker, running what runs after the commit (the version bump, the push)."""

    def make(worker, name, *, send=True):
        with django_capture_on_commit_callbacks(execute=True):
            c, _created = consultation_submit(
                actor=worker,
                client_id=uuid.uuid4(),
                submit=send,
                data=ConsultationInput(
                    patient=make_patient(worker, name=name),
                    specialty=internal_medicine(),
                    summary=summary(),
                ),
            )
        return c

    return make


def _page(client, name):
    response = client.get(f"/consults/?queue={name}")
    assert response.status_code == 200
    return response.content.decode()


def test_cached_queue_shows_a_new_consult_right_after_it_is_submitted(
    worker, specialist, login, submit
):
    submit(worker, "Giàng Thị Dợ")
    client = login(specialist)
    assert "Giàng Thị Dợ" in _page(client, "hub")
    assert "Giàng Thị Dợ" in _page(client, "hub")  # served from the cache now
    submit(worker, "Sùng A Páo")
    page = _page(client, "hub")
    assert "Sùng A Páo" in page
    assert "Giàng Thị Dợ" in page


def test_a_saved_draft_shows_in_the_cached_mine_list(worker, login, submit):
    client = login(worker)
    assert "Vàng Thị Sua" not in _page(client, "mine")
    submit(worker, "Vàng Thị Sua", send=False)
    assert "Vàng Thị Sua" in _page(client, "mine")


def test_a_claimed_consult_leaves_the_cached_hub_queue(
    worker, specialist, login, submit, django_capture_on_commit_callbacks
):
    c = submit(worker, "Lò Văn Chiến")
    client = login(specialist)
    assert "Lò Văn Chiến" in _page(client, "hub")
    with django_capture_on_commit_callbacks(execute=True):
        consultation_claim(consultation=c, actor=specialist)
    assert "Lò Văn Chiến" not in _page(client, "hub")
    assert "Lò Văn Chiến" in _page(client, "mine")


def test_a_rerouted_consult_leaves_the_cached_queue_of_the_hub_it_left(
    worker, coordinator, login, submit, django_capture_on_commit_callbacks
):
    c = submit(worker, "Thào Thị Mỷ")
    client = login(coordinator)
    assert "Thào Thị Mỷ" in _page(client, "triage")
    other = Facility.objects.filter(is_hub=True, status="active").exclude(pk=c.hub_id)[0]
    with django_capture_on_commit_callbacks(execute=True):
        consultation_reroute(
            consultation=c, actor=coordinator, hub=other, specialty=internal_medicine()
        )
    assert "Thào Thị Mỷ" not in _page(client, "triage")


def test_two_workers_of_different_stations_each_see_only_their_own_rows(worker, login, submit):
    other = User.objects.get(username="worker.other")
    submit(worker, "Giàng Thị Dợ")
    submit(other, "Lương Văn Khoa")
    mine = login(worker)
    theirs = login(other)
    for _ in range(2):  # rendered, then from the cache
        page = _page(mine, "mine")
        assert "Giàng Thị Dợ" in page
        assert "Lương Văn Khoa" not in page
        page = _page(theirs, "mine")
        assert "Lương Văn Khoa" in page
        assert "Giàng Thị Dợ" not in page


def test_a_colleague_of_the_same_station_shares_the_list_but_not_a_specialists_own_cases(
    worker, specialist, login, submit, django_capture_on_commit_callbacks
):
    """Two specialists of one hub: the hub queue is the same rows for both; "mine" holds each
    one's assigned cases only."""
    c = submit(worker, "Hạng A Tủa")
    colleague = User.objects.get(username="internal-medicine.hue1")
    with django_capture_on_commit_callbacks(execute=True):
        consultation_claim(consultation=c, actor=specialist)
    mine, theirs = login(specialist), login(colleague)
    for _ in range(2):
        assert "Hạng A Tủa" in _page(mine, "mine")
        assert "Hạng A Tủa" not in _page(theirs, "mine")


def test_the_cached_queue_keeps_to_the_viewers_language(worker, specialist, login, submit):
    submit(worker, "Giàng Thị Dợ")
    client = login(specialist)
    vietnamese = _page(client, "hub")
    assert "chờ bác sĩ chuyên khoa" in vietnamese
    client.cookies["django_language"] = "en"
    english = _page(client, "hub")
    assert "waiting for a specialist" in english
    assert "chờ bác sĩ chuyên khoa" not in english
    client.cookies["django_language"] = "vi"
    assert "chờ bác sĩ chuyên khoa" in _page(client, "hub")


def test_a_row_turns_overdue_at_its_deadline_without_an_event(
    worker, specialist, login, submit, monkeypatch
):
    c = submit(worker, "Mùa A Sử")
    soon = timezone.now() + timedelta(seconds=30)
    Consultation.objects.filter(pk=c.pk).update(deadline_at=soon)  # no event, no bump
    client = login(specialist)
    assert 'class="tag overdue"' not in _page(client, "hub")
    assert 'class="tag overdue"' not in _page(client, "hub")  # kept in the cache
    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    monkeypatch.setattr(queue_cache, "time", SimpleNamespace(time=later.timestamp))
    assert 'class="tag overdue"' in _page(client, "hub")


def test_a_list_served_from_the_cache_is_in_the_read_audit(worker, specialist, login, submit):
    c = submit(worker, "Chẻo Thị Lan")
    client = login(specialist)
    _page(client, "hub")
    before = AuditEvent.objects.latest("id").id
    _page(client, "hub")  # from the cache
    read = AuditEvent.objects.filter(id__gt=before, action="view").get()
    assert str(c.patient.public_id) in read.detail["patients"]
    assert read.actor_id == specialist.id


def test_mine_lists_a_hubs_own_request_assigned_to_its_own_specialist_once(
    specialist, django_capture_on_commit_callbacks
):
    """The facility arm and the assigned arm of "mine" overlap for a hub's own request: it is
    listed once, and counted once."""
    hub = Facility.objects.get(pk=next(iter(_scope(specialist).facility_ids)))
    c = Consultation.objects.filter(hub=hub).first() or _own_request(specialist, hub)
    Consultation.objects.filter(pk=c.pk).update(
        requester_facility=hub, specialist=specialist, status=Status.ASSIGNED
    )
    rows = queue(specialist, "mine")
    listed = [r.pk for r in rows[0:100]]
    assert listed.count(c.pk) == 1
    assert rows.count() == len(listed)


def _scope(user):
    from caunoi.network.access import user_scope

    return user_scope(user)


def _own_request(specialist, hub):
    worker = User.objects.get(username="worker")
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )
    return c


def test_mine_pages_follow_each_other_without_gaps_or_repeats(worker, submit, settings):
    for i in range(7):
        submit(worker, f"Vừ A Dính {i}")
    rows = queue(worker, "mine")
    everything = [r.pk for r in rows[0:50]]
    pages = [r.pk for start in range(0, 7, 3) for r in rows[start : start + 3]]
    assert pages == everything
    assert len(everything) == rows.count() >= 7
    updated = [r.updated_at for r in rows[0:50]]
    assert updated == sorted(updated, reverse=True)
    assert timezone.now() >= updated[0]
