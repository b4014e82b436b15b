from django.urls import path

from caunoi.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dhis2/push/", views.dhis2_send, name="dhis2_push"),
]
