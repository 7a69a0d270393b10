from django.urls import path

from ketacare.alerts import views

app_name = "alerts"

# The clinic inbox; check-ins, questionnaires and the vigilance rules raise the alerts.
urlpatterns = [
    path("clinic/alerts/", views.inbox, name="inbox"),
    path("clinic/alerts/policy/", views.policy, name="policy"),
    path("clinic/alerts/<str:alert_id>/", views.alert_detail, name="detail"),
    path("clinic/alerts/<str:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("clinic/alerts/<str:alert_id>/resolve/", views.resolve, name="resolve"),
]
