from django.urls import path

from ketacare.interop import views, views_webhooks

app_name = "interop"

urlpatterns = [
    path("me/records/", views.records, name="records"),
    path("me/records/fhir.json", views.records_fhir, name="records_fhir"),
    path("me/records/records.csv", views.records_csv, name="records_csv"),
    path("me/records/summary.pdf", views.records_pdf, name="records_pdf"),
    path("clinic/webhooks/", views_webhooks.webhooks, name="webhooks"),
    path("clinic/webhooks/<str:webhook_id>/", views_webhooks.webhook, name="webhook"),
    path("clinic/webhooks/<str:webhook_id>/disable/", views_webhooks.webhook_disable, name="webhook_disable"),
]
