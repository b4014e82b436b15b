from django.urls import path

from caunoi.consults import views

app_name = "consults"

urlpatterns = [
    path("", views.consult_list, name="list"),
    path("new/", views.consult_form, name="new"),
    path("icd/", views.icd_search, name="icd"),
    path("roster/", views.oncall_roster, name="roster"),
    path("pending/<uuid:pending_id>/thumb/", views.pending_thumbnail, name="pending_thumb"),
    path("<uuid:public_id>/", views.consult_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.consult_form, name="edit"),
    path("<uuid:public_id>/message/", views.consult_message, name="message"),
    path("<uuid:public_id>/attach/", views.consult_attach, name="attach"),
    path("<uuid:public_id>/advice/", views.consult_advice, name="advice"),
    path("<uuid:public_id>/close/", views.consult_close, name="close"),
    path("<uuid:public_id>/claim/", views.consult_claim, name="claim"),
    path("<uuid:public_id>/cancel/", views.consult_cancel, name="cancel"),
    path("<uuid:public_id>/assign/", views.consult_assign, name="assign"),
    path("<uuid:public_id>/reroute/", views.consult_reroute, name="reroute"),
    path("<uuid:public_id>/invite/", views.consult_invite, name="invite"),
    path("<uuid:public_id>/minutes.pdf", views.consult_minutes, name="minutes"),
    path("<uuid:public_id>/files/<uuid:attachment_id>/", views.attachment_file, name="file"),
    path(
        "<uuid:public_id>/files/<uuid:attachment_id>/thumb/",
        views.attachment_file,
        {"variant": "thumb"},
        name="thumb",
    ),
]
