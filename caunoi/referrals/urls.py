from django.urls import path

from caunoi.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("<uuid:public_id>/", views.referral_detail, name="detail"),
    path("<uuid:public_id>/slip.pdf", views.referral_slip, name="slip"),
    path(
        "<uuid:public_id>/counter-referral.pdf",
        views.referral_counter_pdf,
        name="counter_pdf",
    ),
    path("<uuid:public_id>/<slug:step>/", views.referral_step, name="step"),
]
