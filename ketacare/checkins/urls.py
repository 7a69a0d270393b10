from django.urls import path

from ketacare.checkins import views

app_name = "checkins"

urlpatterns = [
    path("me/checkin/", views.checkin, name="checkin"),
    # The answer to one sent check-in, where the form sends the browser (Post/Redirect/Get).
    path("me/checkin/results/<str:checkin_id>/", views.result, name="result"),
    path("me/symptoms/", views.episode, name="episodes"),
    path("me/preparation/", views.preparation, name="preparation"),
    path("clinic/patients/<str:patient_id>/checkins/", views.staff_checkins, name="staff_checkins"),
    path(
        "clinic/patients/<str:patient_id>/checkins/close/",
        views.staff_close_episode,
        name="staff_close_episode",
    ),
]
