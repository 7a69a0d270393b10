from django.urls import path

from ketacare.support import views

app_name = "support"

urlpatterns = [
    path("me/support/", views.manage, name="manage"),
    path("support/open/<str:token>/", views.accept, name="accept"),
    path("support/", views.page, name="page"),
    path("support/checkin/", views.checkin, name="checkin"),
    # The care team records a patient's message as a check-in: messaging and checkins are sibling
    # record apps, so the view that uses both lives on this floor (docs/decisions/0020).
    path(
        "clinic/patients/<str:patient_id>/messages/<str:message_id>/checkin/",
        views.message_checkin,
        name="message_checkin",
    ),
]
