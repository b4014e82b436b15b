from django.urls import path

from caunoi.transfers import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list_view, name="list"),
    path("new/", views.transfer_new, name="new"),
    path("<uuid:public_id>/", views.transfer_detail, name="detail"),
    path("<uuid:public_id>/agreement.pdf", views.agreement_file, name="agreement"),
    path("<uuid:public_id>/<slug:step>/", views.step_view, name="step"),
]
