"""Every change to a video session: scheduling, joining and leaving (the session record),
removing a participant, ending with a conclusion. Atomic, audited, notifying after commit."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.consults.access import case_invite_check, consult_permissions, in_case
from caunoi.consults.models import Consultation, ConsultationEventKind
from caunoi.consults.services import case_guest_admit, case_guest_release
from caunoi.core.timeline import record_event
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Membership
from caunoi.notifications.live import push
from caunoi.notifications.services import notify
from caunoi.video import recordings, sfu
from caunoi.video.models import (
    MAX_PARTICIPANTS,
    TEACHING_MAX_SPEAKERS,
    TEACHING_MAX_VIEWERS,
    MessageKind,
    ParticipantRole,
    SessionKind,
    SessionStatus,
    VideoJoin,
    VideoMessage,
    VideoParticipant,
    VideoSession,
)

logger = logging.getLogger(__name__)

# A session with more people than this runs through the SFU (when one is configured): in a mesh
# each sends to each, which a commune station's uplink cannot do beyond a few.
SFU_ABOVE = 4
# With the SFU, a case conference of twelve sites; without it, the mesh's six.
SFU_MAX_PARTICIPANTS = 12


def max_participants() -> int:
    return SFU_MAX_PARTICIPANTS if sfu.enabled() else MAX_PARTICIPANTS


def room_group(session: VideoSession) -> str:
    return f"video.{session.public_id}"


def push_room(session: VideoSession, payload: dict[str, object]) -> None:
    """Tell everyone in the session's room (after the change that caused it has committed)."""
    push(room_group(session), payload)


def video_role(*, session_id: str, user: User) -> str | None:
    """``user``'s role in the session ("speaker" or "viewer"), None when not invited."""
    return (
        VideoParticipant.objects.active()
        .filter(session__public_id=session_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


# A guest's sight of the case outlasts the planned end by this much (a call may overrun), and
# ends at once when the host removes them or ends the session.
GUEST_ACCESS_GRACE = timedelta(hours=2)


def guest_access_until(session: VideoSession) -> datetime:
    return session.scheduled_at + timedelta(minutes=session.duration_minutes) + GUEST_ACCESS_GRACE


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


def _release_guests(
    session: VideoSession, actor: User, users: list[User] | None, origin: AuditOrigin
) -> None:
    """End the case access the session gave (all guests, or ``users``); a guest still invited
    to another open session about the same case keeps sight of it through that one."""
    c = session.consultation
    if c is None:
        return
    ended = case_guest_release(
        consultation=c, session_id=session.public_id, actor=actor, users=users, origin=origin
    )
    elsewhere = (
        VideoParticipant.objects.active()
        .filter(user_id__in=ended, session__consultation=c)
        .exclude(session=session)
        .filter(session__status__in=[SessionStatus.SCHEDULED, SessionStatus.LIVE])
        .select_related("session", "user", "invited_by")
    )
    for p in elsewhere:
        case_guest_admit(
            consultation=c,
            actor=p.invited_by,
            invitee=p.user,
            session_id=p.session.public_id,
            until=guest_access_until(p.session),
            origin=origin,
        )


def _clinical(users: Iterable[User]) -> list[User]:
    ids = set(
        Membership.objects.active()
        .filter(user__in=list(users), role__in=CLINICAL_ROLES, facility__isnull=False)
        .values_list("user_id", flat=True)
    )
    return [u for u in users if u.pk in ids]


def video_session_schedule(
    *,
    actor: User,
    title: str,
    scheduled_at: datetime,
    participants: Iterable[User],
    consultation: Consultation | None = None,
    duration_minutes: int = 30,
    origin: AuditOrigin = SYSTEM,
) -> VideoSession:
    """Schedule a session (or start one now: ``scheduled_at`` = now). From a consultation, anyone
    taking part in it may call the people already in the case; bringing in someone from outside
    follows the one rule of ``case_invite_check`` (the hub's side only, clinical colleagues
    only), and such a guest sees the case only while the session runs. A case conference
    without a consultation is scheduled by hub staff. The requester is always invited."""
    scope = user_scope(actor)
    if consultation is not None:
        if not in_case(actor, consultation):
            raise PermissionDenied(_("You cannot call about this consultation."))
        if not consult_permissions(actor, consultation).can_message:
            raise PermissionDenied(
                _("This consultation is closed; open a new one to call about it.")
            )
    elif not scope.hub_ids:
        raise PermissionDenied(
            _("Case conferences are scheduled by hub specialists and coordinators.")
        )
    people: dict[int, User] = {actor.pk: actor}
    for user in participants:
        people[user.pk] = user
    if consultation is not None:
        people.setdefault(consultation.requester_id, consultation.requester)
    errors: dict[str, list[str]] = {}
    if len(people) < 2:
        errors["participants"] = [_("Invite at least one other person.")]
    if len(people) > max_participants():
        errors["participants"] = [
            _("A session holds at most %(limit)s people.") % {"limit": max_participants()}
        ]
    outsiders = [u for u in people.values() if u not in _clinical(people.values())]
    if outsiders:
        errors["participants"] = [
            _("Only health workers can be invited: %(names)s.")
            % {"names": ", ".join(u.get_full_name() for u in outsiders)}
        ]
    guests: list[User] = []
    if consultation is not None and "participants" not in errors:
        refusals: list[str] = []
        for u in people.values():
            if u.pk == actor.pk:
                continue
            try:
                if case_invite_check(actor=actor, consultation=consultation, invitee=u):
                    guests.append(u)
            except (PermissionDenied, ValidationError) as exc:
                refusals.append(
                    _("%(name)s: %(reason)s")
                    % {"name": u.get_full_name(), "reason": " ".join(_messages(exc))}
                )
        if refusals:
            errors["participants"] = refusals
    if not title.strip():
        errors["title"] = [_("Give the session a title.")]
    if not 5 <= duration_minutes <= 240:
        errors["duration_minutes"] = [_("A session lasts between 5 and 240 minutes.")]
    if scheduled_at < timezone.now() - timedelta(minutes=5):
        errors["scheduled_at"] = [_("Choose a time that has not passed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = VideoSession.objects.create(
            consultation=consultation,
            title=title.strip()[:200],
            scheduled_at=scheduled_at,
            duration_minutes=duration_minutes,
            created_by=actor,
        )
        VideoParticipant.objects.bulk_create(
            [
                VideoParticipant(
                    session=session, user=u, invited_by=actor, is_host=u.pk == actor.pk
                )
                for u in people.values()
            ]
        )
        if consultation is not None:
            for u in guests:
                case_guest_admit(
                    consultation=consultation,
                    actor=actor,
                    invitee=u,
                    session_id=session.public_id,
                    until=guest_access_until(session),
                    origin=origin,
                )
            # The step is the consultation's; its audit row is the session's, below.
            record_event(
                consultation,
                ConsultationEventKind.VIDEO,
                actor=actor,
                detail={"session": str(session.public_id)},
            )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=session,
            purpose="video consultation",
            detail={"participants": sorted(u.username for u in people.values())},
            origin=origin,
        )
        notify(
            users=people.values(),
            message="video.invited",
            params={"when": scheduled_at, "host": actor.get_full_name()},
            url=session.get_absolute_url(),
            exclude=actor,
        )
    return session


def video_participant_remove(
    *, session: VideoSession, actor: User, user: User, origin: AuditOrigin = SYSTEM
) -> bool:
    """The host removes someone: their invitation ends and their open connections are closed."""
    if (
        not VideoParticipant.objects.active()
        .filter(session=session, user=actor, is_host=True)
        .exists()
    ):
        raise PermissionDenied(_("Only the host removes participants."))
    if user.pk == actor.pk:
        raise ValidationError(
            {"user": [_("The host cannot remove themselves; end the session instead.")]}
        )
    with transaction.atomic():
        removed = list(
            VideoParticipant.objects.active().select_for_update().filter(session=session, user=user)
        )
        if not removed:
            return False
        VideoParticipant.objects.filter(pk__in=[p.pk for p in removed]).update(
            removed_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="participant removed",
            detail={"removed": user.username},
            origin=origin,
        )
        _release_guests(session, actor, [user], origin)
        group, target = room_group(session), str(user.pk)
        transaction.on_commit(lambda: push(group, {"type": "removed", "user": target}))
        if sfu.enabled():
            transaction.on_commit(lambda: _sfu_remove(session, removed))
    return True


def _sfu_remove(session: VideoSession, removed: list[VideoParticipant]) -> None:
    """After the removal commits: out of the SFU's room too. Should Janus not answer, the room
    is closed instead (everyone still invited reopens it on joining, without the removed
    person's token); should that fail too, the room ends with Janus's session timeout."""
    try:
        for participant in removed:
            sfu.room_remove(session, participant)
    except (sfu.JanusError, OSError):
        logger.exception("SFU: removal from room of session %s failed; closing it", session.pk)
        _sfu_close(session)


def _sfu_close(session: VideoSession) -> None:
    try:
        sfu.room_close(session)
    except (sfu.JanusError, OSError):
        logger.exception("SFU: closing the room of session %s failed", session.pk)


def session_mode(session: VideoSession) -> str:
    """ "sfu" when the session runs through the SFU, else "mesh" (peer to peer); a teaching
    session without the SFU is "unavailable" (three hundred people cannot be a mesh)."""
    if not sfu.enabled():
        return "unavailable" if session.is_teaching else "mesh"
    if session.is_teaching:
        return "sfu"
    invited = VideoParticipant.objects.active().filter(session=session).count()
    return "sfu" if invited > SFU_ABOVE else "mesh"


def video_sfu_admit(*, session: VideoSession, user: User) -> sfu.ParticipantTokens | None:
    """An invited participant about to join: their tokens for the session's SFU room, the room
    opened (or their token added to it) first. None when the session is a mesh."""
    if not session.is_joinable:
        raise ValidationError(_("This session has ended."))
    participant = VideoParticipant.objects.active().filter(session=session, user=user).first()
    if participant is None:
        raise PermissionDenied(_("You are not invited to this session."))
    mode = session_mode(session)
    if mode == "unavailable":
        raise ValidationError(_("A teaching session needs the video server, which is not running."))
    if mode != "sfu":
        return None
    participant.session = session
    room = sfu.room_open(session, [participant])
    # The same person coming back (a reloaded page, a phone that lost its link): their last
    # connection may still hold their id until Janus times it out; it goes, as in the mesh.
    sfu.room_kick(session, sfu.peer_id(participant))
    if session.sfu_room != room:
        with transaction.atomic():
            VideoSession.objects.filter(pk=session.pk).update(sfu_room=room)
            audit_record(
                actor=user,
                action=AuditAction.UPDATE,
                obj=session,
                purpose="video room opened",
                detail={"sfu_room": room},
            )
        session.sfu_room = room
    return sfu.participant_tokens(participant)


def _moment(event: dict[str, object]) -> datetime:
    """An event's time (Janus gives microseconds since the epoch), else now."""
    stamp = event.get("timestamp")
    if isinstance(stamp, int) and stamp > 0:
        return datetime.fromtimestamp(stamp / 1_000_000, tz=UTC)
    return timezone.now()


def video_sfu_events(events: list[dict[str, object]]) -> int:
    """Janus's events (its HTTP event handler, batched): a participant joining the room opens a
    join row — the attendance of the session record, as a mesh join does — and leaving or being
    kicked closes it. A join with a room token that is not an invited participant's, or with
    another id than the one issued with it, is kicked at once. Each event is applied at most
    once (Janus retries a batch it could not deliver). Answers how many were applied."""
    applied = 0
    for event in events:
        body = event.get("event")
        if event.get("type") != 64 or not isinstance(body, dict):
            continue
        if body.get("plugin") != sfu.VIDEOROOM or not isinstance(body.get("data"), dict):
            continue
        data: dict[str, object] = body["data"]
        room, janus_id = data.get("room"), data.get("id")
        if not isinstance(room, int) or not isinstance(janus_id, int):
            continue
        session = VideoSession.objects.filter(sfu_room=room).first()
        if session is None:
            continue
        kind = data.get("event")
        if kind == "joined":
            applied += _sfu_joined(session, janus_id, str(data.get("token") or ""), _moment(event))
        elif kind in ("configured", "published") and session.is_teaching:
            _sfu_publishing(session, janus_id)
        elif kind in ("leaving", "kicked"):
            applied += VideoJoin.objects.filter(
                session=session, channel_name=f"janus:{janus_id}", left_at__isnull=True
            ).update(left_at=_moment(event))
    return applied


def _sfu_joined(session: VideoSession, janus_id: int, token: str, at: datetime) -> int:
    participant = next(
        (
            p
            for p in VideoParticipant.objects.active()
            .filter(session=session)
            .select_related("user")
            if hmac.compare_digest(sfu.room_token(p), token)
        ),
        None,
    )
    if participant is None or sfu.peer_id(participant) != janus_id or not session.is_joinable:
        logger.warning("SFU: kicking %s from session %s (not as issued)", janus_id, session.pk)
        try:
            sfu.room_kick(session, janus_id)
        except (sfu.JanusError, OSError):
            logger.exception("SFU: kick failed; closing the room of session %s", session.pk)
            _sfu_close(session)
        return 0
    channel = f"janus:{janus_id}"
    with transaction.atomic():
        s = VideoSession.objects.select_for_update().get(pk=session.pk)
        if VideoJoin.objects.filter(
            Q(left_at__isnull=True) | Q(joined_at=at), session=s, channel_name=channel
        ).exists():
            return 0  # delivered twice (Janus retries a batch it is unsure of)
        if s.status == SessionStatus.SCHEDULED:
            s.status = SessionStatus.LIVE
            s.started_at = at
            s.save(update_fields=["status", "started_at", "updated_at"])
        VideoJoin.objects.create(
            session=s, user=participant.user, channel_name=channel, joined_at=at
        )
        audit_record(
            actor=participant.user,
            action=AuditAction.VIEW,
            obj=s,
            purpose="joined video session",
            detail={"via": "sfu"},
        )
    return 1


def _sfu_publishing(session: VideoSession, janus_id: int) -> None:
    """In a teaching session only speakers publish: a viewer's page never does, so a viewer
    publishing (a tampered page) is kicked at once. The room also refuses a fourth publisher."""
    speaking = any(
        sfu.peer_id(p) == janus_id
        for p in VideoParticipant.objects.active().filter(
            session=session, role=ParticipantRole.SPEAKER
        )
    )
    if not speaking:
        logger.warning("SFU: kicking viewer %s publishing in session %s", janus_id, session.pk)
        try:
            sfu.room_kick(session, janus_id)
        except (sfu.JanusError, OSError):
            logger.exception("SFU: kick failed; closing the room of session %s", session.pk)
            _sfu_close(session)


def video_session_end(
    *, session: VideoSession, actor: User, conclusion: str, origin: AuditOrigin = SYSTEM
) -> VideoSession:
    """The host ends the session and writes its conclusion, which goes into the consultation's
    minutes. Everyone still connected is disconnected."""
    if (
        not VideoParticipant.objects.active()
        .filter(session=session, user=actor, is_host=True)
        .exists()
    ):
        raise PermissionDenied(_("Only the host ends the session."))
    with transaction.atomic():
        s = VideoSession.objects.select_for_update().get(pk=session.pk)
        if s.status in (SessionStatus.ENDED, SessionStatus.CANCELLED):
            raise ValidationError(_("This session has already ended."))
        now = timezone.now()
        s.status = SessionStatus.ENDED if s.started_at else SessionStatus.CANCELLED
        s.ended_at = now if s.started_at else None
        s.conclusion = conclusion.strip()
        s.save(update_fields=["status", "ended_at", "conclusion", "updated_at"])
        VideoJoin.objects.filter(session=s, left_at__isnull=True).update(left_at=now)
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=s, purpose="session ended", origin=origin
        )
        _release_guests(s, actor, None, origin)
        group = room_group(s)
        transaction.on_commit(lambda: push(group, {"type": "ended"}))
        if sfu.enabled():
            # A recording running stops with the session (and is converted), then the room goes.
            transaction.on_commit(lambda: recordings.recording_stop(session=s, actor=None))
            transaction.on_commit(lambda: _sfu_close(s))
    return s


# --- called by the signalling consumer -------------------------------------------------------------


def video_join(
    *, session_id: str, user: User, channel_name: str
) -> tuple[VideoJoin, list[str]] | None:
    """Record a connection to the room; None when the person may not (or no longer) join.

    Also returns the peer ids of the person's earlier connections that never said goodbye (a
    crashed tab, a dropped link): they are closed now, so nobody keeps calling a ghost."""
    with transaction.atomic():
        s = VideoSession.objects.select_for_update().filter(public_id=session_id).first()
        if s is None or not s.is_joinable:
            return None
        if not VideoParticipant.objects.active().filter(session=s, user_id=user.pk).exists():
            return None
        if s.status == SessionStatus.SCHEDULED:
            s.status = SessionStatus.LIVE
            s.started_at = timezone.now()
            s.save(update_fields=["status", "started_at", "updated_at"])
        stale = list(
            VideoJoin.objects.filter(session=s, user_id=user.pk, left_at__isnull=True).values_list(
                "peer_id", flat=True
            )
        )
        VideoJoin.objects.filter(session=s, user_id=user.pk, left_at__isnull=True).update(
            left_at=timezone.now()
        )
        join = VideoJoin.objects.create(session=s, user=user, channel_name=channel_name)
        audit_record(actor=user, action=AuditAction.VIEW, obj=s, purpose="joined video session")
    return join, [str(p) for p in stale]


def video_leave(*, join_id: int) -> None:
    VideoJoin.objects.filter(pk=join_id, left_at__isnull=True).update(left_at=timezone.now())


def link_level(rtt_ms: float, loss_pct: float) -> str:
    """A link as the room shows it: good, fair or poor."""
    if loss_pct < 2 and rtt_ms < 250:
        return "good"
    return "fair" if loss_pct < 8 and rtt_ms < 600 else "poor"


def video_quality(*, join_id: int, rtt_ms: float, loss_pct: float, kbps: float, mode: str) -> None:
    """Fold one getStats() sample into the join's running summary (no row per sample), with
    the link's level now."""
    with transaction.atomic():
        join = VideoJoin.objects.select_for_update().filter(pk=join_id).first()
        if join is None:
            return
        q = dict(join.quality or {})
        q["samples"] = q.get("samples", 0) + 1
        q["rtt_sum"] = q.get("rtt_sum", 0) + rtt_ms
        q["loss_sum"] = q.get("loss_sum", 0) + loss_pct
        q["kbps_sum"] = q.get("kbps_sum", 0) + kbps
        q["rtt_max"] = max(q.get("rtt_max", 0), rtt_ms)
        q["mode"] = mode
        q["level"] = link_level(rtt_ms, loss_pct)
        join.quality = q
        join.save(update_fields=["quality"])


def viewers_links(*, session_id: str) -> dict[str, object]:
    """How the links of a teaching session's viewers in the room are now: how many good, fair,
    poor (and not measured yet). The host's page shows it: three hundred tiles it has not."""
    viewers = VideoParticipant.objects.active().filter(
        session__public_id=session_id, role=ParticipantRole.VIEWER
    )
    counts = {"good": 0, "fair": 0, "poor": 0, "unknown": 0}
    seen: set[int] = set()
    for user_id, quality in VideoJoin.objects.filter(
        session__public_id=session_id,
        left_at__isnull=True,
        user_id__in=viewers.values("user_id"),
    ).values_list("user_id", "quality"):
        if user_id in seen:
            continue  # the websocket's row and Janus's: one person
        seen.add(user_id)
        level = (quality or {}).get("level")
        counts[level if level in counts else "unknown"] += 1
    return {"type": "viewers", **counts}


def video_room_peers(*, session_id: str, exclude_join: int) -> list[dict[str, str]]:
    """The others in the room now. ``channel`` is for the consumer only, never sent out."""
    return [
        {
            "peer": str(j.peer_id),
            "name": j.user.get_full_name(),
            "user": str(j.user_id),
            "channel": j.channel_name,
        }
        for j in VideoJoin.objects.filter(session__public_id=session_id, left_at__isnull=True)
        .exclude(pk=exclude_join)
        .select_related("user")
    ]


def video_peer_channel(*, session_id: str, peer_id: str) -> str | None:
    """The channel of a peer currently in the same room, or None (never relay outside it)."""
    join = VideoJoin.objects.filter(
        session__public_id=session_id, peer_id=peer_id, left_at__isnull=True
    ).first()
    return join.channel_name if join is not None else None


def video_may_stay(*, join_id: int) -> bool:
    join = VideoJoin.objects.select_related("session").filter(pk=join_id).first()
    return bool(
        join is not None
        and join.left_at is None
        and join.session.is_joinable
        and VideoParticipant.objects.active()
        .filter(session=join.session, user_id=join.user_id)
        .exists()
    )


# --- teaching sessions (webinar mode) ---------------------------------------------------------------


def video_teaching_schedule(
    *,
    actor: User,
    title: str,
    scheduled_at: datetime,
    duration_minutes: int,
    viewers: Iterable[User],
    origin: AuditOrigin = SYSTEM,
) -> VideoSession:
    """A teaching session (webinar): ``actor`` hosts and speaks, ``viewers`` watch. It runs
    through the SFU only. Opened from a training session by one of its organisers (the
    training app checks that and passes the course's learners as viewers); the host must be a
    health worker of a facility."""
    if not sfu.enabled():
        raise ValidationError(
            _("A teaching session needs the video server (Janus), which is not configured.")
        )
    if not _clinical([actor]):
        raise PermissionDenied(_("Teaching sessions are opened by a course's organisers."))
    people = {u.pk: u for u in viewers if u.pk != actor.pk}
    errors: dict[str, list[str]] = {}
    if len(people) > TEACHING_MAX_VIEWERS:
        errors["participants"] = [
            _("A teaching session holds at most %(limit)s viewers.")
            % {"limit": TEACHING_MAX_VIEWERS}
        ]
    if not title.strip():
        errors["title"] = [_("Give the session a title.")]
    if not 5 <= duration_minutes <= 480:
        errors["duration_minutes"] = [_("A teaching session lasts between 5 and 480 minutes.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = VideoSession.objects.create(
            kind=SessionKind.TEACHING,
            title=title.strip()[:200],
            scheduled_at=scheduled_at,
            duration_minutes=duration_minutes,
            created_by=actor,
        )
        VideoParticipant.objects.bulk_create(
            [VideoParticipant(session=session, user=actor, invited_by=actor, is_host=True)]
            + [
                VideoParticipant(
                    session=session, user=u, invited_by=actor, role=ParticipantRole.VIEWER
                )
                for u in people.values()
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=session,
            purpose="video consultation",
            detail={"kind": "teaching", "viewers": len(people)},
            origin=origin,
        )
    return session


def video_viewers_add(
    *, session: VideoSession, actor: User, users: Iterable[User], origin: AuditOrigin = SYSTEM
) -> int:
    """Invite more viewers to a teaching session (learners enrolled after it was opened): the
    host adds anyone; the training app adds a learner who comes to the room on their own
    (``actor`` the learner, after checking their enrolment). Answers how many were added;
    someone invited already, or removed by the host, is left as they are."""
    users = list(users)
    if not session.is_teaching:
        raise ValidationError(_("Only a teaching session takes viewers."))
    is_host = (
        VideoParticipant.objects.active().filter(session=session, user=actor, is_host=True).exists()
    )
    if not is_host and [u.pk for u in users] != [actor.pk]:
        raise PermissionDenied(_("Only the host invites viewers."))
    if not session.is_joinable:
        raise ValidationError(_("This session has ended."))
    with transaction.atomic():
        VideoSession.objects.select_for_update().get(pk=session.pk)
        known = set(
            VideoParticipant.objects.filter(session=session).values_list("user_id", flat=True)
        )
        new = [u for u in {u.pk: u for u in users}.values() if u.pk not in known]
        if not new:
            return 0
        present = len(known)
        if present - 1 + len(new) > TEACHING_MAX_VIEWERS:
            raise ValidationError(
                _("A teaching session holds at most %(limit)s viewers.")
                % {"limit": TEACHING_MAX_VIEWERS}
            )
        VideoParticipant.objects.bulk_create(
            [
                VideoParticipant(
                    session=session, user=u, invited_by=actor, role=ParticipantRole.VIEWER
                )
                for u in new
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="viewers invited",
            detail={"viewers": sorted(u.username for u in new)},
            origin=origin,
        )
    return len(new)


def _teaching_participant(session: VideoSession, user: User) -> VideoParticipant:
    if not session.is_teaching:
        raise ValidationError(_("Hands and speakers belong to teaching sessions."))
    if not session.is_joinable:
        raise ValidationError(_("This session has ended."))
    participant = (
        VideoParticipant.objects.active()
        .select_for_update()
        .filter(session=session, user=user)
        .first()
    )
    if participant is None:
        raise PermissionDenied(_("You are not invited to this session."))
    return participant


def hands_payload(session: VideoSession) -> dict[str, object]:
    """What the room is told of raised hands and speakers (everyone's page shows them)."""
    rows = (
        VideoParticipant.objects.active()
        .filter(session=session)
        .filter(Q(hand_raised_at__isnull=False) | Q(role=ParticipantRole.SPEAKER))
        .select_related("user")
        .order_by("hand_raised_at", "id")
    )
    return {
        "type": "hands",
        "hands": [
            {"user": str(p.user_id), "name": p.user.get_full_name()}
            for p in rows
            if p.hand_raised_at is not None
        ],
        "speakers": [
            {"user": str(p.user_id), "name": p.user.get_full_name(), "host": p.is_host}
            for p in rows
            if p.role == ParticipantRole.SPEAKER
        ],
    }


def video_hand(*, session: VideoSession, user: User, up: bool) -> bool:
    """A viewer raises (or lowers) their hand; answers whether anything changed. The room is
    told after commit."""
    with transaction.atomic():
        participant = _teaching_participant(session, user)
        if up and participant.is_speaker:
            raise ValidationError(_("You are already speaking."))
        if (participant.hand_raised_at is not None) == up:
            return False
        participant.hand_raised_at = timezone.now() if up else None
        participant.save(update_fields=["hand_raised_at"])
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="hand raised",
            detail={"up": up},
        )
        group = room_group(session)
        transaction.on_commit(lambda: push(group, hands_payload(session)))
    return True


def video_speaker_set(
    *, session: VideoSession, actor: User, user: User, speaker: bool, origin: AuditOrigin = SYSTEM
) -> bool:
    """The host gives someone the floor (a speaker publishes camera, microphone or screen) or
    returns them to the viewers; at most three speak at once, the host among them. Their
    raised hand is lowered. Answers whether anything changed."""
    with transaction.atomic():
        host = _teaching_participant(session, actor)
        if not host.is_host:
            raise PermissionDenied(_("Only the host gives the floor."))
        participant = _teaching_participant(session, user)
        if participant.is_host:
            raise ValidationError(_("The host always speaks."))
        role = ParticipantRole.SPEAKER if speaker else ParticipantRole.VIEWER
        if participant.role == role:
            return False
        if (
            speaker
            and VideoParticipant.objects.active()
            .filter(session=session, role=ParticipantRole.SPEAKER)
            .count()
            >= TEACHING_MAX_SPEAKERS
        ):
            raise ValidationError(
                _("At most %(limit)s people speak at once; return someone to the viewers first.")
                % {"limit": TEACHING_MAX_SPEAKERS}
            )
        participant.role = role
        participant.hand_raised_at = None
        participant.save(update_fields=["role", "hand_raised_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="speaker changed",
            detail={"user": user.username, "role": role},
            origin=origin,
        )
        group, target = room_group(session), str(user.pk)
        transaction.on_commit(
            lambda: push(group, {"type": "role", "user": target, "role": str(role)})
        )
        transaction.on_commit(lambda: push(group, hands_payload(session)))
    return True


def video_message_post(*, session: VideoSession, user: User, kind: str, text: str) -> VideoMessage:
    """A chat line or a question written in the room of a session without a consultation,
    kept with the session record. Questions are asked in teaching sessions."""
    text = text.strip()
    if kind not in MessageKind.values:
        raise ValidationError(_("Unknown kind of message."))
    if not text:
        raise ValidationError(_("Write something first."))
    if session.consultation_id is not None:
        raise ValidationError(_("This session's chat goes into the consultation's discussion."))
    if kind == MessageKind.QUESTION and not session.is_teaching:
        raise ValidationError(_("Questions are asked in teaching sessions."))
    with transaction.atomic():
        if not session.is_joinable:
            raise ValidationError(_("This session has ended."))
        if not VideoParticipant.objects.active().filter(session=session, user=user).exists():
            raise PermissionDenied(_("You are not invited to this session."))
        message = VideoMessage.objects.create(
            session=session, user=user, kind=kind, text=text[:2000]
        )
        audit_record(
            actor=user,
            action=AuditAction.CREATE,
            obj=session,
            purpose="room message",
            detail={"kind": kind, "message": message.pk},
        )
    return message


def video_question_answered(*, session: VideoSession, actor: User, message_id: int) -> bool:
    """The host marks a question answered; answers whether anything changed."""
    with transaction.atomic():
        if (
            not VideoParticipant.objects.active()
            .filter(session=session, user=actor, is_host=True)
            .exists()
        ):
            raise PermissionDenied(_("Only the host marks questions answered."))
        changed = VideoMessage.objects.filter(
            pk=message_id, session=session, kind=MessageKind.QUESTION, answered_at__isnull=True
        ).update(answered_at=timezone.now())
        if changed:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=session,
                purpose="question answered",
                detail={"message": message_id},
            )
            push_room(session, {"type": "answered", "id": message_id})
    return bool(changed)
