"""Protocols and SOPs: who publishes to whom, reading per version (a new version asks everyone
again), the old versions kept and marked, the review date flagged by a scheduled check, and the
protocols a specialist cites in advice."""

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Role, SupportLink
from caunoi.notifications.models import Notification
from caunoi.protocols.access import visible_protocols
from caunoi.protocols.models import Acknowledgement, Protocol, ProtocolVersion
from caunoi.protocols.selectors import protocol_list, readings
from caunoi.protocols.services import (
    ProtocolInput,
    VersionInput,
    acknowledge,
    protocol_publish,
    review_flag,
    version_publish,
)

pytestmark = pytest.mark.django_db

TEXT = "1. Đo huyết áp hai lần, cách nhau 5 phút.\n2. Huyết áp ≥ 140/90 mmHg: khám lại sau 1 tuần."


def _version(**kw):
    data: dict[str, Any] = {
        "effective_on": timezone.localdate(),
        "review_on": timezone.localdate() + timedelta(days=365),
        "body": TEXT,
    }
    data.update(kw)
    return VersionInput(**data)


def _publish(actor, publisher, *, audience="supported", **kw):
    return protocol_publish(
        actor=actor,
        publisher=publisher,
        client_id=uuid.uuid4(),
        data=ProtocolInput(
            title_vi="Phác đồ tăng huyết áp tại trạm y tế xã",
            kind="protocol",
            audience=audience,
            version=kw.pop("version", _version()),
            **kw,
        ),
    )[0]


@pytest.fixture
def hub(specialist):
    return specialist.memberships.get(role=Role.SPECIALIST).facility


@pytest.fixture
def station(worker):
    return worker.memberships.get(role=Role.WORKER).facility


def test_a_hub_publishes_to_the_facilities_it_supports_who_are_told(
    specialist, hub, station, worker
):
    assert SupportLink.objects.current().filter(hub=hub, spoke=station).exists()
    protocol = _publish(specialist, hub)
    version = protocol.versions.get()
    supported = set(
        SupportLink.objects.current().filter(hub=hub).values_list("spoke_id", flat=True)
    )
    assert set(version.audience.values_list("pk", flat=True)) == supported
    assert Notification.objects.filter(user=worker, message="protocol.published").exists()
    assert protocol in visible_protocols(worker)
    assert [v.pk for v in protocol_list(worker)] == [version.pk]


def test_only_a_hubs_staff_or_a_departments_officers_publish_and_bad_input_changes_nothing(
    specialist, hub, worker, station, officer
):
    with pytest.raises(PermissionDenied):
        _publish(worker, station)
    department = officer.memberships.get().facility
    with pytest.raises(PermissionDenied):
        _publish(specialist, department)
    for version, field in [
        (_version(body=""), "body"),
        (_version(review_on=timezone.localdate()), "review_on"),
        (_version(document=b"<html>not a pdf</html>"), "document"),
    ]:
        with pytest.raises(ValidationError) as refused:
            _publish(specialist, hub, version=version)
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _publish(officer, department, audience="supported")  # a department supports nobody
    assert "audience" in refused.value.message_dict
    assert not Protocol.objects.exists()
    assert not ProtocolVersion.objects.exists()


def test_a_department_publishes_to_every_facility_of_its_province(officer, worker, station):
    department = officer.memberships.get().facility
    protocol = _publish(officer, department, audience="province")
    audience = protocol.versions.get().audience
    assert station in audience.all()
    assert not audience.exclude(province_id=department.province_id).exists()
    assert not audience.filter(kind="health_department").exists()


def test_reading_is_per_version_and_a_new_version_asks_everyone_again(
    specialist, hub, worker, station
):
    protocol = _publish(specialist, hub)
    v1 = protocol.versions.get()
    ack, created = acknowledge(version=v1, actor=worker)
    again, created_again = acknowledge(version=v1, actor=worker)
    assert (created, created_again, again.pk) == (True, False, ack.pk)
    assert ack.facility == station
    assert [getattr(v, "read") for v in protocol_list(worker)] == [True]  # noqa: B009

    v2 = version_publish(
        protocol=protocol,
        actor=specialist,
        data=_version(body=TEXT + "\n3. Mục tiêu < 130/80 mmHg.", change_note="Mục tiêu mới"),
    )
    v1.refresh_from_db()
    assert (v1.is_current, v2.is_current, v2.number) == (False, True, 2)
    assert [(v.pk, getattr(v, "read")) for v in protocol_list(worker)] == [  # noqa: B009
        (v2.pk, False)
    ]
    assert list(protocol_list(worker, unread=True)) == [v2]
    colleague = User.objects.create_user(username="dieuduong", full_name="Lò Thị Hoa")
    Membership.objects.create(user=colleague, facility=station, role=Role.WORKER)
    with pytest.raises(ValidationError):  # the superseded version is not acknowledged
        acknowledge(version=v1, actor=colleague)
    assert not Acknowledgement.objects.filter(user=colleague).exists()
    acknowledge(version=v2, actor=worker)
    assert Acknowledgement.objects.filter(user=worker).count() == 2


def test_who_has_and_has_not_read_per_facility(specialist, hub, worker, station):
    protocol = _publish(specialist, hub)
    version = protocol.versions.get()
    acknowledge(version=version, actor=worker)
    row = next(r for r in readings(version) if r.facility == station)
    assert worker in row.read
    assert worker not in row.unread
    colleagues = set(row.unread)
    assert all(m.user in colleagues | {worker} for m in station.memberships.filter(role="worker"))


def test_someone_outside_the_audience_neither_reads_nor_acknowledges(specialist, hub, donor):
    protocol = _publish(specialist, hub, audience="chosen", version=_version(chosen=[hub]))
    assert protocol not in visible_protocols(donor)
    with pytest.raises(PermissionDenied):
        acknowledge(version=protocol.versions.get(), actor=donor)


def test_the_review_date_is_checked_when_it_comes_and_flagged_once(specialist, hub, coordinator):
    review_on = timezone.localdate() + timedelta(days=30)
    protocol = _publish(specialist, hub, version=_version(review_on=review_on))
    version = protocol.versions.get()
    task = DBTaskResult.objects.get(task_path__endswith="review_check")
    assert task.args_kwargs["args"] == [version.pk]
    assert timezone.localtime(task.run_after).date() == review_on
    assert review_flag(version_id=version.pk) is False  # not yet
    later = timezone.now() + timedelta(days=31)
    assert review_flag(version_id=version.pk, now=later) is True
    assert review_flag(version_id=version.pk, now=later) is False
    version.refresh_from_db()
    assert version.review_flagged_at is not None
    assert Notification.objects.filter(user=coordinator, message="protocol.review_due").exists()


def test_a_pdf_protocol_is_kept_and_served_to_its_readers_only(
    specialist, hub, worker, donor, login
):
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buf, format="PDF")
    protocol = _publish(specialist, hub, version=_version(body="", document=buf.getvalue()))
    url = f"/protocols/{protocol.public_id}/v1.pdf"
    answer = login(worker).get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert login(donor).get(url).status_code == 404
    assert login(donor).get(protocol.get_absolute_url()).status_code == 404


def test_old_versions_stay_readable_and_marked_superseded(specialist, hub, worker, login):
    protocol = _publish(specialist, hub)
    version_publish(protocol=protocol, actor=specialist, data=_version(body="Bản 2"))
    old = login(worker).get(f"/protocols/{protocol.public_id}/v1/").content.decode()
    assert "Phiên bản 1 đã được thay thế" in old
    assert "Đo huyết áp hai lần" in old
    current = login(worker).get(protocol.get_absolute_url()).content.decode()
    assert "Bản 2" in current


def test_the_api_lists_and_acknowledges(specialist, hub, worker, api_client):
    protocol = _publish(specialist, hub)
    items = api_client(worker).get("/api/protocols?unread=true").json()["items"]
    assert [(i["id"], i["version"], i["read"]) for i in items] == [
        (str(protocol.public_id), 1, False)
    ]
    first = api_client(worker).post(f"/api/protocols/{protocol.public_id}/acknowledge")
    again = api_client(worker).post(f"/api/protocols/{protocol.public_id}/acknowledge")
    assert (first.status_code, again.status_code) == (201, 200)
    assert api_client(worker).get("/api/protocols?unread=true").json()["items"] == []


def test_a_specialist_cites_a_protocol_in_advice_and_the_worker_sees_its_link(
    specialist, hub, worker, station, login, api_client
):
    from caunoi.codes.models import IcdCode
    from caunoi.consults.services import (
        ConsultationInput,
        advice_record,
        consultation_claim,
        consultation_submit,
    )
    from caunoi.consults.tests.factories import internal_medicine, summary
    from caunoi.patients.tests.factories import make_patient

    protocol = _publish(specialist, hub)
    elsewhere = _publish(specialist, hub, audience="chosen", version=_version(chosen=[hub]))
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name="Hoàng Thị Lan"),
            specialty=internal_medicine(),
            summary=summary(),
        ),
    )[0]
    consultation_claim(consultation=c, actor=specialist)
    c.refresh_from_db()
    with pytest.raises(ValidationError):  # not published to the worker's station
        advice_record(
            consultation=c,
            actor=specialist,
            advice="Theo phác đồ.",
            outcome="manage_locally",
            diagnoses=[],
            protocols=[elsewhere.versions.get()],
        )
    c.refresh_from_db()
    assert c.advice == ""
    version = protocol.versions.get()
    advice_record(
        consultation=c,
        actor=specialist,
        advice="Amlodipin 5 mg; theo phác đồ của bệnh viện.",
        outcome="manage_locally",
        diagnoses=[IcdCode.objects.get(code="I10")],
        protocols=[version],
    )
    page = login(worker).get(c.get_absolute_url()).content.decode()
    assert version.get_absolute_url() in page
    shown = api_client(worker).get(f"/api/consults/{c.public_id}").json()["protocols"]
    assert [(p["id"], p["version"]) for p in shown] == [(str(version.public_id), 1)]
    assert login(worker).get(version.get_absolute_url()).status_code == 200
    # The specialist's form offers only the protocols published to the station.
    form = login(specialist).get(c.get_absolute_url()).content.decode()
    assert str(version.public_id) in form
    assert str(elsewhere.versions.get().public_id) not in form


def test_a_new_version_of_a_protocol_for_chosen_facilities_goes_to_the_same_ones(
    specialist, hub, station
):
    protocol = _publish(specialist, hub, audience="chosen", version=_version(chosen=[station]))
    v2 = version_publish(protocol=protocol, actor=specialist, data=_version(body="Bản 2"))
    assert list(v2.audience.all()) == [station]
