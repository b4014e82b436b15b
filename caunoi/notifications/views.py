from __future__ import annotations

import json
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.core.api import ErrorCode
from caunoi.core.errors import error_json
from caunoi.notifications.channels import (
    channels_choose,
    choice_for,
    push_public_key,
    push_subscribe,
    push_unsubscribe,
    sms_ready,
)
from caunoi.notifications.models import Notification, PushSubscription
from caunoi.notifications.services import notifications_mark_read


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    qs = Notification.objects.filter(user=request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "query": ""})


@login_required
@require_POST
def notification_read(request: AuthedRequest) -> HttpResponse:
    """Mark one (``id``) or all notifications read, then go to ``next``."""
    raw_id = request.POST.get("id") or None
    if raw_id is not None:
        try:
            raw_id = str(uuid.UUID(raw_id))
        except ValueError:
            return redirect("notifications:list")  # not one of ours: nothing to mark
    notifications_mark_read(user=request.user, public_id=raw_id)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


def unread_count(request: HttpRequest) -> dict[str, int]:
    """Context processor: the bell's number on every page (one indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.bell_count(user.pk)}


class ChannelForm(forms.Form):
    email = forms.BooleanField(label=gettext_lazy("By e-mail"), required=False)
    sms = forms.BooleanField(label=gettext_lazy("By SMS to my mobile phone"), required=False)
    push = forms.BooleanField(
        label=gettext_lazy("On the devices where I allow notifications"), required=False
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


@login_required
def notification_channels(request: AuthedRequest) -> HttpResponse:
    """The person chooses how they hear of notifications while no page of theirs is open."""
    choice = choice_for(request.user)
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                channels_choose(
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    sms=form.cleaned_data["sms"],
                    push=form.cleaned_data["push"],
                    phone=form.cleaned_data["phone"],
                    origin=origin_of(request),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field, error)
            else:
                messages.success(request, _("Your choices are saved."))
                return redirect("notifications:channels")
    else:
        form = ChannelForm(
            initial={
                "email": choice.email,
                "sms": choice.sms,
                "push": choice.push,
                "phone": request.user.phone,
            }
        )
    return render(
        request,
        "notifications/channels.html",
        {
            "form": form,
            "sms_ready": sms_ready(),
            "push_key": push_public_key(),
            "devices": PushSubscription.objects.filter(user=request.user),
            "push_text": {
                "allow": _("Allow on this device"),
                "allowed": _("Notifications are on for this device."),
                "denied": _(
                    "This browser blocks notifications from Cầu Nối: allow them in its settings."
                ),
                "failed": _("This device could not be set up for notifications."),
                "unsupported": _("This browser cannot receive notifications."),
            },
        },
    )


@login_required
@require_POST
def push_subscription(request: AuthedRequest) -> JsonResponse:
    """The browser's push subscription (``PushSubscription.toJSON()``), sent by push.js; with
    ``{"remove": endpoint}`` it is forgotten."""
    try:
        data = json.loads(request.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return error_json(status=400, code=ErrorCode.BAD_REQUEST, message=_("Not valid JSON."))
    if "remove" in data:
        removed = push_unsubscribe(
            actor=request.user, endpoint=str(data["remove"]), origin=origin_of(request)
        )
        return JsonResponse({"removed": removed})
    try:
        push_subscribe(
            actor=request.user,
            data=data,
            device=request.headers.get("User-Agent", "")[:200],
            origin=origin_of(request),
        )
    except ValidationError as exc:
        return error_json(status=422, code=ErrorCode.VALIDATION, message=exc.messages[0])
    return JsonResponse({"allowed": True}, status=201)
