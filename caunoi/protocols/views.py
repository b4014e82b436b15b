from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.core.access import get_or_404
from caunoi.core.actions import guarded_action, show_on_form
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, FacilityKind
from caunoi.protocols.access import access_protocol, can_publish, publishing_facility_ids
from caunoi.protocols.forms import ProtocolForm, VersionForm
from caunoi.protocols.models import Protocol, ProtocolKind
from caunoi.protocols.selectors import current_version, protocol_list, readings, review_overdue
from caunoi.protocols.services import (
    ProtocolInput,
    VersionInput,
    acknowledge,
    protocol_publish,
    version_publish,
)

PAGE_SIZE = 20


@login_required
def protocol_list_view(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in ProtocolKind.values else ""
    unread = request.GET.get("unread") == "1"
    page = Paginator(
        protocol_list(request.user, q=q, unread=unread, kind=kind), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = urlencode(
        [(k, v) for k, v in (("q", q), ("kind", kind), ("unread", "1" if unread else "")) if v]
    )
    return render(
        request,
        "protocols/protocol_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": ProtocolKind.choices,
            "unread": unread,
            "query": query,
            "can_publish": bool(publishing_facility_ids(request.user)),
            "today": timezone.localdate(),
        },
    )


def _facility_choices(publisher: Facility) -> list[tuple[str, str]]:
    facilities = (
        Facility.objects.active()
        .filter(province_id=publisher.province_id)
        .exclude(kind=FacilityKind.HEALTH_DEPARTMENT)
        .order_by("name")
    )
    return [(str(f.public_id), f.name) for f in facilities]


def _version_input(form: VersionForm, chosen: list[Facility] | None = None) -> VersionInput:
    d = form.cleaned_data
    upload = d.get("document")
    return VersionInput(
        body=d.get("body") or "",
        document=upload.read() if upload else None,
        effective_on=d["effective_on"],
        review_on=d["review_on"],
        change_note=d.get("change_note") or "",
        chosen=chosen or [],
    )


@login_required
def protocol_new(request: AuthedRequest) -> HttpResponse:
    ids = publishing_facility_ids(request.user)
    publisher = Facility.objects.filter(pk__in=ids).order_by("-is_hub", "id").first()
    if publisher is None:
        raise Http404
    today = timezone.localdate()
    form = ProtocolForm(
        request.POST or None,
        request.FILES or None,
        facilities=_facility_choices(publisher),
        initial={
            "client_id": uuid.uuid4(),
            "effective_on": today,
            "review_on": today + timedelta(days=730),
            "audience": "supported" if publisher.is_hub else "province",
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        chosen = list(Facility.objects.filter(public_id__in=d.get("chosen") or []))
        try:
            protocol, created = protocol_publish(
                actor=request.user,
                publisher=publisher,
                client_id=d["client_id"],
                data=ProtocolInput(
                    title_vi=d["title_vi"],
                    title_en=d.get("title_en") or "",
                    code=d.get("code") or "",
                    kind=d["kind"],
                    specialty=d.get("specialty"),
                    audience=d["audience"],
                    version=_version_input(form, chosen),
                ),
                origin=origin_of(request),
            )
        except ValidationError as exc:
            show_on_form(form, exc)
        else:
            messages.success(
                request,
                _("Published; the staff of the facilities it is for are told.")
                if created
                else _("This protocol was published already."),
            )
            return redirect(protocol.get_absolute_url())
    return render(request, "protocols/protocol_form.html", {"form": form, "publisher": publisher})


def _version_page(request: AuthedRequest, protocol: Protocol, number: int | None) -> HttpResponse:
    versions = list(protocol.versions.order_by("-number"))
    if not versions:
        raise Http404
    version = (
        versions[0] if number is None else next((v for v in versions if v.number == number), None)
    )
    if version is None:
        raise Http404
    publisher = can_publish(request.user, protocol.publisher)
    read = version.acknowledgements.filter(user_id=request.user.pk).first()
    in_audience = version.audience.filter(pk__in=user_scope(request.user).facility_ids).exists()
    show_readings = publisher or protocol.publisher.province_id in _officer_provinces(request)
    rows = readings(version) if show_readings else []
    read_count = sum(len(r.read) for r in rows)
    total = sum(r.total for r in rows)
    return render(
        request,
        "protocols/protocol_detail.html",
        {
            "protocol": protocol,
            "version": version,
            "versions": versions,
            "current": versions[0],
            "publisher": publisher,
            "read": read,
            "can_acknowledge": in_audience and version.is_current and read is None,
            "readings": Paginator(rows, 50).get_page(request.GET.get("page")),
            "overall": {
                "read": read_count,
                "total": total,
                "share": read_count * 100 // total if total else 0,
                "facilities": len(rows),
            },
            "query": "",
            "review_overdue": review_overdue(version),
            "version_form": VersionForm(
                initial={
                    "effective_on": timezone.localdate(),
                    "review_on": timezone.localdate() + timedelta(days=730),
                }
            )
            if publisher
            else None,
        },
    )


def _officer_provinces(request: AuthedRequest) -> frozenset[int]:
    return user_scope(request.user).province_ids


@login_required
def protocol_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    return _version_page(request, access_protocol(request.user, public_id), None)


@login_required
def version_detail(request: AuthedRequest, public_id: str, number: int) -> HttpResponse:
    return _version_page(request, access_protocol(request.user, public_id), number)


@login_required
def version_document(request: AuthedRequest, public_id: str, number: int) -> FileResponse:
    protocol = access_protocol(request.user, public_id)
    version = get_or_404(protocol.versions.all(), number=number)
    if not version.document:
        raise Http404
    response = FileResponse(version.document.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
@guarded_action(access_protocol)
def acknowledge_view(request: AuthedRequest, protocol: Protocol) -> str | None:
    version = current_version(protocol)
    if version is None:
        raise Http404
    _ack, created = acknowledge(version=version, actor=request.user, origin=origin_of(request))
    if not created:
        return _("You had already read this version.")
    return _("Thank you: it is recorded that you have read version %(n)s.") % {"n": version.number}


@login_required
def version_new(request: AuthedRequest, public_id: str) -> HttpResponse:
    protocol = access_protocol(request.user, public_id)
    if not can_publish(request.user, protocol.publisher):
        raise Http404
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = version_publish(
                protocol=protocol,
                actor=request.user,
                data=_version_input(form),
                origin=origin_of(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from exc
            show_on_form(form, exc)
        else:
            messages.success(
                request,
                _("Version %(n)s is published; the previous one is marked superseded.")
                % {"n": version.number},
            )
            return redirect(protocol.get_absolute_url())
    return render(request, "protocols/version_form.html", {"form": form, "protocol": protocol})
