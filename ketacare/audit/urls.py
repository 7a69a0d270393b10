from django.urls import path

from ketacare.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_report, name="report"),
    path("export.csv", views.audit_csv, name="csv"),
    path("export/", views.audit_export, name="export"),
]
