from django.urls import path

from ketacare.companion import views

app_name = "companion"

urlpatterns = [
    path("me/", views.patient_home, name="home"),
    path("me/progress/", views.progress, name="progress"),
    path("clinic/patients/<str:patient_id>/progress/", views.staff_progress, name="staff_progress"),
]
