from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketacare.questionnaires"
    label = "questionnaires"
