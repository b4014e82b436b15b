from django.urls import path

from caunoi.network import views

app_name = "network"

urlpatterns = [
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/<uuid:public_id>/", views.facility_detail, name="facility"),
    path("provinces/", views.province_list, name="provinces"),
    path("provinces/<int:code>/", views.province_detail, name="province"),
]
