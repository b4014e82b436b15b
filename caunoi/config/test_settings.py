"""Test settings: the production settings with only speed-ups on top."""

from caunoi.config.settings import *  # noqa: F403
from caunoi.config.settings import STORAGES

# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic before the suite: serve static files straight from the apps.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Uploaded test files go to a scratch directory, never into the developer's var/media.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="caunoi-test-media-"))
RESUMABLE_UPLOAD_DIR = MEDIA_ROOT.parent / f"{MEDIA_ROOT.name}-resumable"

# Tests read the indicators right after making their data: refresh the facts on every read.
MONITORING_FACTS_MAX_AGE = 0

# On SQLite the test database is a file, not Django's shared in-memory one: browser tests run
# the server in other threads, and a shared in-memory database fails a concurrent writer at once
# ("database table is locked") where a file in WAL mode makes it wait its turn, as in production.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="caunoi-")) / "test_caunoi.sqlite3")
    }

# Each pytest-xdist worker (make test runs two) has its own database (pytest-django adds _gw0,
# _gw1 to the test database's name) and its own Redis keys and channel groups.
import os  # noqa: E402
from typing import Any  # noqa: E402

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker:
    for _layer in CHANNEL_LAYERS.values():  # noqa: F405
        _config: dict[str, Any] = _layer.get("CONFIG", {})  # type: ignore[assignment]
        if "prefix" in _config:
            _config["prefix"] = f"{_config['prefix']}-{_worker}"
    for _cache in CACHES.values():  # noqa: F405
        if "KEY_PREFIX" in _cache:
            _cache["KEY_PREFIX"] = f"{_cache['KEY_PREFIX']}-{_worker}"
