from django.urls import path

from ketacare.journal import views

app_name = "journal"

urlpatterns = [
    path("me/journal/", views.journal, name="journal"),
    path("me/learn/", views.learn, name="learn"),
    path("clinic/patients/<str:patient_id>/journal/", views.staff_journal, name="staff_journal"),
]
