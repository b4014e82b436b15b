from django.urls import path

from caunoi.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read, name="read"),
    path("channels/", views.notification_channels, name="channels"),
    path("channels/push/", views.push_subscription, name="push"),
]
