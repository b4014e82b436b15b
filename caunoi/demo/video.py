"""Demo video sessions: one that `worker` and `specialist` can open together at once, one
scheduled for tomorrow, and finished ones with their records. Built once; deterministic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, Status
from caunoi.demo.network import stable_uuid
from caunoi.video.models import SessionStatus, VideoJoin, VideoParticipant, VideoSession
from caunoi.video.services import video_session_schedule

FINISHED = [
    # days ago, minutes, conclusion, (rtt, loss, kbps, mode) for the station's side
    (
        3,
        18,
        "Thống nhất chuyển tuyến; trạm theo dõi huyết áp 2 lần/ngày sau khi về.",
        (180, 1.2, 610, "normal"),
    ),
    (9, 25, "Điều chỉnh liều thuốc hạ áp, hẹn hội chẩn lại sau 2 tuần.", (420, 6.5, 230, "weak")),
    (
        21,
        12,
        "Đường truyền yếu, chuyển sang chỉ âm thanh; kết luận xử trí tại trạm.",
        (650, 14.0, 38, "audio"),
    ),
]


def demo_video_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    marker = stable_uuid("demo-video", 0)
    if VideoSession.objects.filter(public_id=marker).exists():
        say("demo video sessions already loaded")
        return 0
    worker = User.objects.get(username="worker")
    specialist = User.objects.get(username="specialist")
    coordinator = User.objects.get(username="coordinator")
    mine = Consultation.objects.filter(
        requester=worker, hub__name="Bệnh viện Trung ương Huế"
    ).order_by("id")
    open_case = mine.filter(status__in=[Status.ASSIGNED, Status.ANSWERED]).first()
    closed = list(mine.filter(status=Status.CLOSED)[: len(FINISHED)])
    now = timezone.now().replace(second=0, microsecond=0)
    made = 0
    with transaction.atomic():
        live = video_session_schedule(
            actor=specialist,
            title="Hội chẩn trực tuyến: đau ngực, tăng huyết áp",
            scheduled_at=now,
            participants=[worker],
            consultation=open_case,
            duration_minutes=240,
        )
        VideoSession.objects.filter(pk=live.pk).update(public_id=marker)
        made += 1
        tomorrow = timezone.localtime(now + timedelta(days=1)).replace(hour=9, minute=0)
        conference = video_session_schedule(
            actor=coordinator,
            title="Hội chẩn liên viện: các ca quá hạn tuần này",
            scheduled_at=tomorrow,
            participants=[specialist, worker],
            duration_minutes=60,
        )
        VideoSession.objects.filter(pk=conference.pk).update(public_id=stable_uuid("demo-video", 1))
        made += 1
        for n, (consult, (days, minutes, conclusion, (rtt, loss, kbps, mode))) in enumerate(
            zip(closed, FINISHED, strict=False), start=2
        ):
            # Past sessions of consults that are closed now: written as history directly (the
            # services only schedule for open consults).
            start = now - timedelta(days=days, hours=2)
            s = VideoSession.objects.create(
                public_id=stable_uuid("demo-video", n),
                consultation=consult,
                title=f"Hội chẩn trực tuyến: {consult.specialty.name_vi}",
                scheduled_at=start,
                duration_minutes=30,
                status=SessionStatus.ENDED,
                created_by=specialist,
                started_at=start,
                ended_at=start + timedelta(minutes=minutes),
                conclusion=conclusion,
            )
            VideoParticipant.objects.bulk_create(
                [
                    VideoParticipant(
                        session=s,
                        user=specialist,
                        invited_by=specialist,
                        is_host=True,
                        invited_at=start,
                    ),
                    VideoParticipant(
                        session=s, user=worker, invited_by=specialist, invited_at=start
                    ),
                ]
            )
            VideoJoin.objects.bulk_create(
                [
                    VideoJoin(
                        session=s,
                        user=specialist,
                        channel_name="demo",
                        joined_at=start,
                        left_at=start + timedelta(minutes=minutes),
                        quality={
                            "samples": minutes * 30,
                            "rtt_sum": 90 * minutes * 30,
                            "loss_sum": 0.2 * minutes * 30,
                            "kbps_sum": 900 * minutes * 30,
                            "rtt_max": 140,
                            "mode": "normal",
                        },
                    ),
                    VideoJoin(
                        session=s,
                        user=worker,
                        channel_name="demo",
                        joined_at=start + timedelta(minutes=1),
                        left_at=start + timedelta(minutes=minutes),
                        quality={
                            "samples": minutes * 30,
                            "rtt_sum": rtt * minutes * 30,
                            "loss_sum": loss * minutes * 30,
                            "kbps_sum": kbps * minutes * 30,
                            "rtt_max": rtt * 2,
                            "mode": mode,
                        },
                    ),
                ]
            )
            made += 1
    say(f"video sessions: {made}")
    return made
