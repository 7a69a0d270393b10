from django.apps import AppConfig


class VigilanceConfig(AppConfig):
    name = "ketacare.vigilance"
    label = "vigilance"

    def ready(self) -> None:
        from ketacare.questionnaires.signals import response_stored
        from ketacare.vigilance.course_signals import on_response_stored

        # A new score runs the course rules in the submission's own transaction.
        response_stored.connect(on_response_stored, dispatch_uid="vigilance.course_signals")
        from ketacare.vigilance import scheduled

        # A positive bladder or misuse check alerts in the same transaction (decision 0012 rule 20).
        response_stored.connect(scheduled.on_response_stored, dispatch_uid="vigilance.periodic_checks")
