from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.core.dateinputs import DateInput
from caunoi.network.models import Specialty
from caunoi.training.models import MAX_TIET, ActivityType, CourseFormat


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search courses"), required=False, max_length=100)
    specialty = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=Specialty.objects.order_by("name_vi"),
        to_field_name="code",
        required=False,
        empty_label=_("All specialties"),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("All formats")), *CourseFormat.choices],
        required=False,
    )
    for_me = forms.BooleanField(label=_("For my profession and province"), required=False)
    past = forms.BooleanField(label=_("Include courses that have ended"), required=False)


class CorrectAttendanceForm(forms.Form):
    present = forms.TypedChoiceField(
        label=_("Count as"),
        choices=[("1", _("present")), ("0", _("absent"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, min_length=5)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it revoked?"),
        max_length=300,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CredentialForm(forms.Form):
    credential = forms.CharField(
        label=_("Signed credential"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_("Paste the credential (a long text with two dots) as you received it."),
    )


class NominateForm(forms.Form):
    learner = forms.ChoiceField(label=_("Staff member"))

    def __init__(self, *args: Any, staff: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["learner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = staff


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("Link"), required=False, max_length=200, assume_scheme="https")
    file = forms.FileField(
        label=_("or a file"),
        required=False,
        help_text=_("PDF, JPEG, PNG or WebP, up to 10 MB."),
    )


class DeclarationForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    activity_type = forms.ChoiceField(label=_("Kind of activity"), choices=ActivityType.choices)
    title = forms.CharField(label=_("Activity"), max_length=200)
    provider = forms.CharField(label=_("Provided by"), max_length=200)
    tiet = forms.DecimalField(
        label=_("Lesson periods (tiết)"),
        min_value=Decimal("0.5"),
        max_value=MAX_TIET,
        decimal_places=1,
        localize=True,
    )
    earned_on = forms.DateField(label=_("Date"), widget=DateInput(up_to_today=True))
    evidence = forms.FileField(
        label=_("Evidence (the certificate, scanned or photographed)"),
        help_text=_("PDF, JPEG, PNG or WebP, up to 10 MB."),
    )


class CheckForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept: it counts")), ("decline", _("Do not accept"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (needed when not accepted)"), max_length=300, required=False
    )


class EvaluationForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How useful was this session?"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1: not useful, 5: very useful."),
    )
    relevant = forms.TypedChoiceField(
        label=_("Does it fit your daily work?"),
        choices=[("1", _("yes")), ("0", _("no"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional, shown to the organisers without your name)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SessionCaseForm(forms.Form):
    case = forms.ChoiceField(label=_("Approved teaching case"))
    presenter = forms.ChoiceField(label=_("Presented by"))

    def __init__(
        self,
        *args: Any,
        cases: list[tuple[str, str]],
        presenters: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (("case", cases), ("presenter", presenters)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices


def parse_questions(text: str) -> list[tuple[str, list[str], int | None]]:
    """Questions as an organiser types them: one block per question, separated by an empty
    line; the first line is the question, each next line an answer, the right one starting
    with ``*``. Answers (question, answers, index of the right one or None)."""
    blocks: list[list[str]] = [[]]
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    questions = []
    for block in (b for b in blocks if b):
        question, *answers = block
        right = next((n for n, a in enumerate(answers) if a.startswith("*")), None)
        questions.append((question, [a.lstrip("*").strip() for a in answers], right))
    return questions


def format_questions(rows: list[tuple[str, list[str], int]]) -> str:
    """The same text back from stored questions (so that they can be edited)."""
    return "\n\n".join(
        "\n".join([question, *((f"* {a}" if n == right else a) for n, a in enumerate(answers))])
        for question, answers, right in rows
    )


class QuestionsForm(forms.Form):
    questions = forms.CharField(
        label=_("Questions"),
        max_length=40000,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
        help_text=_(
            "One question per block, blocks separated by an empty line: the question on the "
            "first line, then one answer per line, the right one starting with *."
        ),
    )
