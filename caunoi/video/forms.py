from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.models import User
from caunoi.consults.access import case_invite_candidates
from caunoi.network.access import user_scope
from caunoi.network.models import Membership, Role


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


def invite_candidates(actor: Any, consultation: Any) -> list[User]:
    """People ``actor`` may invite: for a consultation, by the one rule of who may bring whom
    into a case (``case_invite_candidates``); for a case conference, the specialists and
    coordinators of the actor's hubs."""
    if consultation is not None:
        users = case_invite_candidates(actor, consultation)
    else:
        users = User.objects.filter(
            id__in=Membership.objects.active()
            .filter(
                facility_id__in=user_scope(actor).hub_ids,
                role__in=[Role.SPECIALIST, Role.COORDINATOR],
            )
            .values("user_id"),
            is_active=True,
        )
    return list(users.exclude(pk=actor.pk))


class EndForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion of the session (goes into the minutes)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )
