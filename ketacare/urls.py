"""Top-level URL map: every route here is listed in the authorisation matrix (tests/security)."""

from django.urls import include, path

from ketacare import metrics, views
from ketacare.api import api

urlpatterns = [
    # The API and FHIR prefixes first: no page shares them, and the API's calls (check-ins above all)
    # are the busiest; after every page's pattern, failing the others was 7% of a check-in's time.
    path("api/v1/", api.urls),
    path("fhir/R4/", include("ketacare.interop.fhir_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", metrics.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/", include("ketacare.accounts.urls")),
    path("clinic/", include("ketacare.clinics.urls")),
    path("clinic/audit/", include("ketacare.audit.urls")),
    path("", include("ketacare.ops.urls")),
    path("", include("ketacare.patients.urls")),
    path("", include("ketacare.alerts.urls")),
    path("", include("ketacare.intake.urls")),
    path("", include("ketacare.treatments.urls")),
    path("", include("ketacare.checkins.urls")),
    path("", include("ketacare.questionnaires.urls")),
    path("", include("ketacare.journal.urls")),
    path("", include("ketacare.messaging.urls")),
    path("", include("ketacare.notifications.urls")),
    path("", include("ketacare.interop.urls")),
    path("", include("ketacare.outcomes.urls")),
    path("", include("ketacare.companion.urls")),
    path("", include("ketacare.support.urls")),
    path("", include("ketacare.register.urls")),
]
