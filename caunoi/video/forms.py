from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.models import User
from caunoi.consults.access import case_invite_candidates
from caunoi.consults.models import Consultation
from caunoi.core.dateinputs import DateTimeLocalInput
from caunoi.core.text import fold
from caunoi.network.access import user_scope
from caunoi.network.models import Membership, Role


@dataclass(frozen=True)
class Invitee:
    """How a person is shown in the invite list: who they are and where they work, so that
    two people of the same name, or a name one does not know, can be told apart; ``search``
    is what the list's filter matches, folded (no diacritics, lower case) in both languages."""

    name: str
    details: tuple[str, ...]
    search: str

    def __str__(self) -> str:
        # The label of a plain (unstyled) rendering, and what a screen reader reads first.
        return " — ".join([self.name, *self.details])


def invitee(user: User) -> Invitee:
    """``user`` must come from ``invite_candidates`` (memberships prefetched)."""
    details = []
    words = [user.full_name]
    for m in getattr(user, "invite_memberships", []):
        specialties = list(m.specialties.all())
        parts = [m.get_role_display(), m.facility.name if m.facility else ""]
        if specialties:
            parts.append(", ".join(s.name for s in specialties))
        details.append(" · ".join(p for p in parts if p))
        words += [m.get_role_display(), m.title, m.facility.name if m.facility else ""]
        words += [s.name_vi for s in specialties] + [s.name_en for s in specialties]
    return Invitee(name=user.full_name, details=tuple(details), search=fold(" ".join(words)))


class ScheduleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scheduled_at = forms.DateTimeField(label=_("When"), widget=DateTimeLocalInput())
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
        field = self.fields["participants"]
        field.queryset = User.objects.filter(  # type: ignore[attr-defined]
            id__in=[u.pk for u in candidates]
        )
        # The choices are drawn from the candidates already fetched, with their memberships;
        # the queryset above only checks what is sent back.
        field.choices = [(u.pk, invitee(u)) for u in candidates]  # type: ignore[attr-defined]
        self.fields["scheduled_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


def invite_candidates(actor: User, consultation: Consultation | None) -> list[User]:
    """People ``actor`` may invite: for a consultation, by the one rule of who may bring whom
    into a case (``case_invite_candidates``); for a case conference, the specialists and
    coordinators of the actor's hubs. Each comes with their active memberships (facility,
    specialties) in ``invite_memberships``: a fixed number of queries however many people
    there are."""
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
    memberships = (
        Membership.objects.active()
        .filter(facility__isnull=False)
        .select_related("facility")
        .prefetch_related("specialties")
        .order_by("facility__name", "role")
    )
    people = list(
        users.exclude(pk=actor.pk).prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="invite_memberships")
        )
    )
    # About a consultation, the people of the case come first: who asked and who answers,
    # then the asking station's colleagues; then the hub's.
    first: set[int] = set()
    station = None
    if consultation is not None:
        first = {consultation.requester_id, consultation.specialist_id or 0}
        station = consultation.requester_facility_id

    def order(u: User) -> tuple[int, str, str]:
        facilities = [m.facility for m in u.invite_memberships]  # type: ignore[attr-defined]
        rank = 0 if u.pk in first else 1 if any(f.pk == station for f in facilities) else 2
        return (rank, facilities[0].name if facilities else "", u.full_name)

    return sorted(people, key=order)


class EndForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion of the session (goes into the minutes)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )
