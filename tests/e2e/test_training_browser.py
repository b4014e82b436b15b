"""Continuing education in a real browser: the commune health worker finds a course in the
catalogue by words typed without diacritics, enrols, and — once the course has happened and
the organiser has closed it — opens the certificate from the CME ledger, downloads its PDF and
opens its public verification page, which anyone can read without signing in."""

import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from caunoi.accounts.models import User
from caunoi.network.models import Specialty
from caunoi.notifications.models import Notification
from caunoi.training.models import (
    Attendance,
    AttendanceInterval,
    AttendanceSource,
    Certificate,
    CmeCredit,
    Course,
    CourseFormat,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
    TrainingCentre,
)
from caunoi.training.services import (
    CourseInput,
    SessionInput,
    attendance_join,
    attendance_leave,
    course_complete,
    course_publish,
)

pytestmark = pytest.mark.browser

TITLE = "Quản lý đái tháo đường típ 2 ở tuyến xã"
OTHER_TITLE = "Tăng huyết áp ở tuyến xã"


def _course_input(title: str) -> CourseInput:
    start = timezone.now() + timedelta(days=7)
    return CourseInput(
        title_vi=title,
        title_en="",
        tiet=Decimal(8),
        capacity=30,
        format=CourseFormat.LIVE_ONLINE,
        specialty=Specialty.objects.get(code="internal-medicine"),
        audience_professions=[],
        sessions=[
            SessionInput(
                title="Buổi 1",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                mode=SessionMode.ROOM,
            )
        ],
    )


@pytest.fixture
def centre(committed_db):
    """Huế's hub as a training centre (the `specialist` organises) with two upcoming courses:
    the one the worker looks for, and another that the search must leave out."""
    specialist = User.objects.get(username="specialist")
    hub = specialist.memberships.get(role="specialist").facility
    centre = TrainingCentre.objects.create(
        facility=hub, cme_provider_code=f"E2E-{uuid.uuid4().hex[:8].upper()}"
    )
    try:
        for title in (TITLE, OTHER_TITLE):
            course_publish(actor=specialist, centre=centre, data=_course_input(title))
        yield centre
    finally:
        courses = Course.objects.filter(centre=centre)
        urls = [c.get_absolute_url() for c in courses]
        Certificate.objects.filter(course__in=courses).delete()
        CmeCredit.objects.filter(course__in=courses).delete()
        Attendance.objects.filter(session__course__in=courses).delete()
        AttendanceInterval.objects.filter(session__course__in=courses).delete()
        Notification.objects.filter(url__in=urls).delete()
        Enrolment.objects.filter(course__in=courses).delete()
        courses.delete()
        centre.delete()


def _result_titles(page) -> list[str]:
    return page.locator("#results ul.rows li a strong").all_inner_texts()


def test_a_worker_enrols_then_downloads_and_verifies_the_certificate(
    browser, live_server_url, new_page, sign_in, centre
):
    worker = User.objects.get(username="worker")
    specialist = User.objects.get(username="specialist")
    course = Course.objects.get(centre=centre, title_vi=TITLE)

    page = new_page()
    sign_in(page, "worker")

    # The catalogue lists both courses; words typed without diacritics find only the one.
    page.goto("/training/")
    assert set(_result_titles(page)) >= {TITLE, OTHER_TITLE}
    page.fill("#id_q", "dai thao duong")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/training/\?.*q=dai\+thao\+duong"))
    assert _result_titles(page) == [TITLE]
    assert "1 khoá học" in page.locator("#results").inner_text()

    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(rf"{course.get_absolute_url()}$"))
    assert page.locator("h1").inner_text() == TITLE
    assert centre.cme_provider_code in page.locator("main").inner_text()
    your_place = page.locator("h2:has-text('Chỗ của bạn') + .card")
    assert "Còn 30 chỗ." in your_place.inner_text()

    your_place.get_by_role("button", name="Ghi danh").click()
    page.locator("ul.messages").wait_for()
    assert (
        "Bạn đã đăng ký khoá học. Bạn sẽ được nhắc trước mỗi buổi học."
        in page.locator("ul.messages").inner_text()
    )
    assert "đã ghi danh" in your_place.inner_text()
    assert your_place.get_by_role("button", name="Huỷ ghi danh").is_visible()
    assert "Đã có 1 trên 30 chỗ" in page.locator("dl.facts").inner_text()
    enrolment = Enrolment.objects.get(course=course, user=worker)
    assert enrolment.status == EnrolmentStatus.ENROLLED

    # The course happens (moved into the past), the worker attends the whole session, and the
    # organiser closes it.
    session = course.sessions.get()
    start = timezone.now() - timedelta(days=1)
    session.starts_at, session.ends_at = start, start + timedelta(hours=2)
    session.save()
    day = timezone.localdate(start)
    Course.objects.filter(pk=course.pk).update(starts_on=day, ends_on=day)
    course.refresh_from_db()
    attendance_join(session=session, user=worker, source=AttendanceSource.VIDEO, at=start)
    attendance_leave(session=session, user=worker, at=session.ends_at)
    course_complete(course=course, actor=specialist)
    cert = Certificate.objects.get(user=worker, course=course)

    # The ledger lists the certificate; it opens as valid.
    page.goto("/training/ledger/")
    certificates = page.locator("h2:has-text('Giấy chứng nhận của tôi') + ul.rows")
    assert cert.number in certificates.inner_text()
    certificates.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(rf"{cert.get_absolute_url()}$"))
    assert cert.number in page.locator("h1").inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "còn hiệu lực" in facts
    assert worker.full_name in facts
    assert "8 tiết" in facts

    # The PDF, fetched with the worker's cookies.
    href = page.get_by_role("link", name="Tải giấy chứng nhận (PDF)").get_attribute("href")
    response = page.request.get(href)
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in (worker.full_name, cert.number, TITLE, centre.cme_provider_code):
        assert expected in text, expected

    # The verification page, from the certificate's own link.
    page.get_by_role("link", name="Mở trang xác thực").click()
    page.wait_for_url(re.compile(rf"/verify/{cert.number}/$"))
    shown = page.locator("main").inner_text()
    assert "Giấy chứng nhận hợp lệ" in shown
    assert worker.full_name in shown
    assert cert.number in shown
    verify_url = page.url

    # The same page for someone who is not signed in: public, and still valid. The PDF is not.
    anonymous = browser.new_context(base_url=live_server_url, locale="vi-VN")
    try:
        anonymous.set_default_timeout(10_000)
        visitor = anonymous.new_page()
        visitor.goto(verify_url)
        assert visitor.url == verify_url
        shown = visitor.locator("main").inner_text()
        assert "Giấy chứng nhận hợp lệ" in shown
        assert worker.full_name in shown
        assert worker.username not in shown
        refused = anonymous.request.get(href)
        assert refused.headers.get("content-type") != "application/pdf"
        assert "/accounts/login/" in refused.url
    finally:
        anonymous.close()
