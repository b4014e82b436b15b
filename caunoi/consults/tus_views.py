"""The tus 1.0 protocol over HTTP for a consult form's files: ``/api/uploads/`` (OPTIONS, POST)
and ``/api/uploads/<id>`` (OPTIONS, HEAD, PATCH, DELETE). Plain Django views, not the ninja
API: the protocol's headers and status codes (412, 460…) are its own. The person signed in on
the form's page uploads, with the page's CSRF token (``X-CSRFToken``); what changes state is
``resumable.py``."""

from __future__ import annotations

import uuid
from email.utils import format_datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.consults.models import ResumableUpload
from caunoi.consults.resumable import (
    CHECKSUMS,
    EXTENSIONS,
    VERSION,
    TusRefused,
    parse_metadata,
    resumable_append,
    resumable_create,
    resumable_for,
    resumable_terminate,
)
from caunoi.core.api import ErrorCode
from caunoi.core.errors import error_json

CODES = {
    401: ErrorCode.UNAUTHENTICATED,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    410: ErrorCode.NOT_FOUND,
    413: ErrorCode.TOO_LARGE,
    422: ErrorCode.VALIDATION,
    429: ErrorCode.CONFLICT,
}


def _answer(status: int, message: str = "", request: HttpRequest | None = None) -> HttpResponse:
    if message and not (request is not None and request.method == "HEAD"):
        response: HttpResponse = error_json(
            status=status, code=CODES.get(status, ErrorCode.BAD_REQUEST), message=message
        )
    else:
        response = HttpResponse(status=status)
    response["Tus-Resumable"] = VERSION
    response["Cache-Control"] = "no-store"
    return response


def _options() -> HttpResponse:
    response = _answer(204)
    response["Tus-Version"] = VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(settings.ATTACHMENT_MAX_BYTES)
    response["Tus-Checksum-Algorithm"] = ",".join(CHECKSUMS)
    return response


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """What every request but OPTIONS must have: a signed-in person and the protocol's version."""
    if not request.user.is_authenticated:
        return _answer(401, _("Sign in again to send files."), request)
    if request.headers.get("Tus-Resumable") != VERSION:
        response = _answer(412, _("This server speaks tus %(v)s.") % {"v": VERSION}, request)
        response["Tus-Version"] = VERSION
        return response
    return None


def _actor(request: HttpRequest) -> User:
    """The person signed in (``_refusal`` has answered everyone else)."""
    user = request.user
    if not isinstance(user, User):
        raise TusRefused(401, _("Sign in again to send files."))
    return user


def _integer(request: HttpRequest, header: str) -> int:
    value = request.headers.get(header, "")
    if not value.isdigit():
        raise TusRefused(400, _("%(header)s must be a whole number.") % {"header": header})
    return int(value)


def _expires(response: HttpResponse, upload: ResumableUpload) -> HttpResponse:
    response["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    return response


@require_http_methods(["OPTIONS", "POST"])
def uploads(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _options()
    refused = _refusal(request)
    if refused is not None:
        return refused
    try:
        if "Upload-Defer-Length" in request.headers:
            raise TusRefused(400, _("Give the file's length when the upload starts."))
        upload = resumable_create(
            actor=_actor(request),
            length=_integer(request, "Upload-Length"),
            metadata=parse_metadata(request.headers.get("Upload-Metadata", "")),
            origin=origin_of(request),
        )
    except TusRefused as exc:
        return _answer(exc.status, exc.message, request)
    response = _answer(201)
    response["Location"] = request.build_absolute_uri(reverse("upload", args=[upload.public_id]))
    response["Upload-Offset"] = str(upload.offset)
    return _expires(response, upload)


@require_http_methods(["OPTIONS", "HEAD", "PATCH", "DELETE"])
def upload(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if request.method == "OPTIONS":
        return _options()
    refused = _refusal(request)
    if refused is not None:
        return refused
    try:
        actor = _actor(request)
        if request.method == "DELETE":
            resumable_terminate(actor=actor, public_id=public_id, origin=origin_of(request))
            return _answer(204)
        if request.method == "HEAD":
            found = resumable_for(actor, public_id)
            response = _answer(200)
            response["Upload-Length"] = str(found.length)
        else:
            found = _patch(request, public_id)
            response = _answer(204)
        response["Upload-Offset"] = str(found.offset)
        if found.pending is not None:
            # The kept file: the form shows it and attaches it when sent.
            response["Upload-Kept"] = str(found.pending.public_id)
        return _expires(response, found)
    except TusRefused as exc:
        return _answer(exc.status, exc.message, request)


def _patch(request: HttpRequest, public_id: uuid.UUID) -> ResumableUpload:
    if request.content_type != "application/offset+octet-stream":
        raise TusRefused(415, _("Pieces are sent as application/offset+octet-stream."))
    offset = _integer(request, "Upload-Offset")
    checksum = None
    if "Upload-Checksum" in request.headers:
        algorithm, _sep, digest = request.headers["Upload-Checksum"].strip().partition(" ")
        checksum = (algorithm.lower(), digest.strip())
    size = _integer(request, "Content-Length") if "Content-Length" in request.headers else None
    if size is not None and size > settings.ATTACHMENT_MAX_BYTES:
        raise TusRefused(413, _("A piece may be at most the largest file allowed."))
    # read(), not .body: a piece may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE, which guards
    # form posts; the request's size was checked before it was received (core.request_size).
    data = request.read(settings.ATTACHMENT_MAX_BYTES + 1)
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise TusRefused(413, _("A piece may be at most the largest file allowed."))
    return resumable_append(
        actor=_actor(request),
        public_id=public_id,
        offset=offset,
        data=data,
        checksum=checksum,
        origin=origin_of(request),
    )
