from django.urls import path

from ketacare.questionnaires import views

app_name = "questionnaires"

urlpatterns = [
    path("me/questionnaires/", views.due, name="due"),
    path("me/questionnaires/<str:instrument>/", views.fill, name="fill"),
    path("me/progress/", views.progress, name="progress"),
    path("clinic/settings/questionnaires/", views.policy, name="policy"),
    path("clinic/patients/<str:patient_id>/progress/", views.staff_progress, name="staff_progress"),
]
