from django.urls import path

from ketacare.questionnaires import views

app_name = "questionnaires"

urlpatterns = [
    path("me/questionnaires/", views.due, name="due"),
    path("me/questionnaires/results/<str:response_id>/", views.result, name="result"),
    path("me/questionnaires/<str:instrument>/", views.fill, name="fill"),
    path("clinic/settings/questionnaires/", views.policy, name="policy"),
]
