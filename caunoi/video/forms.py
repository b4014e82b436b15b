from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.models import User
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Membership


class ScheduleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scheduled_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(
            format="%d/%m/%Y %H:%M", attrs={"placeholder": "dd/mm/yyyy hh:mm"}
        ),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=240, initial=30
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Invite"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, candidates: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            id__in=[u.pk for u in candidates]
        ).order_by("full_name")
        self.fields["scheduled_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


def invite_candidates(consultation: Any, hub_ids: frozenset[int]) -> list[User]:
    """People one may invite: those of the consultation, and the specialists and coordinators
    of the hubs involved."""
    ids: set[int] = set()
    hubs = set(hub_ids)
    if consultation is not None:
        ids.add(consultation.requester_id)
        if consultation.specialist_id:
            ids.add(consultation.specialist_id)
        ids.update(consultation.participants.values_list("user_id", flat=True))
        if consultation.hub_id:
            hubs.add(consultation.hub_id)
        ids.update(
            Membership.objects.active()
            .filter(facility_id=consultation.requester_facility_id, role__in=CLINICAL_ROLES)
            .values_list("user_id", flat=True)
        )
    ids.update(
        Membership.objects.active()
        .filter(facility_id__in=hubs, role__in=["specialist", "coordinator"])
        .values_list("user_id", flat=True)
    )
    return list(User.objects.filter(id__in=ids, is_active=True))


class EndForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion of the session (goes into the minutes)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )
