from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "ketacare.interop"
    label = "interop"

    def ready(self) -> None:
        # Alerts are a lower floor: they announce new and escalated alerts; webhooks listen here.
        from ketacare.interop.webhooks import connect

        connect()
