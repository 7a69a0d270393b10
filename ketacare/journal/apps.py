from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "ketacare.journal"
    label = "journal"
