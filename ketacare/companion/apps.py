from django.apps import AppConfig


class CompanionConfig(AppConfig):
    name = "ketacare.companion"
    label = "companion"
