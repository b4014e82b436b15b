from django.urls import path, re_path

from caunoi.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path(
        ".well-known/smart-configuration",
        views.smart_configuration,
        name="smart_configuration",
    ),
    path("auth/token", views.smart_token, name="token"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.type_endpoint, name="type"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)/_history$", views.type_history, name="history"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<ident>[A-Za-z0-9\-.]{1,64})$",
        views.instance_endpoint,
        name="instance",
    ),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<ident>[A-Za-z0-9\-.]{1,64})/_history/"
        r"(?P<version>[A-Za-z0-9\-.]{1,64})$",
        views.instance_endpoint,
        name="vread",
    ),
    # Anything else under the base: an OperationOutcome, not the site's HTML 404 page.
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
