"""Signing in and out, passwords and the second factor, under /accounts/ (no namespace:
Django's own password views reverse these names)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from caunoi.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("draft-key/", views.draft_key, name="draft_key"),
    path("draft-key/<uuid:public_id>/", views.draft_key, name="draft_key_earlier"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/codes/", views.two_factor_codes, name="two_factor_codes"),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
]
