from django.urls import path

from ketacare.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("clinic/outcomes/", views.outcomes_page, name="page"),
    path("clinic/outcomes/export.csv", views.outcomes_csv, name="csv"),
    path("clinic/patients/<str:patient_id>/timeline/", views.patient_timeline_view, name="timeline"),
]
