from django.urls import path

from ketacare.ops import views

app_name = "ops"

urlpatterns = [
    path("", views.mail_status, name="mail"),
    path("test/", views.send_test_email, name="mail_test"),
    path("<str:message_id>/retry/", views.retry_message, name="mail_retry"),
]
