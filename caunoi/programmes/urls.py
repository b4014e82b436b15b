from django.urls import path

from caunoi.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<uuid:public_id>/", views.programme_detail, name="detail"),
    path("<uuid:public_id>/iati.xml", views.programme_iati, name="iati"),
    path("<uuid:public_id>/logframe/", views.programme_logframe, name="logframe"),
    path("<uuid:public_id>/kits/", views.programme_kits, name="kits"),
    path("<uuid:public_id>/report/", views.programme_report, name="report"),
    path("<uuid:public_id>/do/<str:step>/", views.programme_step, name="step"),
    path("<uuid:public_id>/documents/<uuid:document_id>/", views.document_file, name="document"),
    path("<uuid:public_id>/evidence/<int:actual_id>/", views.evidence_file, name="evidence"),
]
