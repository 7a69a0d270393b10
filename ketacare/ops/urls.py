from django.urls import path

from ketacare.ops import views

app_name = "ops"

urlpatterns = [
    path("clinic/mail/", views.mail_status, name="mail"),
    path("clinic/mail/test/", views.send_test_email, name="mail_test"),
    path("clinic/mail/<str:message_id>/retry/", views.retry_message, name="mail_retry"),
    path("exports/<str:export_id>/", views.export_status, name="export"),
    path("exports/<str:export_id>/download", views.export_download, name="export_download"),
]
