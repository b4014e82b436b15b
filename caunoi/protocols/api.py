"""Protocols in the JSON API: the current protocols published for you, and saying you have read
one."""

from datetime import date
from typing import Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from caunoi.accounts.api_auth import api_user
from caunoi.audit.origin import origin_of
from caunoi.core.api import ListFilters, Pagination, SerializedPage
from caunoi.protocols.access import access_protocol
from caunoi.protocols.models import ProtocolVersion
from caunoi.protocols.selectors import current_version, protocol_list
from caunoi.protocols.services import acknowledge

router = Router(tags=["protocols"])


class ProtocolFilters(ListFilters):
    q: str = Field("", max_length=100, description="Words of the title or code")
    kind: Literal["", "protocol", "sop"] = ""
    unread: bool = Field(False, description="Only those you have not read yet")


class ProtocolOut(Schema):
    id: UUID
    code: str
    title: str
    kind: str
    publisher: str
    specialty: str | None
    version: int
    version_id: UUID
    effective_on: date
    review_on: date
    read: bool = Field(description="Whether you have read this version")
    pdf: bool
    url: str


def _out(v: ProtocolVersion) -> dict[str, object]:
    p = v.protocol
    return {
        "id": p.public_id,
        "code": p.code,
        "title": p.title,
        "kind": p.kind,
        "publisher": p.publisher.name,
        "specialty": p.specialty.code if p.specialty else None,
        "version": v.number,
        "version_id": v.public_id,
        "effective_on": v.effective_on,
        "review_on": v.review_on,
        "read": bool(getattr(v, "read", False)),
        "pdf": bool(v.document),
        "url": p.get_absolute_url(),
    }


@router.get("/protocols", response=list[ProtocolOut], summary="Protocols published for you")
@paginate(Pagination)
def list_protocols(request: HttpRequest, filters: Query[ProtocolFilters]) -> SerializedPage:
    """The current version of each protocol you may read (published to your facility, by your
    facility, or in your province for an officer), by title."""
    qs = protocol_list(request.user, q=filters.q, kind=filters.kind, unread=filters.unread)
    return SerializedPage(qs, lambda rows: [_out(v) for v in rows])


class AcknowledgementOut(Schema):
    protocol: UUID
    version: int
    read_at: str


@router.post(
    "/protocols/{protocol_id}/acknowledge",
    response={201: AcknowledgementOut, 200: AcknowledgementOut},
    summary="Say you have read a protocol's current version",
)
def acknowledge_protocol(request: HttpRequest, protocol_id: UUID) -> Status[dict[str, object]]:
    """Once per version (again answers the first, 200). For the clinical staff of the
    facilities it was published to."""
    protocol = access_protocol(request.user, protocol_id)
    version = current_version(protocol)
    if version is None:
        raise Http404
    ack, created = acknowledge(version=version, actor=api_user(request), origin=origin_of(request))
    return Status(
        201 if created else 200,
        {"protocol": protocol.public_id, "version": version.number, "read_at": ack.at.isoformat()},
    )
