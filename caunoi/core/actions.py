"""The one way a page runs a guarded action: a button that POSTs a step on one object, whose
service may refuse. The service keeps the step atomic, idempotent and audited; this only loads
the object (404), runs the step and speaks for it — the success message, or the refusal as an
error message and never a 500 — and goes back to the object's page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


class _Page(Protocol):
    def get_absolute_url(self) -> str: ...


def run_guarded(request: HttpRequest, run: Callable[[], str | None], to: str) -> HttpResponse:
    """Run one step a person asked for from a page and go back to ``to``: what the step answers
    is shown as a success message (nothing when it answers ``None``); a refusal by the service
    (``PermissionDenied``, ``ValidationError``) is shown as an error message, never a 500. The
    service itself keeps the step atomic, idempotent and audited; this only speaks for it."""
    try:
        done = run()
    except (PermissionDenied, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        if done:
            messages.success(request, done)
    return redirect(to)


def show_refusal(request: HttpRequest, exc: PermissionDenied | ValidationError) -> None:
    """A service's refusal, as the error message the next page shows."""
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc) or _("You cannot do this."))


def guarded_action[M: _Page](
    load: Callable[[Any, str], M],
) -> Callable[[Callable[..., str | None]], Callable[..., HttpResponse]]:
    """A page's action on one object (a button that POSTs): the view loads the object through
    its access helper (``load(user, public_id)``, 404 when not theirs), runs the decorated step
    with it, and redirects to the object's page with the step's message or its refusal::

        @login_required
        @require_POST
        @guarded_action(access_consultation)
        def consult_claim(request: AuthedRequest, c: Consultation) -> str | None:
            consultation_claim(consultation=c, actor=request.user, origin=origin_of(request))
            return _("You took this consultation.")

    Other URL parameters reach the step as keyword arguments. A form that does not validate
    raises ``ValidationError`` (its messages are shown) or answers ``None`` (nothing shown)."""

    def decorate(step: Callable[..., str | None]) -> Callable[..., HttpResponse]:
        @wraps(step)
        def view(request: HttpRequest, public_id: str, **kwargs: Any) -> HttpResponse:
            obj = load(request.user, public_id)
            return run_guarded(
                request, lambda: step(request, obj, **kwargs), obj.get_absolute_url()
            )

        return view

    return decorate


def show_on_form(form: Any, exc: ValidationError) -> None:
    """A service's refusal on the form the person filled in: each message under its field
    when the form has that field, the others (and a refusal without fields) at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
