from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.notifications.models import Notification
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
