"""``caunoi collectstatic`` with the storage production and ``make demo`` use (hashed names, a
manifest, compressed copies): every CSS and JS file's references must resolve, or the command
fails and the platform does not start. The suite itself serves files straight from the apps,
so only this test sees that storage at work (a vendored script once named a source map that is
not shipped)."""

import json

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from caunoi.config import settings as production


def test_collectstatic_with_the_production_storage_resolves_every_reference(tmp_path):
    storages = {**settings.STORAGES, "staticfiles": production.STORAGES["staticfiles"]}
    with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("core/caunoi.css", "video/room.js", "vendor/janus-1.1.2.min.js"):
        hashed = manifest[name]
        assert hashed != name
        assert (tmp_path / hashed).is_file()
        assert (tmp_path / f"{hashed}.gz").is_file()
