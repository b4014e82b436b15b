from django.urls import path

from caunoi.training import views

app_name = "training"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("ledger/", views.ledger, name="ledger"),
    path("compliance/", views.compliance, name="compliance"),
    path("staff/", views.staff, name="staff"),
    path("staff/<uuid:public_id>/", views.staff_ledger, name="staff_ledger"),
    path("declarations/<uuid:public_id>/evidence/", views.declaration_evidence, name="evidence"),
    path("declarations/<uuid:public_id>/check/", views.declaration_check_view, name="check"),
    path("courses/<uuid:public_id>/", views.course_detail, name="course"),
    path("courses/<uuid:public_id>/enrol/", views.course_enrol_view, name="enrol"),
    path("courses/<uuid:public_id>/cancel/", views.enrolment_cancel_view, name="cancel"),
    path("courses/<uuid:public_id>/nominate/", views.course_nominate_view, name="nominate"),
    path("courses/<uuid:public_id>/materials/", views.material_add_view, name="material_add"),
    path("courses/<uuid:public_id>/test/edit/", views.course_test_edit, name="test_edit"),
    path("courses/<uuid:public_id>/test/<str:kind>/", views.course_test, name="test"),
    path("materials/<uuid:public_id>/", views.material_open, name="material"),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:public_id>/compute/", views.session_compute_view, name="compute"),
    path("sessions/<uuid:public_id>/room/open/", views.session_room_open_view, name="room_open"),
    path("sessions/<uuid:public_id>/room/", views.session_room_enter_view, name="room_enter"),
    path(
        "sessions/<uuid:public_id>/attendance/<int:attendance_id>/",
        views.attendance_correct_view,
        name="correct",
    ),
    path("sessions/<uuid:public_id>/check-in/", views.check_in, name="check_in"),
    path("sessions/<uuid:public_id>/evaluate/", views.session_evaluate_view, name="evaluate"),
    path("sessions/<uuid:public_id>/cases/", views.session_case_add_view, name="session_case"),
    path("cases/", views.case_list, name="cases"),
    path("cases/propose/<uuid:public_id>/", views.case_propose, name="case_propose"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/review/", views.case_review, name="case_review"),
    path("cases/<uuid:public_id>/images/<uuid:image_id>.jpg", views.case_image, name="case_image"),
    path("certificates/<uuid:public_id>/", views.certificate_detail, name="certificate"),
    path("certificates/<uuid:public_id>.pdf", views.certificate_download, name="certificate_pdf"),
    path("certificates/<uuid:public_id>/revoke/", views.certificate_revoke_view, name="revoke"),
    path("certificates/jwks.json", views.certificate_keys, name="certificate_keys"),
]
