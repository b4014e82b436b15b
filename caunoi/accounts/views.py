from __future__ import annotations

import base64
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.access import access_own_token
from caunoi.accounts.forms import (
    CodeForm,
    LocalisedPasswordResetForm,
    LoginForm,
    PasswordConfirmForm,
    TokenCreateForm,
)
from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import ApiToken, DraftKey, User
from caunoi.accounts.services import (
    api_token_create,
    api_token_revoke,
    draft_key_hand_out,
    draft_key_issue,
    session_digest,
    two_factor_enrol_confirm,
    two_factor_enrol_start,
    two_factor_recovery_codes_renew,
    two_factor_wait_seconds,
    user_password_set,
    user_set_language,
)
from caunoi.accounts.services import two_factor_disable as two_factor_disable_service
from caunoi.accounts.services import two_factor_verify as two_factor_verify_service
from caunoi.accounts.throttle import known_browser_remember
from caunoi.accounts.two_factor import (
    totp_qr_data_uri,
    totp_secret,
    two_factor_required,
    two_factor_state_store,
)
from caunoi.audit.origin import origin_of
from caunoi.network.access import user_scope

CODES_SESSION_KEY = "caunoi_recovery_codes"
CODES_NEXT_SESSION_KEY = "caunoi_recovery_codes_next"


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    form = TokenCreateForm()
    new_token = None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            _token, new_token = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                actor=request.user,
                origin=origin_of(request),
            )
            messages.success(request, _("Token created. Copy it now: it will not be shown again."))
            form = TokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "scope": user_scope(request.user),
            "two_factor_on": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, public_id: str) -> HttpResponse:
    token = access_own_token(request.user, public_id)
    if api_token_revoke(token=token, actor=request.user, origin=origin_of(request)):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    else:
        messages.info(request, _("That token was already revoked."))
    return redirect("profile")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language, which remembers the choice in a cookie, plus the person's
    account, so the choice follows them to another computer."""
    language = request.POST.get("language", "")
    response = set_language(request)
    if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
        user_set_language(user=request.user, language=language, actor=request.user)
    if not isinstance(response, HttpResponseRedirect):
        return response
    target = response.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(reverse("home"))
    return response


# --- signing in, passwords ------------------------------------------------------------------


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers while a username is locked out from this address."""
    minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))
    return render(request, "accounts/locked_out.html", {"lockout_minutes": minutes}, status=429)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        known_browser_remember(self.request, response, form.get_user().get_username())
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalisedPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form: LocalisedPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        # Links in e-mails point at the configured address, never at the Host header. Unknown
        # addresses get the same answer as known ones (Django sends nothing for them).
        self.extra_email_context = {
            "site_url": settings.SITE_URL.rstrip("/"),
            "reset_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        user = form.user
        user_password_set(
            user=user,
            password=form.cleaned_data["new_password1"],
            actor=user,
            how="reset",
            origin=origin_of(self.request),
        )
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        response = HttpResponseRedirect(self.get_success_url())
        # Getting the e-mail proves this is the owner: their browser is not slowed down.
        known_browser_remember(self.request, response, user.get_username())
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    request: AuthedRequest  # Django's view requires a signed-in user (login_required dispatch)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user_password_set(
            user=form.user,
            password=form.cleaned_data["new_password1"],
            actor=self.request.user,
            how="change",
            origin=origin_of(self.request),
        )
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


# --- two-factor sign-in ---------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@login_required
def two_factor(request: AuthedRequest) -> HttpResponse:
    """Where a person sees and manages their second factor."""
    totp = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    recovery_left = StaticToken.objects.filter(
        device__user=request.user, device__confirmed=True
    ).count()
    return render(
        request,
        "accounts/two_factor.html",
        {
            "totp": totp,
            "recovery_left": recovery_left,
            "required": two_factor_required(request.user),
            "form": PasswordConfirmForm(user=request.user),
        },
    )


@login_required
def two_factor_enrol(request: AuthedRequest) -> HttpResponse:
    if user_has_device(request.user, confirmed=True):
        # Someone who has only given the password must not add an app of their own.
        if not request.user.is_verified():  # type: ignore[attr-defined]
            return redirect_to_login(
                _next_url(request),
                login_url=reverse("two_factor_verify"),
                redirect_field_name="next",
            )
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            messages.info(request, _("Two-factor sign-in is already set up."))
            return redirect("two_factor")
    device = two_factor_enrol_start(user=request.user)
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            confirmed = two_factor_enrol_confirm(
                user=request.user, token=form.cleaned_data["code"], origin=origin_of(request)
            )
            if confirmed is not None:
                device, codes = confirmed
                # This session counts as verified from now on.
                otp_login(request, device)
                two_factor_state_store(request.session, request.user)
                request.session[CODES_SESSION_KEY] = codes
                request.session[CODES_NEXT_SESSION_KEY] = _next_url(request)
                return redirect("two_factor_codes")
            form.add_error(
                "code",
                _(
                    "That code is not right. Check the time on your phone and enter the newest code."
                ),
            )
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": totp_qr_data_uri(device),
            "secret": totp_secret(device),
            "required": two_factor_required(request.user),
            "next": _next_url(request),
        },
        status=200 if not form.errors else 400,
    )


@login_required
def two_factor_verify(request: AuthedRequest) -> HttpResponse:
    if request.user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() and not (
        StaticToken.objects.filter(device__user=request.user).exists()
    ):
        return redirect("two_factor_enrol")
    form = CodeForm()
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            # Refused unchecked while django-otp makes wrong codes wait (1, 2, 4 … seconds).
            wait = two_factor_wait_seconds(user=request.user)
            device = None
            if not wait:
                device = two_factor_verify_service(
                    user=request.user, token=form.cleaned_data["code"], origin=origin_of(request)
                )
            if device is not None:
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = StaticToken.objects.filter(device=device).count()
                    messages.warning(
                        request,
                        ngettext(
                            "You used a recovery code; %(count)d is left. Make new ones on your two-factor page.",
                            "You used a recovery code; %(count)d are left. Make new ones on your two-factor page.",
                            left,
                        )
                        % {"count": left},
                    )
                return redirect(_next_url(request))
            if wait:
                form.add_error(
                    "code",
                    ngettext(
                        "Too many wrong codes. Wait %(seconds)d second and try again.",
                        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
                        wait,
                    )
                    % {"seconds": wait},
                )
            else:
                form.add_error("code", _("That code is not right."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=200 if not form.errors else 400,
    )


@login_required
def two_factor_codes(request: AuthedRequest) -> HttpResponse:
    """Recovery codes, shown once: right after enrolment or after asking for new ones."""
    if request.method == "POST":
        form = PasswordConfirmForm(request.POST, user=request.user)
        if form.is_valid():
            request.session[CODES_SESSION_KEY] = two_factor_recovery_codes_renew(
                user=request.user, actor=request.user, origin=origin_of(request)
            )
            request.session[CODES_NEXT_SESSION_KEY] = reverse("two_factor")
            return redirect("two_factor_codes")
        messages.error(request, _("That is not your password. Nothing was changed."))
        return redirect("two_factor")
    codes = request.session.pop(CODES_SESSION_KEY, None)
    next_url = request.session.pop(CODES_NEXT_SESSION_KEY, None) or reverse("two_factor")
    if not codes:
        return redirect("two_factor")
    return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": next_url})


@login_required
@require_POST
def two_factor_disable(request: AuthedRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("That is not your password. Nothing was changed."))
        return redirect("two_factor")
    if two_factor_disable_service(user=request.user, actor=request.user, origin=origin_of(request)):
        two_factor_state_store(request.session, request.user)
        messages.success(request, _("Two-factor sign-in is turned off for your account."))
    return redirect("two_factor")


DRAFT_KEY_CURRENT = "caunoi_draft_key"


@login_required
@never_cache
def draft_key(request: AuthedRequest, public_id: uuid.UUID | None = None) -> HttpResponse:
    """The key this browser encrypts the forms it keeps unsent with (README: "Forms kept on this
    device"), with a CSRF token for sending them. POST: this session's key, made at the first
    ask. GET with an id: a key of the signed-in person made earlier (her forms from a session
    that ended without signing out); somebody else's key is 404. Signing out destroys every key
    the session asked for (accounts.signals)."""
    session = session_digest(request.session.session_key)
    key: DraftKey | None
    if public_id is None:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        current = request.session.get(DRAFT_KEY_CURRENT, "")
        key = (
            draft_key_hand_out(
                user=request.user, public_id=current, session=session, origin=origin_of(request)
            )
            if current
            else None
        )
        if key is None:
            key = draft_key_issue(user=request.user, session=session, origin=origin_of(request))
            request.session[DRAFT_KEY_CURRENT] = str(key.public_id)
    else:
        key = draft_key_hand_out(
            user=request.user, public_id=str(public_id), session=session, origin=origin_of(request)
        )
        if key is None:
            raise Http404
    secret = base64.urlsafe_b64encode(bytes(key.secret)).decode().rstrip("=")
    return JsonResponse({"id": str(key.public_id), "key": secret, "csrf": get_token(request)})
