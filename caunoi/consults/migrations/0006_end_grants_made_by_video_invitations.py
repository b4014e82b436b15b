"""Before 0005 a video invitation made every invitee who could not see the consultation a
lasting participant of it, whoever invited them. Such a row was created in the same transaction
as the consultation's "video" timeline event, so its ``invited_at`` lies within seconds of that
event's time, and no "invited" event (which every second-opinion invitation writes) lies beside
it. Those rows are marked as guests of that video session and their access is ended now; the
hub can invite again whom it still needs for a second opinion. The names of the ended grants
are printed by ``migrate``."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

SAME_TRANSACTION = timedelta(seconds=5)


def end_video_made_grants(apps, schema_editor):
    Participant = apps.get_model("consults", "Participant")
    ConsultationEvent = apps.get_model("consults", "ConsultationEvent")
    now = timezone.now()
    ended = []
    for p in Participant.objects.select_related("user").iterator():
        near = ConsultationEvent.objects.filter(
            consultation_id=p.consultation_id,
            at__gte=p.invited_at - SAME_TRANSACTION,
            at__lte=p.invited_at + SAME_TRANSACTION,
        )
        video = near.filter(kind="video").order_by("-id").first()
        if video is None or not video.detail.get("session") or near.filter(kind="invited").exists():
            continue
        p.via = "video"
        p.video_session = video.detail["session"]
        p.removed_at = now
        p.save(update_fields=["via", "video_session", "removed_at"])
        ended.append(f"{p.user.username} (consultation {p.consultation_id})")
    if ended:
        print(f"\n  Ended {len(ended)} grants made by video invitations: {', '.join(ended)}")


class Migration(migrations.Migration):
    dependencies = [("consults", "0005_participant_grants")]

    operations = [migrations.RunPython(end_video_made_grants, migrations.RunPython.noop)]
