from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.codes.models import IcdCode, TitleSource
from caunoi.consults.access import (
    access_consultation,
    access_pending_upload,
    consult_permissions,
    pending_uploads_for,
)
from caunoi.consults.forms import (
    AdviceForm,
    AssignForm,
    CloseForm,
    ConsultationForm,
    InviteForm,
    MessageForm,
    OnCallForm,
    RerouteForm,
    uploads_from,
)
from caunoi.consults.minutes import minutes_pdf
from caunoi.consults.models import (
    Attachment,
    Consultation,
    Message,
    OnCallShift,
    Status,
    Urgency,
)
from caunoi.consults.queue_cache import cached_rows, keep_rows, queue_cache_key
from caunoi.consults.selectors import QUEUES, READ_PURPOSE, queue, queues_for
from caunoi.consults.services import (
    ConsultationInput,
    advice_record,
    attachments_add,
    citable_protocols,
    consultation_assign,
    consultation_cancel,
    consultation_claim,
    consultation_close,
    consultation_reroute,
    consultation_submit,
    message_post,
    oncall_shift_add,
    oncall_shift_remove,
    pending_uploads_discard,
    pending_uploads_keep,
    second_opinion_invite,
)
from caunoi.core.access import get_or_404
from caunoi.core.actions import guarded_action, show_on_form
from caunoi.network.access import user_scope
from caunoi.network.models import Facility
from caunoi.patients.access import access_patient
from caunoi.patients.reads import reads_note
from caunoi.triage import present as triage_present


@login_required
def consult_list(request: AuthedRequest) -> HttpResponse:
    available = queues_for(request.user)
    if not available:
        raise Http404
    name = request.GET.get("queue") or available[0]
    if name not in available:
        name = available[0]
    number = _page_number(request.GET.get("page"))
    key = queue_cache_key(scope=user_scope(request.user), name=name, page=number)
    kept = cached_rows(key) if key else None
    if kept is not None:
        # Shown without a query: still a read of these patients (the read audit).
        reads_note(Consultation, kept.consult_ids, purpose=READ_PURPOSE)
        rows = kept.html
    else:
        rows_of = queue(request.user, name)
        page = Paginator(rows_of, settings.PAGE_SIZE).get_page(number)  # type: ignore[arg-type]  # a WorkList is sliced, never iterated whole
        consults = list(page.object_list)
        # Rendered without the request: nothing of the viewer beyond the key gets in.
        rows = render_to_string(
            "consults/_queue.html",
            {"consults": consults, "page": page, "query": f"queue={name}"},
        )
        if key:
            keep_rows(
                key,
                html=rows,
                consult_ids=[c.pk for c in consults],
                deadlines=[
                    c.deadline_at
                    for c in consults
                    if c.deadline_at and c.first_response_at is None and c.is_open
                ],
            )
    template = "consults/consult_list.html"
    if request.headers.get("HX-Target") == "queue":
        template += "#queue"
    return render(
        request,
        template,
        {
            "queues": [(q, QUEUES[q]) for q in available],
            "current": name,
            "rows": mark_safe(rows),  # noqa: S308 (our own template's output)
        },
    )


def _page_number(value: str | None) -> int:
    """The page asked for; anything else is the first (as Paginator.get_page would have it)."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if 0 < number < 1_000_000 else 1


@login_required
def consult_form(request: AuthedRequest, public_id: str | None = None) -> HttpResponse:
    """New consultation, or edit a draft. The form carries a client id: sending it twice (a
    double click, a retry after the connection dropped) saves one consultation. Files sent with
    a form that comes back with an error are kept for it (README: "Files of a form sent back"),
    shown on the form, and attached when it is saved or sent."""
    draft: Consultation | None = None
    if public_id is not None:
        draft = access_consultation(request.user, public_id)
        if not consult_permissions(request.user, draft).can_edit_draft:
            return redirect(draft.get_absolute_url())
        patient = draft.patient
    else:
        patient = access_patient(
            request.user, request.GET.get("patient") or request.POST.get("patient") or ""
        )
    if patient.facility_id not in user_scope(request.user).facility_ids:
        raise Http404
    client_id = draft.client_id if draft else _uuid(request.POST.get("client_id"))
    if request.method == "POST":
        files = [f for f in request.FILES.getlist("attachments") if f]
        keep = bool(files) and client_id is not None
        if client_id is not None and request.POST.getlist("remove_pending"):
            pending_uploads_discard(
                actor=request.user,
                client_id=client_id,
                public_ids=request.POST.getlist("remove_pending"),
                origin=origin_of(request),
            )
        form = ConsultationForm(
            request.POST, request.FILES, instance=draft, facility=patient.facility, patient=patient
        )
        if form.is_valid():
            d = form.cleaned_data
            summary = {
                name: d.get(name)
                for name in ConsultationForm.Meta.fields
                if name not in ("specialty", "urgency", "urgency_reason", "consciousness")
            }
            data = ConsultationInput(
                patient=patient,
                specialty=d["specialty"],
                urgency=d["urgency"],
                summary=summary,
                uploads=uploads_from(d["attachments"]),
                consciousness=d.get("consciousness") or "",
                signs_found=list(d.get("signs_found") or []),
                urgency_reason=d.get("urgency_reason") or "",
            )
            submit = "submit" in request.POST
            try:
                consult, _created = consultation_submit(
                    actor=request.user,
                    client_id=d["client_id"],
                    data=data,
                    submit=submit,
                    origin=origin_of(request),
                )
            except ValidationError as exc:
                # Files sent now are kept below, each with its own verdict.
                show_on_form(form, _without(exc, "attachments") if keep else exc)
            else:
                if consult.status == Status.DRAFT:
                    messages.success(request, _("Draft saved."))
                    return redirect("consults:edit", public_id=consult.public_id)
                messages.success(
                    request,
                    _("Sent to %(hub)s. An answer is due by %(deadline)s.")
                    % {
                        "hub": consult.hub.name if consult.hub else "",
                        "deadline": _local(consult.deadline_at),
                    },
                )
                return redirect(consult.get_absolute_url())
        # The form comes back: keep what it carried, so the files need not travel again.
        if keep and client_id is not None:
            _kept, refused = pending_uploads_keep(
                actor=request.user,
                patient=patient,
                client_id=client_id,
                uploads=uploads_from(files),
                origin=origin_of(request),
            )
            form.errors.pop("attachments", None)
            for message in refused:
                form.add_error("attachments", message)
    else:
        form = ConsultationForm(
            instance=draft,
            facility=patient.facility,
            patient=patient,
            initial={"client_id": draft.client_id if draft else uuid.uuid4()},
        )
    pending = list(pending_uploads_for(request.user, client_id)) if client_id else []
    return render(
        request,
        "consults/consult_form.html",
        {
            "form": form,
            "patient": patient,
            "draft": draft,
            "pending": pending,
            "upload_text": _upload_text(),
            "no_id": uuid.UUID(int=0),
            "age_months": form.age_months,
            "triage_text": _triage_text(),
            "triage_notice": triage_present.NOTICE,
        },
    )


def _triage_text() -> dict[str, object]:
    """What static/triage/form.js says as it checks the danger signs live."""
    return {
        "lang": "en" if (get_language() or "vi").startswith("en") else "vi",
        "urgency": {u.value: str(u.label) for u in Urgency},
        "none": _("No danger sign among those checked."),
        "found": _("Danger signs found:"),
        "implies": _("They call for: %(urgency)s."),
        "raised": _("The urgency was raised to “%(urgency)s” because of the danger signs."),
        "meanwhile": _("While you wait for the answer:"),
        "score": _("%(name)s: %(total)s points"),
        "partial": _("%(name)s: at least %(total)s points (not every measurement is in)"),
        "missing": _("Would help the check: %(names)s."),
        "reason": _(
            "You chose less urgent than the signs imply: write why below; the specialist reads it."
        ),
    }


def _upload_text() -> dict[str, str]:
    """What upload.js says while it sends the chosen files in resumable pieces (tus)."""
    return {
        "sending": _("Sending %(name)s: %(percent)s %%"),
        "resuming": _("The link dropped: %(name)s will go on from where it stopped."),
        "paused": _(
            "No connection: %(name)s goes on from where it stopped when the link is back. You "
            "may send the form now: it is kept on this device with the file."
        ),
        "received": _("%(name)s has reached the server."),
        "failed": _("%(name)s could not be sent ahead (%(reason)s): it will go with the form."),
        "kept": _(
            "These files have reached the server and are kept for this form: they are attached "
            "when you save or send it. Tick “Remove” to leave one out."
        ),
        "remove": _("Remove"),
    }


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _without(exc: ValidationError, field: str) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({k: v for k, v in exc.error_dict.items() if k != field})


@login_required
def pending_thumbnail(request: AuthedRequest, pending_id: str) -> FileResponse:
    """The small picture of a file kept for the user's own form, behind the same kind of check
    as an attachment's."""
    p = access_pending_upload(request.user, pending_id)
    if not p.thumbnail:
        raise Http404
    response = FileResponse(p.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


@login_required
def consult_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    c = access_consultation(request.user, public_id)
    perms = consult_permissions(request.user, c)
    if perms.can_edit_draft:
        return redirect("consults:edit", public_id=c.public_id)
    thread = list(
        Message.objects.filter(consultation=c)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    context: dict[str, Any] = {
        "c": c,
        "perms": perms,
        "thread": thread,
        "attachments": [a for a in c.attachments.all() if a.message_id is None],
        "events": c.events.select_related("actor"),
        "diagnoses": c.diagnoses.all(),
        "participants": c.participants.active().select_related("user"),
        "message_form": MessageForm(initial={"client_id": uuid.uuid4()}),
    }
    context["cited"] = list(c.cited_protocols.select_related("protocol"))
    context["danger_signs"] = triage_present.signs_out(c.triage_signs)
    if perms.can_advise:
        context["advice_form"] = AdviceForm(
            protocols=_protocol_choices(c),
            initial={
                "advice": c.advice,
                "outcome": c.recommended_outcome,
                "diagnoses": ", ".join(d.code for d in context["diagnoses"]),
                "protocols": [str(v.public_id) for v in context["cited"]],
            },
        )
    if perms.can_close:
        context["close_form"] = CloseForm()
    if perms.can_assign and c.hub_id:
        context["assign_form"] = AssignForm(hub_id=c.hub_id, specialty_id=c.specialty_id)
    if perms.can_reroute:
        context["reroute_form"] = RerouteForm(
            initial={"hub": c.hub_id, "specialty": c.specialty_id}
        )
    if perms.can_invite:
        exclude = [c.requester_id, *(p.user_id for p in context["participants"])]
        if c.specialist_id:
            exclude.append(c.specialist_id)
        context["invite_form"] = InviteForm(exclude_ids=exclude)
    template = "consults/consult_detail.html"
    target = request.headers.get("HX-Target")
    if target in ("consult-live", "consult-actions"):
        template += "#" + target.replace("consult-", "")
    return render(request, template, context)


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_message(request: AuthedRequest, c: Consultation) -> str | None:
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError(
            _("The message could not be sent: %(errors)s") % {"errors": form.errors.as_text()}
        )
    d = form.cleaned_data
    parent = (
        Message.objects.filter(consultation=c, public_id=d["parent"]).first()
        if d["parent"]
        else None
    )
    message_post(
        consultation=c,
        actor=request.user,
        body=d["body"],
        parent=parent,
        uploads=uploads_from(d["attachments"]),
        client_id=d["client_id"],
        origin=origin_of(request),
    )
    return None


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_attach(request: AuthedRequest, c: Consultation) -> str | None:
    form = MessageForm(request.POST, request.FILES)
    files = form.fields["attachments"].clean(request.FILES.getlist("attachments"))
    attachments_add(
        consultation=c, actor=request.user, uploads=uploads_from(files), origin=origin_of(request)
    )
    return _("Files added.")


def _protocol_choices(c: Consultation) -> list[tuple[str, str]]:
    return [
        (str(v.public_id), f"{v.protocol.title_vi} (v{v.number})")
        for v in citable_protocols(c)[:30]
    ]


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_advice(request: AuthedRequest, c: Consultation) -> str | None:
    form = AdviceForm(request.POST, protocols=_protocol_choices(c))
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    d = form.cleaned_data
    advice_record(
        consultation=c,
        actor=request.user,
        advice=d["advice"],
        outcome=d["outcome"],
        diagnoses=d["diagnoses"],
        protocols=list(citable_protocols(c).filter(public_id__in=d["protocols"])),
        origin=origin_of(request),
    )
    return _("Advice sent to the requesting station.")


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_close(request: AuthedRequest, c: Consultation) -> str | None:
    form = CloseForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Write what was done for the patient."))
    consultation_close(
        consultation=c,
        actor=request.user,
        action_taken=form.cleaned_data["action_taken"],
        origin=origin_of(request),
    )
    return _("Consultation closed. The minutes can be downloaded.")


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_claim(request: AuthedRequest, c: Consultation) -> str | None:
    consultation_claim(consultation=c, actor=request.user, origin=origin_of(request))
    return _("You took this consultation.")


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_cancel(request: AuthedRequest, c: Consultation) -> str | None:
    consultation_cancel(consultation=c, actor=request.user, origin=origin_of(request))
    return _("Consultation cancelled.")


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_assign(request: AuthedRequest, c: Consultation) -> str | None:
    form = AssignForm(request.POST, hub_id=c.hub_id or 0, specialty_id=c.specialty_id)
    if not form.is_valid():
        raise ValidationError(_("Choose a specialist of this hub."))
    consultation_assign(
        consultation=c,
        actor=request.user,
        specialist=form.cleaned_data["specialist"],
        origin=origin_of(request),
    )
    return _("Assigned to %(name)s.") % {"name": form.cleaned_data["specialist"].full_name}


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_reroute(request: AuthedRequest, c: Consultation) -> str | None:
    form = RerouteForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("Choose a hub and a specialty."))
    consultation_reroute(
        consultation=c,
        actor=request.user,
        hub=form.cleaned_data["hub"],
        specialty=form.cleaned_data["specialty"],
        origin=origin_of(request),
    )
    return _("Re-routed to %(hub)s.") % {"hub": form.cleaned_data["hub"].name}


@login_required
@require_POST
@guarded_action(access_consultation)
def consult_invite(request: AuthedRequest, c: Consultation) -> str | None:
    form = InviteForm(request.POST, exclude_ids=[])
    if not form.is_valid():
        raise ValidationError(_("Choose a colleague."))
    second_opinion_invite(
        consultation=c,
        actor=request.user,
        invitee=form.cleaned_data["invitee"],
        origin=origin_of(request),
    )
    return _("%(name)s was invited for a second opinion.") % {
        "name": form.cleaned_data["invitee"].full_name
    }


@login_required
def attachment_file(
    request: AuthedRequest, public_id: str, attachment_id: str, variant: str = "file"
) -> FileResponse:
    """Attachments are served only after the consult's access check, never from a public URL."""
    c = access_consultation(request.user, public_id)
    a = get_object_or_404(Attachment, consultation=c, public_id=attachment_id)
    field = a.thumbnail if variant == "thumb" and a.thumbnail else a.file
    response = FileResponse(
        field.open("rb"), content_type="image/jpeg" if variant == "thumb" else a.content_type
    )
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = (
        "inline" if a.kind == "image" else f'inline; filename="{a.sha256[:12]}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def consult_minutes(request: AuthedRequest, public_id: str) -> HttpResponse:
    c = access_consultation(request.user, public_id)
    if c.status != Status.CLOSED:
        raise Http404
    pdf = minutes_pdf(c)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="bien-ban-hoi-chan-{str(c.public_id)[:8]}.pdf"'
    )
    return response


@login_required
def icd_search(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:60]
    codes = list(IcdCode.objects.search(q)[:20]) if len(q.strip()) >= 2 else []
    # Say so when a Vietnamese title shown is the project's translation, not the Ministry's.
    unofficial = any(
        c.title_vi_source == TitleSource.CAUNOI and c.title_lang == "vi" for c in codes
    )
    return render(
        request, "consults/_icd_results.html", {"codes": codes, "q": q, "unofficial": unofficial}
    )


@login_required
def oncall_roster(request: AuthedRequest) -> HttpResponse:
    """The coordinator's on-call roster for their hub: who is called when a deadline passes."""
    hubs = sorted(user_scope(request.user).coordinator_hub_ids)
    if not hubs:
        raise Http404
    hub = Facility.objects.get(pk=hubs[0])
    form = OnCallForm(request.POST or None, hub_id=hub.pk)
    if request.method == "POST":
        if "remove" in request.POST:
            shift = get_or_404(OnCallShift.objects.filter(hub=hub), pk=request.POST.get("remove"))
            oncall_shift_remove(actor=request.user, shift=shift, origin=origin_of(request))
            messages.success(request, _("Shift removed."))
            return redirect("consults:roster")
        if form.is_valid():
            d = form.cleaned_data
            try:
                oncall_shift_add(
                    actor=request.user,
                    hub=hub,
                    user=d["user"],
                    specialty=d["specialty"],
                    starts_at=d["starts_at"],
                    ends_at=d["ends_at"],
                    origin=origin_of(request),
                )
            except ValidationError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("Shift added."))
                return redirect("consults:roster")
    shifts = (
        OnCallShift.objects.filter(hub=hub, ends_at__gte=timezone.now())
        .select_related("user", "specialty")
        .order_by("starts_at")
    )
    return render(request, "consults/roster.html", {"hub": hub, "shifts": shifts, "form": form})
