from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from caunoi.accounts.http import AuthedRequest
from caunoi.consults.models import Consultation, Status
from caunoi.consults.selectors import QUEUES, queue, queues_for
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Role
from caunoi.network.selectors import hubs_by_specialty, network_totals, spokes_of
from caunoi.patients.models import Patient
from caunoi.places.models import Province
from caunoi.referrals.access import visible_referrals
from caunoi.referrals.models import OPEN_REFERRAL


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the page that fits its work."""
    scope = user_scope(request.user)
    role = scope.primary_role
    context: dict[str, object] = {"scope": scope, "role": role}
    facilities = [m.facility for m in scope.memberships if m.facility is not None]
    facility: Facility | None = facilities[0] if facilities else None
    context["facility"] = facility
    if scope.is_clinical:
        names = queues_for(request.user)
        context["queues"] = [
            (name, QUEUES[name], queue(request.user, name).count()) for name in names
        ]
        context["recent"] = list(queue(request.user, names[0])[:5]) if names else []
    if role == Role.CLINICIAN and facility is not None:
        context["incoming"] = list(
            visible_referrals(request.user)
            .filter(to_facility_id__in=scope.facility_ids, status__in=OPEN_REFERRAL)
            .select_related("patient", "from_facility", "to_facility")
            .order_by("-sent_at")[:10]
        )
    if role == Role.WORKER and facility is not None:
        context["hubs"] = hubs_by_specialty(facility)
    elif role in (Role.SPECIALIST, Role.COORDINATOR) and facility is not None:
        context["spoke_count"] = spokes_of(facility).count()
        context["specialties"] = [s for m in scope.memberships for s in m.specialties.all()]
    elif role == Role.OFFICER and scope.province_ids:
        province = Province.objects.get(id=min(scope.province_ids))
        context["province"] = province
        context["totals"] = network_totals(province.id)
    elif role in (Role.DONOR, Role.ADMIN):
        context["totals"] = network_totals()
    return render(request, "home/home.html", context)


@login_required
@never_cache
def forms_received(request: AuthedRequest) -> JsonResponse:
    """Which of these forms (their ``client_id``, up to 50) the server already holds from the
    signed-in person: a consultation she asked, or a patient she registered. The browser asks
    before it sends a form it kept (core/static/core/drafts.js), so a form whose answer was lost
    with the link is not sent, photos and all, a second time. A consultation saved as a draft
    does not count (the kept form may be the one that sends it). Answers ids only."""
    wanted: list[uuid.UUID] = []
    for value in request.GET.getlist("id")[:50]:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    received = {
        # A consultation still in draft is not what a kept form asks the server to do.
        *Consultation.objects.filter(requester=request.user, client_id__in=wanted)
        .exclude(status=Status.DRAFT)
        .values_list("client_id", flat=True),
        *Patient.objects.filter(registered_by=request.user, client_id__in=wanted).values_list(
            "client_id", flat=True
        ),
    }
    return JsonResponse({"received": sorted(str(c) for c in received if c)})
