from django.urls import path

from ketacare.patients import views

app_name = "patients"

urlpatterns = [
    path("clinic/patients/", views.patient_list, name="list"),
    path("clinic/patients/<str:patient_id>/", views.patient_detail, name="detail"),
]
