"""Technique transfer in a real browser: the hub's coordinator logs the last supervised case,
records the passed assessment and signs the transfer off; the receiving hospital's head
authorises the technique; its clinician files the first monthly report."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.notifications.models import Notification
from caunoi.transfers.models import CaseKind, Transfer, TransferStatus
from caunoi.transfers.services import (
    CaseInput,
    TransferInput,
    case_record,
    observation_complete,
    theory_complete,
    transfer_create,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def transfer(committed_db):
    """A transfer from Huế to `receiver`'s hospital, observed, one supervised case of two."""
    specialist = User.objects.get(username="specialist")
    receiver = User.objects.get(username="receiver")
    hub = specialist.memberships.get(role=Role.SPECIALIST).facility
    hospital = receiver.memberships.get(role=Role.CLINICIAN).facility
    director = User.objects.create_user(
        username="e2e-giamdoc", full_name="Nông Văn Giám", password="caunoi-demo"
    )
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
            technique_code="02.0123",
            specialty=Specialty.objects.get(code="internal-medicine"),
            level="specialised",
            agreed_on=timezone.localdate() - timedelta(days=200),
            planned_end=timezone.localdate() + timedelta(days=60),
            observed_target=1,
            supervised_target=2,
            trainers=[specialist],
            trainees=[receiver],
        ),
    )
    theory_complete(transfer=t, actor=specialist)
    case = CaseInput(
        CaseKind.OBSERVED, timezone.localdate() - timedelta(days=150), receiver, specialist
    )
    case_record(transfer=t, actor=specialist, data=case)
    observation_complete(transfer=t, actor=specialist)
    case_record(
        transfer=t,
        actor=receiver,
        data=CaseInput(
            CaseKind.SUPERVISED, timezone.localdate() - timedelta(days=120), receiver, specialist
        ),
    )
    try:
        yield t
    finally:
        Transfer.objects.filter(pk=t.pk).delete()
        Notification.objects.filter(created_at__gte=started).delete()
        DBTaskResult.objects.filter(enqueued_at__gte=started).delete()
        Membership.objects.filter(user=director).delete()
        director.delete()


def test_the_coordinator_signs_off_the_head_authorises_and_the_clinician_reports(
    new_page, sign_in, transfer
):
    url = transfer.get_absolute_url()
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Sign this transfer off for the hub?"
    sign_in(page, "coordinator")
    page.goto(url)
    main = page.locator("main")
    assert "có hướng dẫn 1/2" in main.inner_text()

    # The last supervised case, then the assessment.
    form = page.locator("form[action$='/case/']")
    form.locator("input[name=performed_on]").fill(
        (timezone.localdate() - timedelta(days=100)).isoformat()
    )
    form.get_by_role("button", name="Ghi ca").click()
    page.locator("ul.messages").wait_for()
    assert "Đã ghi ca." in page.locator("ul.messages").inner_text()
    assert "có hướng dẫn 2/2" in main.inner_text()
    page.get_by_label("thành thạo: đạt").check()
    page.get_by_label("Nhận xét của đánh giá").fill("Thực hiện độc lập, an toàn, đúng quy trình.")
    page.get_by_role("button", name="Ghi kết quả đánh giá").click()
    page.locator("ul.messages").wait_for()
    assert "Đánh giá năng lực: đạt" in page.locator("ul.messages").inner_text()

    page.get_by_role("button", name="Nghiệm thu").click()
    page.locator("ul.messages").wait_for()
    assert "Đã nghiệm thu" in page.locator("ul.messages").inner_text()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SIGNED_OFF
    assert transfer.signed_off_by == User.objects.get(username="coordinator")
    assert (
        page.locator("ol.steps li[aria-current=step]")
        .inner_text()
        .endswith("Bệnh viện hạt nhân đã nghiệm thu")
    )

    # As if the sign-off was four months ago: the head authorises with the decision's date.
    Transfer.objects.filter(pk=transfer.pk).update(
        signed_off_at=timezone.now() - timedelta(days=130)
    )
    decided = timezone.localdate() - timedelta(days=120)
    head = new_page()
    sign_in(head, "e2e-giamdoc")
    head.goto(url)
    head.get_by_label("Số quyết định").fill("208/QĐ-BV")
    head.get_by_label("Ngày quyết định").fill(decided.isoformat())
    head.get_by_role("button", name="Cho phép thực hiện").click()
    head.locator("ul.messages").wait_for()
    transfer.refresh_from_db()
    assert (transfer.status, transfer.authorised_on) == (TransferStatus.AUTHORISED, decided)

    # The clinician files the first month's report on the transfer's page.
    clinician = new_page()
    sign_in(clinician, "receiver")
    clinician.goto("/transfers/")
    clinician.get_by_role("link", name="Nội soi phế quản ống mềm").click()
    clinician.wait_for_url(re.compile(rf"{url}$"))
    first = clinician.locator("table tbody tr").first
    month = first.locator("th").inner_text()
    first.get_by_label("Số lần thực hiện").fill("6")
    first.get_by_label("Biến chứng").fill("1")
    first.get_by_role("button", name="Nộp báo cáo").click()
    clinician.locator("ul.messages").wait_for()
    assert f"Đã nộp báo cáo tháng {month}." in clinician.locator("ul.messages").inner_text()
    row = clinician.locator("table tbody tr").first.inner_text()
    assert "6" in row
    assert "đã nộp" in row
    report = transfer.reports.get()
    assert (report.performed, report.complications, f"{report.month:%m/%Y}") == (6, 1, month)
    assert report.reported_by == User.objects.get(username="receiver")
