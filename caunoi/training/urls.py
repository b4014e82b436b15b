from django.urls import path

from caunoi.training import views

app_name = "training"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("ledger/", views.ledger, name="ledger"),
    path("courses/<uuid:public_id>/", views.course_detail, name="course"),
    path("courses/<uuid:public_id>/enrol/", views.course_enrol_view, name="enrol"),
    path("courses/<uuid:public_id>/cancel/", views.enrolment_cancel_view, name="cancel"),
]
