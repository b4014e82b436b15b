from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from caunoi.accounts.access import access_own_token
from caunoi.accounts.forms import TokenCreateForm
from caunoi.accounts.models import ApiToken
from caunoi.accounts.services import api_token_create, api_token_revoke, user_set_language
from caunoi.core.http import AuthedRequest
from caunoi.network.access import user_scope


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
                request=request,
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
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, public_id: str) -> HttpResponse:
    token = access_own_token(request.user, public_id)
    if api_token_revoke(token=token, actor=request.user, request=request):
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
