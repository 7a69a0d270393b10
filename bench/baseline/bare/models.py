from django.db import models


class Note(models.Model):
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
