from collections.abc import Iterator

import pytest
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.video.services import video_session_schedule
from caunoi.video.tests.janus_server import JanusServer, start_janus


@pytest.fixture(scope="module")
def janus_server() -> Iterator[JanusServer]:
    """A real Janus (Debian's), started for the module with a generated configuration."""
    server = start_janus()
    yield server
    server.stop()


@pytest.fixture
def janus(janus_server, settings):
    """The platform pointed at that Janus."""
    settings.JANUS_URL = janus_server.url
    settings.JANUS_TOKEN_SECRET = janus_server.token_secret
    settings.JANUS_ADMIN_KEY = janus_server.admin_key
    return janus_server


def colleagues(specialist, n):
    """``n`` clinical people of the fixture network other than ``specialist``."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role__in=["specialist", "clinician", "coordinator", "worker"],
            memberships__facility__isnull=False,
        )
        .exclude(pk=specialist.pk)
        .distinct()
        .order_by("pk")[:n]
    )


@pytest.fixture
def conference(specialist):
    return video_session_schedule(
        actor=specialist,
        title="Hội chẩn liên viện: ca khó tuần này",
        scheduled_at=timezone.now(),
        participants=colleagues(specialist, 5),
    )
