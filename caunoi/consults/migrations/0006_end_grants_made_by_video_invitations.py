"""Before 0005 a video invitation made every invitee who could not see the consultation a
lasting participant of it, whoever invited them. Those rows carry no "invited" event on the
consultation's timeline (a second-opinion invitation always writes one): they are marked as
video guests of the consultation's latest video session and their access is ended now. The
hub can invite anyone it still needs for a second opinion."""

from django.db import migrations
from django.utils import timezone


def end_video_made_grants(apps, schema_editor):
    Participant = apps.get_model("consults", "Participant")
    ConsultationEvent = apps.get_model("consults", "ConsultationEvent")
    now = timezone.now()
    for p in Participant.objects.select_related("user").iterator():
        events = ConsultationEvent.objects.filter(consultation_id=p.consultation_id)
        invited = events.filter(kind="invited", detail__invitee=p.user.full_name).exists()
        video = events.filter(kind="video").order_by("-id").first()
        if invited or video is None or not video.detail.get("session"):
            continue
        p.via = "video"
        p.video_session = video.detail["session"]
        p.removed_at = now
        p.save(update_fields=["via", "video_session", "removed_at"])


class Migration(migrations.Migration):
    dependencies = [("consults", "0005_participant_grants")]

    operations = [migrations.RunPython(end_video_made_grants, migrations.RunPython.noop)]
