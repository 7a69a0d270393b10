from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketacare.audit"
    label = "audit"

    def ready(self) -> None:
        # Registers the deployment checks of the keys that protect the audit chain and the sessions.
        from ketacare.audit import checks  # noqa: F401
        from ketacare.audit.exports import AUDIT_CSV
        from ketacare.ops.exports import register

        # The whole audit trail as CSV, prepared by the task queue when it is large.
        register(AUDIT_CSV)
