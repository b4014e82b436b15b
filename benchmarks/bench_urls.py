"""The platform's URLs plus `/_bench/bare`: a Django view that reads one row and answers a few
bytes, which shows in the same run what the serving set-up alone costs (see serving.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from caunoi.places.models import Province


def bare(request: HttpRequest) -> HttpResponse:
    province = Province.objects.order_by("code").only("code").first()
    return HttpResponse(str(province.code if province else 0), content_type="text/plain")


urlpatterns = [
    path("_bench/bare", bare),
    path("", include("caunoi.config.urls")),
]
