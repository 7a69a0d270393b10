from typing import Any

from django.apps import AppConfig
from django.db.models import Count, Q

from ketacare.patients import facts


class AlertsConfig(AppConfig):
    name = "ketacare.alerts"
    label = "alerts"

    def ready(self) -> None:
        # The models and selectors can be imported only once the app registry is ready.
        from ketacare.alerts.models import Alert
        from ketacare.alerts.selectors import SEVERITY_RANK

        def open_alert_counts(patient: Any) -> list[facts.OpenAlerts]:
            """The patient's unresolved alerts by severity, in the inbox's order (one grouped query)."""
            rows = (
                Alert.objects.filter(patient=patient, clinic_id=patient.clinic_id)
                .exclude(state=Alert.State.RESOLVED)
                .values("severity")
                .annotate(
                    count=Count("pk"), acknowledged=Count("pk", filter=Q(state=Alert.State.ACKNOWLEDGED))
                )
                .order_by()
            )
            counts = [
                facts.OpenAlerts(
                    severity=row["severity"],
                    label=Alert.Severity(row["severity"]).label
                    if row["severity"] in Alert.Severity.values
                    else row["severity"],
                    count=row["count"],
                    acknowledged=row["acknowledged"],
                )
                for row in rows
            ]
            rank = {str(severity): place for severity, place in SEVERITY_RANK.items()}
            return sorted(counts, key=lambda c: rank.get(c.severity, len(rank)))

        facts.provide("alerts", open_alert_counts=open_alert_counts)
