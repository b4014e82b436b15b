from __future__ import annotations

import base64
import hmac
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.consults.access import (
    access_consultation,
    consult_permissions,
    visible_consultations,
)
from caunoi.consults.models import Status
from caunoi.core.access import get_or_404
from caunoi.core.actions import guarded_action
from caunoi.network.access import user_scope
from caunoi.video import recordings, sfu
from caunoi.video.access import (
    access_recording_file,
    access_video_session,
    is_host,
    visible_sessions,
)
from caunoi.video.calendar import session_ics
from caunoi.video.forms import EndForm, ScheduleForm, invite_candidates
from caunoi.video.models import SessionStatus, VideoSession
from caunoi.video.services import (
    max_participants,
    session_mode,
    video_participant_remove,
    video_session_end,
    video_session_schedule,
    video_sfu_events,
)


@login_required
def session_list(request: AuthedRequest) -> HttpResponse:
    sessions = list(
        visible_sessions(request.user).select_related("created_by").order_by("-scheduled_at")[:100]
    )
    # Being invited to a session is not sight of its case: a guest whose access ended (the
    # session over, removed) sees the session in the list but not whom it was about.
    consults = visible_consultations(request.user).filter(
        pk__in={s.consultation_id for s in sessions if s.consultation_id}
    )
    seen = {c.pk: c for c in consults.select_related("patient")}
    rows = [(s, seen.get(s.consultation_id or 0)) for s in sessions]
    scope = user_scope(request.user)
    return render(
        request,
        "video/session_list.html",
        {
            "rows": rows,
            # The same rule as ``session_new`` and ``video_session_schedule``.
            "can_conference": bool(scope.hub_ids),
            "is_clinical": scope.is_clinical,
        },
    )


@login_required
def session_new(request: AuthedRequest) -> HttpResponse:
    consult = None
    consult_id = request.GET.get("consult") or request.POST.get("consult")
    if consult_id:
        consult = access_consultation(request.user, consult_id)
        if not consult_permissions(request.user, consult).can_message:
            # A closed (or cancelled) case is not discussed further: a new question is asked
            # instead, and its page calls by video (see the README). Someone who follows an
            # old link is told so on the case's page rather than shown a bare 404.
            messages.info(
                request,
                _("Send the consultation first, then call about it.")
                if consult.status == Status.DRAFT
                else _("This consultation is closed; open a new one to call about it."),
            )
            return redirect(consult.get_absolute_url())
    elif not user_scope(request.user).hub_ids:
        raise Http404
    candidates = invite_candidates(request.user, consult)
    default_title = (
        _("Video consultation: %(specialty)s") % {"specialty": consult.specialty.name}
        if consult
        else _("Case conference")
    )
    form = ScheduleForm(
        request.POST or None, candidates=candidates, initial={"title": default_title}
    )
    if consult is not None and not request.POST:
        form.initial["participants"] = [
            u.pk for u in candidates if u.pk in (consult.requester_id, consult.specialist_id)
        ]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        when = timezone.now() if "now" in request.POST else d["scheduled_at"]
        try:
            session = video_session_schedule(
                actor=request.user,
                title=d["title"],
                scheduled_at=when,
                participants=list(d["participants"]),
                consultation=consult,
                duration_minutes=d["duration_minutes"],
                origin=origin_of(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if "now" in request.POST:
                return redirect(session.get_absolute_url())
            messages.success(request, _("Session scheduled; the participants were notified."))
            return redirect("video:list")
    return render(
        request,
        "video/session_form.html",
        {
            "form": form,
            "consult": consult,
            "max_participants": max_participants(),
            "sfu_enabled": sfu.enabled(),
        },
    )


def _room_text() -> dict[str, str]:
    """The room script's messages, translated here and handed over as JSON (no inline script)."""
    return {
        "you": _("You"),
        "connecting": _("Connecting…"),
        "waiting": _("Waiting for the others to join."),
        "connected": _("Connected"),
        "left": _("You left the room."),
        "removed": _("The host removed you from this session."),
        "ended": _("The session has ended."),
        "refused": _("You cannot join this session."),
        "nomedia": _("No camera or microphone could be opened; you can still listen and chat."),
        "suggest_weak": _("The connection is weak: switch to the light mode?"),
        "suggest_audio": _("The connection is very weak: switch to audio only?"),
        "good": _("good"),
        "fair": _("fair"),
        "poor": _("poor"),
        "raise_hand": _("Raise hand"),
        "lower_hand": _("Lower hand"),
        "give_floor": _("Give the floor"),
        "take_floor": _("Return to viewers"),
        "answered": _("answered"),
        "mark_answered": _("Mark answered"),
        "you_speak": _("You have the floor: your camera and microphone are on."),
        "you_watch": _("You are watching. Raise your hand to speak."),
        "no_hands": _("No hands raised."),
        "viewer_links": _(
            "Viewers' links: %(good)s good · %(fair)s fair · %(poor)s poor · %(unknown)s not "
            "measured yet"
        ),
        "nosfu": _("The video server does not answer; the chat and questions still work."),
        "rec_ask": _(
            "%(name)s asks to record this session. The recording is kept with the session "
            "record, seen only by its participants. Do you agree?"
        ),
        "rec_waiting": _("Waiting for everyone present to agree to the recording…"),
        "rec_on": _("● Recording: everyone present agreed."),
        "rec_told": _(
            "● This session is being recorded: everyone present agreed. Leave the room if you "
            "do not want to be recorded."
        ),
        "rec_declined": _("Not recorded: %(name)s declined."),
        "rec_withdrawn": _("Not recorded."),
        "rec_processing": _("The recording stopped; it is being converted."),
        "rec_failed": _("The recording failed."),
        "host": _("host"),
    }


@login_required
def room(request: AuthedRequest, public_id: str) -> HttpResponse:
    session = access_video_session(request.user, public_id)
    consult = None
    if session.consultation_id is not None:
        try:
            consult = access_consultation(request.user, session.consultation.public_id)  # type: ignore[union-attr]
        except Http404:
            consult = None
    joins = session.joins.select_related("user").order_by("joined_at")
    participants = list(session.participants.active().select_related("user"))
    me = next((p for p in participants if p.user_id == request.user.pk), None)
    context = {
        "session": session,
        "consult": consult,
        "attachments": list(consult.attachments.all()) if consult else [],
        "participants": participants,
        "speakers": [p for p in participants if p.is_speaker],
        "viewers": [p for p in participants if not p.is_speaker],
        "my_role": me.role if me else "viewer",
        "messages_kept": list(session.messages.select_related("user")),
        "can_record": recordings.enabled(),
        "recordings": list(
            session.recordings.select_related("requested_by").prefetch_related("files__user")
        ),
        "host": is_host(request.user, session),
        "joins": joins,
        "end_form": EndForm(),
        "ends_at": session.scheduled_at + timedelta(minutes=session.duration_minutes),
        "duration_minutes": round((session.duration_seconds() or 0) / 60, 1),
        "room_text": {**_room_text(), "me": request.user.full_name},
        "mode": session_mode(session),
    }
    template = "video/room.html" if session.is_joinable else "video/record.html"
    response = render(request, template, context)
    if context["mode"] == "sfu":
        # The page talks to Janus's API: its origin joins the policy's connect-src (none when
        # Janus is served under the site's own origin, as deploy/ does).
        origin = sfu.public_origin()
        policy: dict[str, Any] = settings.SECURE_CSP
        config: dict[str, list[str]] = {k: list(v) for k, v in policy.items()}
        if origin and origin not in config.get("connect-src", []):
            config["connect-src"] = [*config.get("connect-src", []), origin]
        response._csp_config = config  # type: ignore[attr-defined]
    return response


@login_required
def recording_play(request: AuthedRequest, public_id: str, file_id: str) -> FileResponse:
    """One speaker's part of a session's recording (WebM), to the session's own people."""
    part = access_recording_file(request.user, public_id, file_id)
    response = FileResponse(part.file.open("rb"), content_type="video/webm")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def invite_ics(request: AuthedRequest, public_id: str) -> HttpResponse:
    session = access_video_session(request.user, public_id)
    response = HttpResponse(
        session_ics(session, request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="hoi-chan-{str(session.public_id)[:8]}.ics"'
    )
    return response


@login_required
@require_POST
@guarded_action(access_video_session)
def remove_participant(request: AuthedRequest, session: VideoSession) -> str | None:
    user = get_or_404(User.objects.all(), public_id=request.POST.get("user", ""))
    if video_participant_remove(
        session=session, actor=request.user, user=user, origin=origin_of(request)
    ):
        return _("%(name)s was removed from the session.") % {"name": user.full_name}
    return None


@login_required
@require_POST
@guarded_action(access_video_session)
def end_session(request: AuthedRequest, session: VideoSession) -> str | None:
    form = EndForm(request.POST)
    if not form.is_valid():
        return None
    session = video_session_end(
        session=session,
        actor=request.user,
        conclusion=form.cleaned_data["conclusion"],
        origin=origin_of(request),
    )
    return _("Session ended.") if session.status == SessionStatus.ENDED else _("Session cancelled.")


@csrf_exempt
@require_POST
def janus_events(request: HttpRequest) -> HttpResponse:
    """Janus's HTTP event handler posts here (``libjanus_sampleevh``, basic authentication with
    ``janus`` and ``JANUS_EVENTS_SECRET``): batches of events, of which the VideoRoom's joins and
    leaves become the session record (``video_sfu_events``). Off (404) without the secret."""
    secret = settings.JANUS_EVENTS_SECRET
    if not secret:
        raise Http404
    expected = "Basic " + base64.b64encode(f"janus:{secret}".encode()).decode()
    if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="janus events"'
        return response
    try:
        events = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return HttpResponse(_("The body is not valid JSON."), status=400)
    if isinstance(events, dict):
        events = [events]  # Janus sends one event alone when it does not group them
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return HttpResponse(_("The body is not a list of events."), status=400)
    return JsonResponse({"applied": video_sfu_events(events)})
