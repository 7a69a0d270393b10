"""Top-level URL map: every route here is listed in the authorisation matrix (tests/security)."""

from django.urls import include, path

from ketacare import views
from ketacare.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("ketacare.accounts.urls")),
    path("clinic/", include("ketacare.clinics.urls")),
    path("clinic/audit/", include("ketacare.audit.urls")),
    path("", include("ketacare.patients.urls")),
    path("api/v1/", api.urls),
]
