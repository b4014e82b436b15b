from django.urls import path

from caunoi.protocols import views

app_name = "protocols"

urlpatterns = [
    path("", views.protocol_list_view, name="list"),
    path("new/", views.protocol_new, name="new"),
    path("<uuid:public_id>/", views.protocol_detail, name="detail"),
    path("<uuid:public_id>/read/", views.acknowledge_view, name="acknowledge"),
    path("<uuid:public_id>/new-version/", views.version_new, name="version_new"),
    path("<uuid:public_id>/v<int:number>/", views.version_detail, name="version"),
    path("<uuid:public_id>/v<int:number>.pdf", views.version_document, name="document"),
]
