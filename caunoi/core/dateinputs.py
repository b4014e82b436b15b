"""Date and time inputs the browser draws itself: a calendar and a clock, shown in the person's
locale (dd/mm/yyyy on a Vietnamese browser), instead of a text box to type a format into.

Whatever the display, the browser sends ISO: ``yyyy-mm-dd`` for a date and ``yyyy-mm-ddThh:mm``
for a local date and time (no zone). The value is written in the same ISO form so the browser
can show it. Django's ``DateTimeField`` reads ISO first and makes it aware in the current time
zone (Asia/Ho_Chi_Minh, the project's ``TIME_ZONE``); ``DateField`` reads it through
``DATE_INPUT_FORMATS`` (``caunoi/formats``), which also keep dd/mm/yyyy for API clients, old
browsers that show a text box, and people who type.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
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


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type="datetime-local">``: a date and a time of day, to the minute."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)
