from django.urls import path

from caunoi.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.quality_home, name="home"),
    path("start/", views.quality_start, name="start"),
    path("<uuid:public_id>/", views.assessment_detail, name="detail"),
    path("<uuid:public_id>/evidence/<str:code>/", views.evidence_file, name="evidence"),
    path(
        "<uuid:public_id>/actions/<uuid:action_id>/done/",
        views.action_done_view,
        name="action_done",
    ),
    path("<uuid:public_id>/<slug:step>/", views.step_view, name="step"),
]
