from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caunoi.accounts.models import User
from caunoi.codes.models import IcdCode
from caunoi.consults.models import VITALS, Consciousness, Consultation, Outcome
from caunoi.consults.services import Upload
from caunoi.core.dateinputs import DateTimeLocalInput
from caunoi.network.models import Facility, Membership, Role, Specialty, SupportLink
from caunoi.patients.models import Patient
from caunoi.triage import engine as triage


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos or documents at once (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf",
                    # The browser's shrinking (static/consults/upload.js): what a commune
                    # station's link carries; the server still takes up to 2048 px.
                    "data-downscale": "1600",
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def uploads_from(files: list[UploadedFile[bytes]]) -> list[Upload]:
    return [Upload(name=f.name or "file", data=_read(f)) for f in files]


def _read(f: UploadedFile[bytes]) -> bytes:
    f.seek(0)  # a file may be read twice: sent with the form, then kept when the form comes back
    data: bytes = f.read()  # django-stubs types File.read as Any
    return data


class ConsultationForm(forms.ModelForm[Consultation]):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    attachments = MultipleFileField(
        label=gettext_lazy("Photos and documents"),
        required=False,
        help_text=gettext_lazy(
            "Photos are shrunk before sending to save bandwidth. JPEG, PNG, WebP or PDF, up to 10 MB each."
        ),
    )

    signs_found = forms.MultipleChoiceField(
        label=gettext_lazy("Signs found"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick each sign you see now. The list fits the patient's age."),
    )

    class Meta:
        model = Consultation
        fields = [
            "specialty",
            "urgency",
            "urgency_reason",
            "reason",
            "history",
            "examination",
            "current_treatment",
            *VITALS,
            "consciousness",
            "question",
        ]
        widgets = {
            "urgency": forms.RadioSelect,
            "consciousness": forms.RadioSelect,
            "urgency_reason": forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
            "reason": forms.Textarea(attrs={"rows": 2}),
            "history": forms.Textarea(attrs={"rows": 3}),
            "examination": forms.Textarea(attrs={"rows": 3}),
            "current_treatment": forms.Textarea(attrs={"rows": 2}),
            "question": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, facility: Facility, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.age_months = triage.age_in_months(patient.birth_date, timezone.localdate())
        # The signs that fit this patient (a pregnancy sign for a woman of childbearing age, the
        # young infant's signs under 2 months), and any ticked on a draft, kept whatever its age.
        ticked = set(self.instance.signs_found or []) if self.instance.pk else set()
        inputs = triage.Inputs.of(age_months=self.age_months, sex=patient.sex)
        signs = self.fields["signs_found"]
        assert isinstance(signs, forms.MultipleChoiceField)
        signs.choices = [
            (s["id"], triage.in_language(s))
            for s in triage.rules()["signs"]
            if triage.applies(s, inputs) or s["id"] in ticked
        ]
        if self.instance.pk:
            self.initial.setdefault("signs_found", self.instance.signs_found)
        consciousness = self.fields["consciousness"]
        assert isinstance(consciousness, forms.ChoiceField)
        consciousness.choices = [("", gettext_lazy("not assessed")), *Consciousness.choices]
        self.fields["urgency_reason"].help_text = gettext_lazy(
            "Only when you send it as less urgent than the danger signs imply: the specialist "
            "reads it."
        )
        routable = SupportLink.objects.current().filter(spoke=facility).values("specialties")
        self.fields["specialty"].queryset = Specialty.objects.filter(id__in=routable)  # type: ignore[attr-defined]
        self.fields["specialty"].empty_label = None  # type: ignore[attr-defined]
        for name in VITALS:
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})


class MessageForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    parent = forms.UUIDField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Attach photos or documents"), required=False
    )


_CODE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")


class AdviceForm(forms.Form):
    advice = forms.CharField(
        label=gettext_lazy("Advice"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000
    )
    diagnoses = forms.CharField(
        label=gettext_lazy("Working diagnosis (ICD-10 codes)"),
        required=False,
        help_text=gettext_lazy(
            "Codes separated by commas, e.g. I10, E11.9. Search below by code or words."
        ),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Recommended outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    protocols = forms.MultipleChoiceField(
        label=gettext_lazy("Protocols the advice follows"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The station sees a link to each protocol you tick."),
    )

    def __init__(
        self, *args: Any, protocols: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["protocols"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = protocols or []

    def clean_diagnoses(self) -> list[IcdCode]:
        raw = self.cleaned_data.get("diagnoses", "").upper()
        codes = [c.strip() for c in re.split(r"[,;\s]+", raw) if c.strip()]
        bad = [c for c in codes if not _CODE.fullmatch(c)]
        found = {i.code: i for i in IcdCode.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found and c not in bad]
        if bad or unknown:
            raise forms.ValidationError(
                _("Not ICD-10 codes: %(codes)s.") % {"codes": ", ".join(bad + unknown)}
            )
        if len(codes) > 12:
            raise forms.ValidationError(_("At most 12 diagnosis codes."))
        return [found[c] for c in dict.fromkeys(codes)]


class CloseForm(forms.Form):
    action_taken = forms.CharField(
        label=gettext_lazy("What was done for the patient"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )


class AssignForm(forms.Form):
    specialist = forms.ModelChoiceField(
        label=gettext_lazy("Specialist"), queryset=User.objects.none()
    )

    def __init__(self, *args: Any, hub_id: int, specialty_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.active().filter(facility_id=hub_id, role=Role.SPECIALIST)
        qs = User.objects.filter(id__in=members.values("user_id")).order_by("full_name")
        self.fields["specialist"].queryset = qs  # type: ignore[attr-defined]
        in_specialty = set(
            members.filter(specialties__id=specialty_id).values_list("user_id", flat=True)
        )
        self.fields["specialist"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.full_name} ★" if u.id in in_specialty else u.full_name
        )


class RerouteForm(forms.Form):
    hub = forms.ModelChoiceField(
        label=gettext_lazy("Hub"), queryset=Facility.objects.active().hubs().order_by("name")
    )
    specialty = forms.ModelChoiceField(
        label=gettext_lazy("Specialty"), queryset=Specialty.objects.all()
    )


class InviteForm(forms.Form):
    invitee = forms.ModelChoiceField(label=gettext_lazy("Colleague"), queryset=User.objects.none())

    def __init__(self, *args: Any, exclude_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.active().filter(role=Role.SPECIALIST, facility__is_hub=True)
        self.fields["invitee"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(id__in=members.values("user_id"))
            .exclude(id__in=exclude_ids)
            .order_by("full_name")
        )


class OnCallForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("Specialist"), queryset=User.objects.none())
    specialty = forms.ModelChoiceField(
        label=gettext_lazy("Specialty"),
        queryset=Specialty.objects.all(),
        required=False,
        empty_label=gettext_lazy("every specialty"),
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("From"),
        widget=DateTimeLocalInput(),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Until"),
        widget=DateTimeLocalInput(),
    )

    def __init__(self, *args: Any, hub_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.active().filter(
            facility_id=hub_id, role__in=[Role.SPECIALIST, Role.COORDINATOR]
        )
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            id__in=members.values("user_id")
        ).order_by("full_name")
