from django.urls import path

from caunoi.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<uuid:public_id>/", views.programme_detail, name="detail"),
    path("<uuid:public_id>/iati.xml", views.programme_iati, name="iati"),
]
