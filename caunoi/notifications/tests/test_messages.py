"""Notifications are stored as a message key with parameters and read in the reader's language:
on the page, in the e-mail and (``test_consumer.py``) in the live toast. Rows written before
keys were stored keep their words. Parameters never carry patient identifiers."""

import json
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from caunoi.consults.models import Consultation, Urgency
from caunoi.consults.services import ConsultationInput, consultation_submit, message_post
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.notifications.messages import MESSAGES, in_each_language, message_render
from caunoi.notifications.models import Notification
from caunoi.notifications.services import notify
from caunoi.notifications.tasks import notification_email_send
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.tests.factories import make_referral
from caunoi.video.services import video_session_schedule

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _submit(worker, patient=None):
    patient = patient or make_patient(worker)
    consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), urgency="urgent", summary=summary()
        ),
    )
    return consult


def _switch(client, language):
    """The language switch in the page header, as a person uses it."""
    response = client.post("/i18n/setlang/", {"language": language, "next": "/notifications/"})
    assert response.status_code == 302
    return client.get("/notifications/").content.decode()


def test_a_notification_written_in_vietnamese_reads_in_english_after_the_switch(
    worker, specialist, login
):
    assert specialist.language == "vi"
    consult = _submit(worker)
    note = Notification.objects.get(user=specialist, kind="consult.new")
    deadline = timezone.localtime(consult.deadline_at).strftime("%d/%m/%Y %H:%M")
    facility = consult.requester_facility.name
    # Written in the recipient's language, as before.
    assert note.title == "Ca hội chẩn khẩn mới về Nội khoa"
    assert note.message == "consult.new"

    client = login(specialist)
    english = _switch(client, "en")
    assert "New urgent consultation in Internal medicine" in english
    assert f"From {facility}. Answer due {deadline}." in english
    assert "Ca hội chẩn khẩn mới" not in english
    vietnamese = _switch(client, "vi")
    assert "Ca hội chẩn khẩn mới về Nội khoa" in vietnamese
    assert f"Từ {facility}. Hạn trả lời: {deadline}." in vietnamese
    assert "New urgent consultation" not in vietnamese


def test_the_email_speaks_the_language_the_reader_chose_when_it_is_sent(
    worker, specialist, mailoutbox
):
    _submit(worker)
    note = Notification.objects.get(user=specialist, kind="consult.new")
    specialist.language = "en"  # switched after the notification was written
    specialist.save(update_fields=["language"])

    assert notification_email_send.call([note.id]) == 1

    mail = mailoutbox[-1]
    assert mail.subject == "New urgent consultation in Internal medicine"
    assert mail.body.startswith(f"From {note.params['facility']}. Answer due ")
    assert "Ca hội chẩn" not in mail.subject + mail.body


def test_rows_written_before_messages_had_keys_keep_their_words(worker, login):
    Notification.objects.create(
        user=worker, kind="consult.answered", title="Tin viết từ trước", body="Nội dung cũ"
    )
    for language in ("vi", "en"):
        html = _switch(login(worker), language)
        assert "Tin viết từ trước" in html
        assert "Nội dung cũ" in html


def test_a_row_whose_parameters_no_longer_fit_shows_its_words(worker, login, caplog):
    Notification.objects.create(
        user=worker,
        kind="consult.new",
        message="consult.new",
        params={"urgency": "khẩn"},  # the other placeholders are missing
        title="Ca hội chẩn khẩn mới",
        body="Nội dung như đã viết",
    )
    with caplog.at_level(logging.WARNING):
        html = _switch(login(worker), "en")
    assert "Ca hội chẩn khẩn mới" in html
    assert "Nội dung như đã viết" in html
    assert "shown as written" in caplog.text


def test_notify_refuses_what_it_could_not_show_later(worker, specialist):
    count = Notification.objects.count()
    with pytest.raises(ValueError, match="unknown notification message"):
        notify(users=[specialist], message="consult.unheard_of")
    with pytest.raises(TypeError, match="cannot be stored"):
        notify(
            users=[specialist],
            message="consult.answered",
            params={"specialty": object()},  # type: ignore[dict-item]
        )
    with pytest.raises(KeyError), transaction.atomic():
        notify(users=[specialist], message="consult.answered", params={})
    assert Notification.objects.count() == count


def test_parameters_are_stored_in_every_language_and_times_as_times(specialist):
    when = datetime(2026, 9, 14, 2, 30, tzinfo=UTC)
    with translation.override("en"):  # the sender's language does not matter
        (row,) = notify(
            users=[specialist],
            message="consult.new",
            params={
                "urgency": Urgency.URGENT.label,  # a lazy translation: stored in each
                "specialty": in_each_language(lambda: internal_medicine().name),
                "facility": "Trạm Y tế xã Lũng Cú",
                "deadline": when,
            },
        )
    row.refresh_from_db()
    assert row.params == {
        "urgency": {"text": {"vi": "khẩn", "en": "urgent"}},
        "specialty": {"text": {"vi": "Nội khoa", "en": "Internal medicine"}},
        "facility": "Trạm Y tế xã Lũng Cú",
        "deadline": {"datetime": "2026-09-14T02:30:00+00:00"},
    }
    assert row.title == "Ca hội chẩn khẩn mới về Nội khoa"  # the specialist's language
    assert row.shown("en").body == "From Trạm Y tế xã Lũng Cú. Answer due 14/09/2026 09:30."


def test_every_message_has_its_placeholders_in_both_languages():
    for key, message in MESSAGES.items():
        with translation.override("en"):
            english = {
                p for t in (message.title, message.body) for p in PLACEHOLDER.findall(str(t))
            }
        with translation.override("vi"):
            vietnamese = {
                p for t in (message.title, message.body) for p in PLACEHOLDER.findall(str(t))
            }
        assert english == vietnamese, key
        shown = message_render(key, dict.fromkeys(english, "X"), "en")
        assert "%(" not in shown.title + shown.body


def test_no_parameter_or_rendering_names_the_patient(worker, specialist, receiver):
    patient = make_patient(
        worker, name="Vàng Thị Sua", citizen_id="008185003333", phone="0912 345 679"
    )
    first = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    consult = _submit(worker, patient)
    message_post(
        consultation=Consultation.objects.get(pk=consult.pk), actor=worker, body="Vàng Thị Sua"
    )
    make_referral(worker, patient)
    video_session_schedule(
        actor=specialist,
        title="Hội chẩn",
        scheduled_at=timezone.now() + timedelta(hours=1),
        participants=[worker],
        consultation=Consultation.objects.get(pk=consult.pk),
    )
    notes = list(Notification.objects.filter(id__gt=first))
    assert {"consult.new", "consult.message", "referral.new", "video.invited"} <= {
        n.message for n in notes
    }
    forbidden = ["Vàng", "Sua", "008185003333", "912345679", "912 345 679"]
    for note in notes:
        texts = [json.dumps(note.params, ensure_ascii=False)]
        texts += [" ".join(note.shown(language)) for language in ("vi", "en")]
        for text in texts:
            assert not [word for word in forbidden if word in text], (note.message, text)
