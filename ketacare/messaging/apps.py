from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ketacare.messaging"
    label = "messaging"
