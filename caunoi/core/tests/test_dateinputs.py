"""Every date and time a person enters is picked in the browser's own date and time inputs
(shown dd/mm/yyyy by a Vietnamese browser), sent as ISO, and read in Vietnam time."""

import inspect
import re
from datetime import date, datetime
from importlib import import_module
from importlib.util import find_spec
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from caunoi.core.dateinputs import DateInput, DateTimeLocalInput

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _project_forms() -> list[Any]:
    found = []
    for app in apps.get_app_configs():
        module_name = f"{app.name}.forms"
        if not app.name.startswith("caunoi.") or find_spec(module_name) is None:
            continue
        module = import_module(module_name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:  # Form, ModelForm
                found.append(cls)
    return found


def _date_fields() -> list[tuple[str, forms.Field]]:
    return [
        (f"{form.__module__}.{form.__name__}.{name}", field)
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField)
    ]


def test_the_project_has_the_date_fields_this_test_is_about():
    names = {name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] for name, _f in _date_fields()}
    assert {
        "PatientForm.birth_date",
        "ScheduleForm.scheduled_at",
        "OnCallForm.starts_at",
        "OnCallForm.ends_at",
        "ReferralForm.departed_at",
        "ArriveForm.arrived_at",
        "DischargeForm.discharged_at",
        "CounterReferralForm.next_appointment",
    } <= names


@pytest.mark.parametrize(
    ("name", "field"), _date_fields(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_date_field_of_every_form_uses_the_browsers_input(name, field):
    if isinstance(field, forms.DateTimeField):
        assert isinstance(field.widget, DateTimeLocalInput), name
        assert field.widget.input_type == "datetime-local"
    elif isinstance(field, forms.DateField):
        assert isinstance(field.widget, DateInput), name
        assert field.widget.input_type == "date"
    else:
        pytest.fail(f"{name}: a time of day alone has no widget here yet")
    assert "placeholder" not in field.widget.attrs, f"{name}: nothing to type"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_what_the_browser_sends_is_read_in_vietnam_time_in_both_languages(language):
    class F(forms.Form):
        when = forms.DateTimeField(widget=DateTimeLocalInput())
        day = forms.DateField(widget=DateInput())

    with translation.override(language):
        browser = F({"when": "2026-12-01T07:05", "day": "1960-05-02"})
        assert browser.is_valid(), browser.errors
        typed = F({"when": "01/12/2026 07:05", "day": "02/05/1960"})
        assert typed.is_valid(), typed.errors
    for form in (browser, typed):
        assert form.cleaned_data["when"] == datetime(2026, 12, 1, 7, 5, tzinfo=HANOI)
        assert form.cleaned_data["day"] == date(1960, 5, 2)


def test_values_are_written_in_iso_for_the_browser_in_local_time():
    class F(forms.Form):
        when = forms.DateTimeField(widget=DateTimeLocalInput())
        day = forms.DateField(widget=DateInput(up_to_today=True))

    utc = datetime(2026, 12, 1, 0, 5, tzinfo=ZoneInfo("UTC"))  # 07:05 in Vietnam
    with translation.override("vi"):
        html = str(F(initial={"when": utc, "day": date(1960, 5, 2)}))
    assert 'type="datetime-local" name="when" value="2026-12-01T07:05"' in html
    assert 'type="date" name="day" value="1960-05-02"' in html
    assert 'max="' in html


def test_the_chosen_value_is_written_out_day_first_under_the_input_whatever_the_browser():
    class F(forms.Form):
        when = forms.DateTimeField(widget=DateTimeLocalInput())
        day = forms.DateField(widget=DateInput())

    with translation.override("en"):
        html = str(F({"when": "2026-03-04T14:05", "day": "2026-03-04"}))
        typed = str(F({"when": "04/03/2026 14:05", "day": "nonsense"}))
    assert 'aria-describedby="id_when-echo"' in html
    when = re.search(r'<p class="help date-echo" id="id_when-echo"[^>]*>(.*?)</p>', html, re.S)
    assert when is not None
    assert re.sub(r"<[^>]+>", "", when.group(1)) == "04/03/2026 14:05 (Vietnam time)"
    day = re.search(r'<p class="help date-echo" id="id_day-echo"[^>]*>(.*?)</p>', html, re.S)
    assert day is not None
    assert re.sub(r"<[^>]+>", "", day.group(1)) == "04/03/2026"
    assert "/static/core/dates.js" in html
    # Nothing chosen yet: nothing written, and no time zone hanging alone.
    with translation.override("en"):
        empty = str(F())
    assert 'data-date-echo="id_when"></span>' in empty
    assert 'data-date-zone="id_when" hidden>' in empty
    assert 'data-date-zone="id_when">' in html
    # What the person typed comes back as typed, with its error.
    assert 'data-date-echo="id_when">04/03/2026 14:05<' in typed
    assert 'data-date-echo="id_day">nonsense<' in typed
