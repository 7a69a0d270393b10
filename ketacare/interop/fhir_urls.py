"""URLs of the FHIR R4 API (/fhir/R4/), namespace "fhir"; each is in the authorisation matrix."""

from django.urls import path

from ketacare.interop import fhir_bulk_views, fhir_views
from ketacare.interop.services import FHIR_TYPES

app_name = "fhir"

urlpatterns = [
    path("metadata", fhir_views.metadata, name="metadata"),
    path(".well-known/smart-configuration", fhir_views.smart_configuration, name="smart_configuration"),
    path("auth/token", fhir_views.token, name="token"),
    path("$export", fhir_bulk_views.export, name="export"),
    path("$export-status/<uuid:job_id>", fhir_bulk_views.export_status, name="export_status"),
    path(
        "$export-file/<uuid:job_id>/<str:resource_type>.ndjson",
        fhir_bulk_views.export_file,
        name="export_file",
    ),
    path("Patient/<str:patient_id>/$everything", fhir_views.everything, name="everything"),
    # One named search route per served type (the matrix reaches each without arguments).
    *[path(kind, fhir_views.search, {"resource_type": kind}, name=f"search_{kind}") for kind in FHIR_TYPES],
    path("<str:resource_type>/<str:resource_id>", fhir_views.read, name="read"),
]
