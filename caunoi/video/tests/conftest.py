from collections.abc import Iterator

import pytest

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
