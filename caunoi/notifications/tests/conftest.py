"""Fixtures shared by the notifications tests."""

import socket

import pytest

from caunoi.core.outage import Outage
from caunoi.notifications import live


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The channel layer and the cache pointed at a port where nothing listens."""
    url = _closed_port_url()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 1}]},
        }
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "caunoi.core.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # A fresh memory of the outage for each test (the module keeps one per process).
    monkeypatch.setattr(live, "outage", Outage("Channel layer (live updates)"))
    return url
