from django.urls import path

from caunoi.video import views

app_name = "video"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("janus/events/", views.janus_events, name="janus_events"),
    path("new/", views.session_new, name="new"),
    path("<uuid:public_id>/", views.room, name="room"),
    path("<uuid:public_id>/invite.ics", views.invite_ics, name="ics"),
    path("<uuid:public_id>/remove/", views.remove_participant, name="remove"),
    path("<uuid:public_id>/end/", views.end_session, name="end"),
    path(
        "<uuid:public_id>/recordings/<uuid:file_id>.webm",
        views.recording_play,
        name="recording",
    ),
]
