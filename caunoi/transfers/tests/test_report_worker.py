"""The overdue monthly report, flagged by the real task worker (`caunoi worker --batch`) from
the checks that authorisation scheduled with ``run_after`` — no polling loop looks for late
reports. Committed rows, as in production; the test removes what it adds."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.notifications.models import Notification
from caunoi.transfers.models import CaseKind, OverdueReport, Transfer
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    assessment_record,
    authorise,
    case_record,
    observation_complete,
    report_file,
    report_months,
    sign_off,
    theory_complete,
    transfer_create,
)


@pytest.fixture
def authorised(committed_db):
    """A transfer authorised on 20/09/2025: its twelve checks are all due already."""
    specialist = User.objects.get(username="specialist")
    coordinator = User.objects.get(username="coordinator")
    receiver = User.objects.get(username="receiver")
    hospital = receiver.memberships.get(role=Role.CLINICIAN).facility
    hub = specialist.memberships.get(role=Role.SPECIALIST).facility
    assert hospital is not None
    assert hub is not None
    director = User.objects.create_user(username="worker-test-head", full_name="Nông Văn Giám")
    Membership.objects.create(
        user=director,
        facility=hospital,
        role=Role.CLINICIAN,
        profession=Profession.DOCTOR,
        is_head=True,
    )
    started = timezone.now()
    t, _created = transfer_create(
        actor=specialist,
        hub=hub,
        client_id=uuid.uuid4(),
        data=TransferInput(
            receiver=hospital,
            technique_name="Nội soi phế quản ống mềm",
            specialty=Specialty.objects.get(code="internal-medicine"),
            level="specialised",
            agreed_on=date(2025, 1, 10),
            planned_end=date(2025, 9, 1),
            observed_target=0,
            supervised_target=1,
            trainers=[specialist],
            trainees=[receiver],
        ),
    )
    try:
        theory_complete(transfer=t, actor=specialist)
        observation_complete(transfer=t, actor=specialist)
        case_record(
            transfer=t,
            actor=receiver,
            data=CaseInput(CaseKind.SUPERVISED, date(2025, 5, 2), receiver, specialist),
        )
        assessment_record(transfer=t, actor=specialist, passed=True, note="Thành thạo, an toàn")
        sign_off(transfer=t, actor=coordinator)
        Transfer.objects.filter(pk=t.pk).update(signed_off_at=timezone.now() - timedelta(days=800))
        t.refresh_from_db()
        authorise(transfer=t, actor=director, on=date(2025, 9, 20))
        yield t, receiver, specialist
    finally:
        Transfer.objects.filter(pk=t.pk).delete()
        Notification.objects.filter(created_at__gte=started).delete()
        DBTaskResult.objects.filter(enqueued_at__gte=started).delete()
        Membership.objects.filter(user=director).delete()
        director.delete()


def test_the_worker_flags_each_month_whose_report_did_not_come(authorised):
    t, receiver, specialist = authorised
    months = report_months(date(2025, 9, 20))
    for month in months[:10]:  # ten reported, the last two not
        report_file(transfer=t, actor=receiver, data=ReportInput(month, 3))
    call_command("worker", batch=True, interval=0.1)
    assert (
        list(OverdueReport.objects.filter(transfer=t).values_list("month", flat=True))
        == months[10:]
    )
    assert t.events.filter(kind="report_overdue").count() == 2
    told = Notification.objects.filter(message="transfer.report_overdue")
    assert {n.params["month"] for n in told.filter(user=receiver)} == {"08/2026", "09/2026"}
    assert told.filter(user=specialist).exists()
    # Run again: nothing new is flagged.
    call_command("worker", batch=True, interval=0.1)
    assert OverdueReport.objects.filter(transfer=t).count() == 2
