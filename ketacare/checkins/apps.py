from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "ketacare.checkins"
    label = "checkins"
