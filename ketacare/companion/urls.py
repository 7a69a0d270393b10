from django.urls import path

from ketacare.companion import views

app_name = "companion"

urlpatterns = [
    path("me/", views.patient_home, name="home"),
    path("me/progress/", views.progress, name="progress"),
    path("me/instructions/", views.instructions, name="instructions"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("clinic/patients/<str:patient_id>/progress/", views.staff_progress, name="staff_progress"),
]
