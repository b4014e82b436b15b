"""A technique transfer from agreement to authorisation: every step guarded (refused with a
message, nothing changed), the cases logged without patient identity, the twelve monthly
reports after authorisation and their scheduled checks, and who sees what."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.audit.models import AuditEvent
from caunoi.network.models import Specialty
from caunoi.notifications.models import Notification
from caunoi.transfers.access import visible_transfers
from caunoi.transfers.models import (
    CaseKind,
    MonthlyReport,
    OverdueReport,
    Transfer,
    TransferCase,
    TransferStatus,
)
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    assessment_record,
    authorise,
    case_record,
    observation_complete,
    report_due,
    report_file,
    report_flag_overdue,
    report_months,
    sign_off,
    theory_complete,
    trainees_set,
    transfer_create,
)
from caunoi.transfers.tests.conftest import make_transfer

pytestmark = pytest.mark.django_db


def _case(t, actor, kind, trainee, supervisor, days_ago=1):
    return case_record(
        transfer=t,
        actor=actor,
        data=CaseInput(
            kind=kind,
            performed_on=timezone.localdate() - timedelta(days=days_ago),
            trainee=trainee,
            supervisor=supervisor,
        ),
    )[0]


def _unchanged(t, status):
    t.refresh_from_db()
    assert t.status == status


def _to_observed(t, specialist, receiver):
    theory_complete(transfer=t, actor=specialist)
    _case(t, receiver, CaseKind.OBSERVED, receiver, specialist)
    observation_complete(transfer=t, actor=specialist)


def test_only_the_hubs_staff_record_a_transfer_with_their_trainers_and_the_receivers_trainees(
    specialist, worker, receiver, hub, hospital, coordinator
):
    with pytest.raises(PermissionDenied):
        make_transfer(receiver, hub, hospital, [receiver])
    with pytest.raises(ValidationError) as refused:
        make_transfer(specialist, hub, hospital, [worker], trainers=[receiver])
    assert set(refused.value.message_dict) == {"trainers", "trainees"}
    with pytest.raises(ValidationError) as refused:
        make_transfer(specialist, hub, hub, [receiver])
    assert "receiver" in refused.value.message_dict
    assert not Transfer.objects.exists()
    key = uuid.uuid4()
    data = TransferInput(
        receiver=hospital,
        technique_name="Nội soi dạ dày can thiệp",
        specialty=Specialty.objects.get(code="internal-medicine"),
        level="specialised",
        agreed_on=date(2026, 9, 1),
        planned_end=date(2027, 3, 1),
        supervised_target=5,
        trainers=[specialist, coordinator],
        trainees=[receiver],
    )
    first, created = transfer_create(actor=specialist, hub=hub, data=data, client_id=key)
    again, created_again = transfer_create(actor=specialist, hub=hub, data=data, client_id=key)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Notification.objects.filter(user=receiver, message="transfer.agreed").exists()
    assert first.events.get().kind == "agreed"


def test_an_agreement_that_is_not_a_pdf_is_refused(specialist, hub, hospital, receiver):
    with pytest.raises(ValidationError) as refused:
        make_transfer(specialist, hub, hospital, [receiver], agreement=b"<html>not a pdf</html>")
    assert "agreement" in refused.value.message_dict
    assert not Transfer.objects.exists()


def test_every_step_is_guarded_and_a_refusal_changes_nothing(
    transfer, specialist, coordinator, receiver, director, worker
):
    t = transfer
    # Out of order: each refused with a message, the status as it was.
    for step in (observation_complete, sign_off):
        with pytest.raises(ValidationError):
            step(transfer=t, actor=specialist)
        _unchanged(t, TransferStatus.AGREED)
    with pytest.raises(ValidationError):
        _case(t, specialist, CaseKind.SUPERVISED, receiver, specialist)
    with pytest.raises(ValidationError):
        authorise(transfer=t, actor=director)
    _unchanged(t, TransferStatus.AGREED)
    # The receiver's staff do not take the hub's steps.
    with pytest.raises(PermissionDenied):
        theory_complete(transfer=t, actor=receiver)
    theory_complete(transfer=t, actor=specialist)
    # Observation needs its target of observed cases.
    with pytest.raises(ValidationError) as refused:
        observation_complete(transfer=t, actor=specialist)
    assert "0 trên 1" in refused.value.messages[0]
    _unchanged(t, TransferStatus.THEORY_DONE)
    _case(t, receiver, CaseKind.OBSERVED, receiver, specialist)
    observation_complete(transfer=t, actor=specialist)
    # One supervised case of two: no assessment, no sign-off.
    _case(t, receiver, CaseKind.SUPERVISED, receiver, specialist)
    with pytest.raises(ValidationError) as refused:
        sign_off(transfer=t, actor=coordinator)
    assert "1 trên 2" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        assessment_record(transfer=t, actor=specialist, passed=True, note="Thành thạo các bước")
    _unchanged(t, TransferStatus.OBSERVED)
    _case(t, receiver, CaseKind.SUPERVISED, receiver, specialist)
    # The target reached, still no sign-off before a passed assessment.
    with pytest.raises(ValidationError):
        sign_off(transfer=t, actor=coordinator)
    assessment_record(transfer=t, actor=specialist, passed=False, note="Cần thêm ca có hướng dẫn")
    _unchanged(t, TransferStatus.OBSERVED)
    assessment_record(transfer=t, actor=specialist, passed=True, note="Thành thạo, an toàn")
    _unchanged(t, TransferStatus.ASSESSED)
    # Only the receiving facility's head authorises, and only after the sign-off.
    with pytest.raises(ValidationError):
        authorise(transfer=t, actor=director)
    sign_off(transfer=t, actor=coordinator)
    assert Notification.objects.filter(user=receiver, message="transfer.signed_off").exists()
    with pytest.raises(PermissionDenied):
        authorise(transfer=t, actor=receiver)
    authorise(transfer=t, actor=director, decision_number="123/QĐ-BV")
    _unchanged(t, TransferStatus.AUTHORISED)
    assert list(t.events.values_list("kind", flat=True)) == [
        "agreed",
        "theory_done",
        "case_observed",
        "observed",
        "case_supervised",
        "case_supervised",
        "assessed",
        "assessed",
        "signed_off",
        "authorised",
    ]
    assert AuditEvent.objects.filter(object_id=str(t.public_id)).count() >= 10
    # No step after the end, no case after the sign-off.
    with pytest.raises(ValidationError):
        _case(t, receiver, CaseKind.SUPERVISED, receiver, specialist)


def test_cases_name_trainees_and_trainers_of_the_transfer_and_a_date_that_can_be(
    transfer, specialist, receiver, coordinator
):
    theory_complete(transfer=transfer, actor=specialist)
    with pytest.raises(ValidationError) as refused:
        _case(transfer, receiver, CaseKind.OBSERVED, specialist, receiver)
    assert set(refused.value.message_dict) == {"trainee", "supervisor"}
    with pytest.raises(ValidationError):
        _case(transfer, receiver, CaseKind.OBSERVED, receiver, specialist, days_ago=-3)
    with pytest.raises(ValidationError):
        _case(transfer, receiver, CaseKind.OBSERVED, receiver, specialist, days_ago=365)
    assert not TransferCase.objects.exists()


def test_the_theory_waits_for_trainees_named_by_either_side(
    specialist, hub, hospital, receiver, worker
):
    t = make_transfer(specialist, hub, hospital, [])
    with pytest.raises(ValidationError):
        theory_complete(transfer=t, actor=specialist)
    with pytest.raises(ValidationError):
        trainees_set(transfer=t, actor=receiver, trainees=[worker])
    trainees_set(transfer=t, actor=receiver, trainees=[receiver])
    theory_complete(transfer=t, actor=specialist)
    assert t.trainees.get() == receiver


def _authorised(t, specialist, coordinator, receiver, director, on):
    _to_observed(t, specialist, receiver)
    for _n in range(t.supervised_target):
        _case(t, receiver, CaseKind.SUPERVISED, receiver, specialist)
    assessment_record(transfer=t, actor=specialist, passed=True, note="Thành thạo, an toàn")
    sign_off(transfer=t, actor=coordinator)
    Transfer.objects.filter(pk=t.pk).update(signed_off_at=timezone.now() - timedelta(days=800))
    t.refresh_from_db()
    return authorise(transfer=t, actor=director, on=on)


def test_authorisation_schedules_a_check_at_each_of_the_twelve_reports_due_dates(
    transfer, specialist, coordinator, receiver, director
):
    _authorised(transfer, specialist, coordinator, receiver, director, date(2026, 3, 15))
    months = report_months(date(2026, 3, 15))
    assert months[0] == date(2026, 4, 1)
    assert months[-1] == date(2027, 3, 1)
    tasks = DBTaskResult.objects.filter(task_path__endswith="monthly_report_check")
    assert sorted((r.args_kwargs["args"][1], r.run_after) for r in tasks) == [
        (m.isoformat(), report_due(m)) for m in months
    ]
    # Due the 10th of the next month, end of day in Vietnam: April's report by 11/05 00:00.
    due = report_due(date(2026, 4, 1))
    assert (due.year, due.month, due.day, due.hour) == (2026, 5, 11, 0)
    assert str(due.tzinfo) == "Asia/Ho_Chi_Minh"
    assert Notification.objects.filter(user=specialist, message="transfer.authorised").exists()


def test_monthly_reports_once_each_within_the_twelve_months_and_counts_that_add_up(
    transfer, specialist, coordinator, receiver, director
):
    t = _authorised(transfer, specialist, coordinator, receiver, director, date(2025, 9, 20))
    _report, created = report_file(
        transfer=t, actor=receiver, data=ReportInput(date(2025, 10, 1), 7, 1, 2)
    )
    assert created
    again, created_again = report_file(
        transfer=t, actor=receiver, data=ReportInput(date(2025, 10, 1), 99)
    )
    assert (created_again, again.performed) == (False, 7)
    for bad, field in [
        (ReportInput(date(2025, 9, 1), 3), "month"),  # the month of the decision
        (ReportInput(date(2026, 10, 1), 3), "month"),  # the thirteenth
        (ReportInput(date(2025, 11, 1), 3, 4), "complications"),
    ]:
        with pytest.raises(ValidationError) as refused:
            report_file(transfer=t, actor=receiver, data=bad)
        assert field in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        report_file(transfer=t, actor=specialist, data=ReportInput(date(2025, 11, 1), 3))
    assert MonthlyReport.objects.count() == 1


def test_a_missing_report_is_flagged_once_at_its_due_date_and_both_sides_told(
    transfer, specialist, coordinator, receiver, director
):
    t = _authorised(transfer, specialist, coordinator, receiver, director, date(2025, 9, 20))
    report_file(transfer=t, actor=receiver, data=ReportInput(date(2025, 10, 1), 5))
    november = date(2025, 11, 1)
    before_due = report_due(november) - timedelta(minutes=1)
    assert report_flag_overdue(transfer_id=t.pk, month=november, now=before_due) is False
    assert report_flag_overdue(transfer_id=t.pk, month=date(2025, 10, 1)) is False  # reported
    assert report_flag_overdue(transfer_id=t.pk, month=november) is True
    assert report_flag_overdue(transfer_id=t.pk, month=november) is False  # once
    assert list(OverdueReport.objects.values_list("month", flat=True)) == [november]
    told = Notification.objects.filter(message="transfer.report_overdue")
    assert {n.user_id for n in told} >= {receiver.pk, specialist.pk}
    assert {n.params["month"] for n in told} == {"11/2025"}
    # The report still comes, late: accepted.
    report_file(transfer=t, actor=receiver, data=ReportInput(november, 4))


def test_who_sees_a_transfer(transfer, specialist, receiver, worker, officer, donor, director):
    from caunoi.network.models import Role

    assert transfer in visible_transfers(specialist)
    assert transfer in visible_transfers(receiver)
    assert transfer in visible_transfers(director)
    province = receiver.memberships.get(role=Role.CLINICIAN).facility.province
    officer_province = officer.memberships.get().facility.province
    assert (transfer in visible_transfers(officer)) == (province == officer_province)
    assert transfer not in visible_transfers(worker)
    assert transfer not in visible_transfers(donor)
