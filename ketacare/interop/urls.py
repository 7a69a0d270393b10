from django.urls import path

from ketacare.interop import views

app_name = "interop"

urlpatterns = [
    path("me/records/", views.records, name="records"),
    path("me/records/fhir.json", views.records_fhir, name="records_fhir"),
    path("me/records/records.csv", views.records_csv, name="records_csv"),
    path("me/records/summary.pdf", views.records_pdf, name="records_pdf"),
]
