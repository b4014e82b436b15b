"""Where a change came from, as its audit row records it.

Services never receive the request: the interface that serves one (a page, the API, the admin,
a signal of Django's, the patient-read middleware) turns it into an ``AuditOrigin`` with
``origin_of(request)`` — the only function here that reads a request — and passes that on.
Commands, tasks, websocket consumers and the seed pass nothing (``SYSTEM``: no address).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from caunoi.core.client_address import client_address


@dataclass(frozen=True)
class AuditOrigin:
    """Where a change came from, as the audit row records it."""

    ip_address: str | None = None
    view: str = ""  # the resolver's view name (patient-read rows)
    method: str = ""  # the HTTP method (patient-read rows)


#: Commands, tasks, websocket consumers, the seed: no address.
SYSTEM = AuditOrigin()


def origin_of(request: HttpRequest) -> AuditOrigin:
    """The origin of a change asked for by ``request``: the client's address (the same one the
    log-in lock-out counts, ``core.client_address``), the view and the method."""
    match = getattr(request, "resolver_match", None)
    return AuditOrigin(
        ip_address=client_address(request),
        view=getattr(match, "view_name", "") or "",
        method=request.method or "",
    )
