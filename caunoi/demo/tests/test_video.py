import pytest

from caunoi.demo.network import stable_uuid
from caunoi.demo.video import demo_video_load
from caunoi.video.models import VideoSession

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]


def test_demo_gives_worker_and_specialist_a_room_to_open_at_once(worker, specialist):
    made = demo_video_load()
    assert made >= 2
    live = VideoSession.objects.get(public_id=stable_uuid("demo-video", 0))
    assert live.is_joinable
    assert set(live.participants.active().values_list("user__username", flat=True)) == {
        "worker",
        "specialist",
    }
    assert demo_video_load() == 0
