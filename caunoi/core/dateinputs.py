"""Date and time inputs the browser draws itself: a calendar and a clock instead of a text box
to type a format into.

Whatever the display, the browser sends ISO: ``yyyy-mm-dd`` for a date and ``yyyy-mm-ddThh:mm``
for a local date and time (no zone). The value is written in the same ISO form so the browser
can show it. Django's ``DateTimeField`` reads ISO first and makes it aware in the current time
zone (Asia/Ho_Chi_Minh, the project's ``TIME_ZONE``); ``DateField`` reads it through
``DATE_INPUT_FORMATS`` (``caunoi/formats``), which also keep dd/mm/yyyy for API clients, old
browsers that show a text box, and people who type.

The browser draws the date in *its own* language, not the page's: Chrome in Vietnamese shows
26/11/2026, but Chrome in US English — common on station PCs — shows 11/26/2026, 02:05 PM, where
03/04 reads as March. So under each input the chosen value is written out as the pages write
dates (dd/mm/yyyy, 24-hour clock), marked as Vietnam time for a time of day, and kept current by
``core/dates.js`` as the person picks.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d))?")


def written_out(value: object) -> str:
    """An ISO value as the pages write it: ``26/11/2026`` or ``26/11/2026 14:05``; anything
    else (a typed dd/mm/yyyy, an invalid entry sent back with its error) as it is."""
    text = "" if value is None else str(value)
    found = _ISO.fullmatch(text.strip())
    if found is None:
        return text
    year, month, day, hour, minute = found.groups()
    return f"{day}/{month}/{year}" + (f" {hour}:{minute}" if hour else "")


class _EchoedInput(forms.Widget):
    template_name = "core/widgets/date_input.html"
    with_time = False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["echo"] = written_out(widget["value"])
        widget["with_time"] = self.with_time
        if widget["attrs"].get("id"):
            widget["echo_id"] = f"{widget['attrs']['id']}-echo"
            widget["attrs"]["aria-describedby"] = widget["echo_id"]
        return context


class DateInput(_EchoedInput, forms.DateInput):
    """``<input type="date">``. ``up_to_today``: the calendar offers no later day (a date of
    birth); the form still checks, as a browser may not."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, *, up_to_today: bool = False) -> None:
        super().__init__(attrs, format=ISO_DATE)
        self.up_to_today = up_to_today

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if self.up_to_today:
            # At render time, not at import: a long-running server's "today" moves.
            context["widget"]["attrs"]["max"] = timezone.localdate().strftime(ISO_DATE)
        return context


class DateTimeLocalInput(_EchoedInput, forms.DateTimeInput):
    """``<input type="datetime-local">``: a date and a time of day, to the minute, in Vietnam
    time."""

    input_type = "datetime-local"
    with_time = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)
