from django.urls import path

from ketacare.messaging import views

app_name = "messaging"

urlpatterns = [
    path("me/messages/", views.patient_thread, name="thread"),
    path("clinic/messages/", views.inbox, name="inbox"),
    path("clinic/patients/<str:patient_id>/messages/", views.staff_thread, name="staff_thread"),
    path(
        "clinic/patients/<str:patient_id>/messages/<str:message_id>/alert/",
        views.to_alert,
        name="to_alert",
    ),
]
