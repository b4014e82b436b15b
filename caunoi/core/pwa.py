"""The installable web app: its manifest, its service worker and the page it shows offline.

The service worker (``core/sw.js``, Workbox's modules vendored under ``static/vendor``) keeps
the static files — their names carry their hash — and the offline page, nothing else. Pages
come from the network only: most carry patient data, which is never kept on a device that a
station's staff share; when the network fails the worker sees the offline page instead of the
browser's error. What the worker types offline is kept by the form's own script (issue 19's
drafts, core/static/core/drafts.js), not by this cache; the worker sends them when the link
is back (Background Sync).
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

BRAND = "#0b6e4f"
BACKGROUND = "#f6f7f9"
# The modules the service worker imports, in the order they depend on each other.
WORKBOX = ["core", "routing", "strategies", "expiration", "precaching"]
WORKBOX_FOLDER = "vendor/workbox-7.4.1"


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest. Browsers fetch it without cookies, so it is in the site's default
    language, Vietnamese."""
    icons = [
        {"src": static("core/icons/caunoi-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("core/icons/caunoi-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("core/icons/caunoi-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    response = JsonResponse(
        {
            "name": _("Cầu Nối — telehealth network"),
            "short_name": _("Cầu Nối"),
            "description": _(
                "Ask a specialist, refer a patient, follow courses: the telehealth network of "
                "Vietnam's public health system."
            ),
            "lang": settings.LANGUAGE_CODE,
            "dir": "ltr",
            "id": "/",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": BACKGROUND,
            "theme_color": BRAND,
            "icons": icons,
        },
        json_dumps_params={"ensure_ascii": False},
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@cache
def _offline_revision() -> str:
    """Changes when the offline page or the stylesheet does: the worker then fetches it again."""
    template = get_template("core/offline.html").template.source  # type: ignore[attr-defined]
    return hashlib.sha256((template + static("core/caunoi.css")).encode()).hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "core/sw.js",
        {
            "workbox": [static(f"{WORKBOX_FOLDER}/workbox-{name}.prod.js") for name in WORKBOX],
            "offline": reverse("offline"),
            "revision": _offline_revision(),
            "precache": [static("core/caunoi.css"), static("core/caunoi.js")],
            "static_prefix": settings.STATIC_URL,
            "icon": static("core/icons/caunoi-192.png"),
            "drafts": {
                "keyUrl": reverse("draft_key"),
                "receivedUrl": reverse("forms_received"),
                "loginUrl": reverse("login"),
            },
            "drafts_script": static("core/drafts.js"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    # Always asked again: a new version of the platform brings a new worker at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows when a page cannot be reached. Nothing of the person who
    is signed in: it is kept on the device. In Vietnamese and English at once: it is kept as
    fetched, whatever language the person chooses later."""
    return render(request, "core/offline.html", {"languages": ["vi", "en"]})
