from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from caunoi.accounts.models import User


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_('What the token is for, e.g. "DHIS2 sync script".'),
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name


class LoginForm(AuthenticationForm):
    """Django's log-in form; an attempt refused by the per-username slow-down says how long
    to wait (the same for every username, existing or not, so it reveals nothing)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # One answer for an unknown username, a wrong password and an inactive account.
        "invalid_login": _("Your username and password didn't match. Please try again."),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            wait = int(getattr(self.request, "login_throttle_wait", 0) or 0)
            if wait:
                raise forms.ValidationError(
                    ngettext(
                        "Too many failed log-ins for this account. Wait %(seconds)d second and try again, or reset your password.",
                        "Too many failed log-ins for this account. Wait %(seconds)d seconds and try again, or reset your password.",
                        wait,
                    )
                    % {"seconds": wait},
                    code="throttled",
                ) from None
            raise


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form; the e-mail is written in the language the person chose."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class PasswordConfirmForm(forms.Form):
    """Asks for the account's password again before a change that an unattended computer
    must not allow (new recovery codes, turning two-factor sign-in off)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password
