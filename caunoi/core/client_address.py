"""The address of the person making a request, the one place that decides whom to believe.

``REMOTE_ADDR`` is the peer of the TCP connection and cannot be forged. ``X-Forwarded-For`` is
whatever the client wrote, with one address appended by every proxy it passed through, so only
the entries that our own proxies appended can be trusted: with ``TRUSTED_PROXY_COUNT`` proxies
in front of the application (nginx on the same host: 1), the client is the entry that many hops
from the right. Everything before it is the client's own claim and is ignored.

django-axes (lock-out) and the audit trail both take the address from here, and ``caunoi serve``
and deploy/ run gunicorn and uvicorn without their own proxy-header rewriting, so no second place
trusts the header (tests/deploy checks it through nginx with deploy/nginx/caunoi.conf).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    candidate = address.strip()
    # A proxy may write "[2001:db8::1]:443" or "203.0.113.9:5000"; keep only the address.
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, trusting ``settings.TRUSTED_PROXY_COUNT`` proxies."""
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote
    forwarded = [
        part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part
    ]
    if len(forwarded) < hops:
        # Fewer entries than proxies: the request did not come through all of them (or a proxy
        # is misconfigured); the connection's peer is the only address we know to be true.
        return remote
    return _valid(forwarded[-hops]) or remote
