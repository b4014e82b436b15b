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

# Tests read the indicators right after making their data: refresh the facts on every read.
MONITORING_FACTS_MAX_AGE = 0
