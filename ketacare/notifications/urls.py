from django.urls import path

from ketacare.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.preferences, name="preferences"),
    path("me/notifications/push/", views.push_subscription, name="push_subscription"),
    path("sms/twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
