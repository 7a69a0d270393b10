from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketacare.audit"
    label = "audit"

    def ready(self) -> None:
        # Registers the deployment checks of the keys that protect the audit chain and the sessions.
        from ketacare.audit import checks  # noqa: F401
