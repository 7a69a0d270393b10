from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "ketacare.support"
    label = "support"
