"""Every notification the platform sends, by key: its title and text as translatable templates
with named placeholders.

A notification is stored as its key and its parameters, not as finished words, so each reader
sees it in the language they read in now — on the page, in the live toast and in the e-mail —
even after they switch language. The words live here, in one place, rather than in the apps that
send them: the list page, the mail task in the worker and the websocket all render any
notification without depending on which domain modules a process happened to import. This
module holds words only and imports no domain app.

Parameters never carry patient identifiers: notifications leave the platform by e-mail.
A parameter is plain (a facility's or a person's name, a number), text in each language (a
specialty's name, a choice's label: see ``in_each_language``), or a time (shown dd/mm/yyyy HH:MM
in Vietnam's time zone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    title: Promise
    body: Promise
    # What the notification is about, when several messages share one kind (the overdue
    # referral alerts); by default the key itself.
    kind: str = ""


MESSAGES: dict[str, Message] = {
    # Consultations
    "consult.new": Message(
        _("New %(urgency)s consultation in %(specialty)s"),
        _("From %(facility)s. Answer due %(deadline)s."),
    ),
    "consult.danger": Message(
        _("Danger signs: emergency consultation in %(specialty)s"),
        _("From %(facility)s, with danger signs. Answer due %(deadline)s."),
        kind="consult.new",
    ),
    "consult.message": Message(
        _("New message in a consultation"),
        _("%(author)s wrote in a consultation about %(specialty)s."),
    ),
    "consult.invited": Message(
        _("You are asked for a second opinion"), _("A consultation in %(specialty)s.")
    ),
    "consult.assigned": Message(
        _("A consultation was assigned to you"), _("%(urgency)s, %(specialty)s.")
    ),
    "consult.answered": Message(
        _("A specialist answered your consultation"), _("%(specialty)s: the advice is ready.")
    ),
    "consult.closed": Message(
        _("A consultation you answered was closed"), _("The station recorded what was done.")
    ),
    "consult.overdue": Message(
        _("Overdue: %(urgency)s consultation in %(specialty)s"),
        _("No specialist has answered within the deadline."),
    ),
    # Video
    "video.invited": Message(_("Video consultation at %(when)s"), _("%(host)s invited you.")),
    # Referrals
    "referral.new": Message(_("Incoming referral"), _("From %(from)s.")),
    "referral.accepted": Message(_("Referral accepted"), _("%(to)s accepted the referral.")),
    "referral.declined": Message(
        _("Referral declined: redirect it"), _("%(to)s declined the referral.")
    ),
    "referral.counter": Message(
        _("Counter-referral received"),
        _("%(to)s sent the counter-referral with the follow-up plan."),
    ),
    "referral.cancelled": Message(_("Referral cancelled"), _("%(from)s cancelled a referral.")),
    "referral.overdue_arrival": Message(
        _("Referral overdue: patient not arrived"),
        _("Referral from %(from)s to %(to)s."),
        kind="referral.overdue",
    ),
    "referral.overdue_counter": Message(
        _("Referral overdue: no counter-referral"),
        _("Referral from %(from)s to %(to)s."),
        kind="referral.overdue",
    ),
    # Training
    "training.enrolled": Message(
        _("You are enrolled: %(course)s"), _("First session %(starts)s. %(centre)s.")
    ),
    "training.waitlisted": Message(
        _("You are on the waiting list: %(course)s"),
        _("The course is full; you will be told when a place opens."),
    ),
    "training.place_opened": Message(
        _("A place opened for you: %(course)s"), _("First session %(starts)s. %(centre)s.")
    ),
    "training.reminder": Message(
        _("Training session soon: %(course)s"), _("%(session)s starts %(starts)s.")
    ),
    "training.nominated": Message(
        _("You are nominated for a course: %(course)s"),
        _("%(head)s nominated you. First session %(starts)s. %(centre)s."),
    ),
    "training.nominated_waitlisted": Message(
        _("You are nominated, on the waiting list: %(course)s"),
        _("%(head)s nominated you; the course is full and you will be told when a place opens."),
    ),
    "training.declared": Message(
        _("An activity to check: %(learner)s"),
        _("%(learner)s declared %(tiet)s tiết from elsewhere, with evidence."),
    ),
    # Protocols
    "protocol.published": Message(
        _("New protocol to read: %(title)s"),
        _("Version %(version)s, published by %(publisher)s."),
    ),
    "protocol.review_due": Message(
        _("Protocol due for review: %(title)s"),
        _("Version %(version)s has reached its review date."),
    ),
    # Technique transfer
    "transfer.agreed": Message(
        _("Technique transfer agreed: %(technique)s"),
        _("%(hub)s will transfer it to %(receiver)s."),
    ),
    "transfer.signed_off": Message(
        _("Technique transfer signed off: %(technique)s"),
        _("%(hub)s signed it off; the head of %(receiver)s may now authorise it."),
    ),
    "transfer.authorised": Message(
        _("Technique authorised: %(technique)s"),
        _("%(receiver)s performs it independently; monthly reports start."),
    ),
    "transfer.report_overdue": Message(
        _("Monthly report overdue: %(technique)s"),
        _("%(receiver)s has not reported %(month)s."),
    ),
    "training.declaration_checked": Message(
        _("Your activity was checked: %(activity)s"), _("%(outcome)s")
    ),
}


class Shown(NamedTuple):
    title: str
    body: str


@dataclass(frozen=True)
class InEachLanguage:
    """A parameter's text in every interface language (language code → text)."""

    texts: Mapping[str, str]


def in_each_language(text: Callable[[], object]) -> InEachLanguage:
    """Evaluate ``text`` once per interface language: for a parameter whose words depend on
    the reader's language (``in_each_language(c.get_urgency_display)``,
    ``in_each_language(lambda: specialty.name)``)."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(text())
    return InEachLanguage(texts)


Param = str | int | float | datetime | Promise | InEachLanguage


def message_kind(key: str) -> str:
    return message_for(key).kind or key


def message_for(key: str) -> Message:
    try:
        return MESSAGES[key]
    except KeyError:
        raise ValueError(f"unknown notification message {key!r}: add it to MESSAGES") from None


def params_stored(params: Mapping[str, Param]) -> dict[str, Any]:
    """The parameters as JSON: lazy translations and ``in_each_language`` texts become
    ``{"text": {language: text}}``, times ``{"datetime": ISO 8601}``."""
    stored: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, Promise):
            value = in_each_language(value.__str__)
        if isinstance(value, InEachLanguage):
            stored[name] = {"text": dict(value.texts)}
        elif isinstance(value, datetime):
            stored[name] = {"datetime": value.isoformat()}
        elif isinstance(value, str | int | float):
            stored[name] = value
        else:
            raise TypeError(f"notification parameter {name!r} cannot be stored: {value!r}")
    return stored


def _shown_param(value: Any, language: str) -> object:
    if isinstance(value, dict) and isinstance(value.get("text"), dict):
        texts = value["text"]
        return (
            texts.get(language)
            or texts.get(settings.LANGUAGE_CODE)
            or next(iter(texts.values()), "")
        )
    if isinstance(value, dict) and "datetime" in value:
        moment = parse_datetime(str(value["datetime"]))
        if moment is None:
            return ""
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if isinstance(value, float):
        return formats.number_format(value)
    return value


def message_render(key: str, params: Mapping[str, Any], language: str) -> Shown:
    """The title and text of message ``key`` in ``language``. Raises ``ValueError`` for an
    unknown key and ``KeyError`` for a placeholder without its parameter."""
    message = message_for(key)
    with translation.override(language):
        values = {name: _shown_param(value, language) for name, value in params.items()}
        return Shown(str(message.title) % values, str(message.body) % values)


def message_shown(key: str, params: Mapping[str, Any], language: str, *, written: Shown) -> Shown:
    """Message ``key`` in ``language``, or the words ``written`` when it was stored (a row
    from before messages were stored by key, or whose key or parameters no longer fit)."""
    if key in MESSAGES:
        try:
            return message_render(key, params, language)
        except (KeyError, TypeError, ValueError):
            log.warning("notification message %r cannot be rendered; shown as written", key)
    return written
