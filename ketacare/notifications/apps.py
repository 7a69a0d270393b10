from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ketacare.notifications"
    label = "notifications"
