from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketacare.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        # Imported here: models load only once the app registry is ready.
        from django.db.models.signals import post_delete, post_save

        from ketacare.intake.models import BaselineScore
        from ketacare.outcomes.services import (
            refresh_funnel_on_appointment_change,
            refresh_funnel_on_session_change,
            refresh_summary_on_save,
        )
        from ketacare.questionnaires.models import QuestionnaireResponse
        from ketacare.treatments.models import Appointment, TreatmentSession

        # Every save of a response (stored, or corrected to entered in error) refreshes the patient's
        # course summary in the same transaction. post_save rather than questionnaires'
        # response_stored: that one is not sent for a batch of past scores or for a correction.
        post_save.connect(
            refresh_summary_on_save, sender=QuestionnaireResponse, dispatch_uid="outcomes_course_summary"
        )
        # An intake baseline is a score of the series too (docs/decisions/0030): entered, or marked
        # entered in error, it refreshes the row the same way.
        post_save.connect(
            refresh_summary_on_save, sender=BaselineScore, dispatch_uid="outcomes_course_summary_baseline"
        )
        # The drop-out funnel's per-plan count, kept the same way: an appointment created, changed or
        # deleted, and a session discharged (what completes its appointment, outcomes.funnel_sql).
        post_save.connect(
            refresh_funnel_on_appointment_change,
            sender=Appointment,
            dispatch_uid="outcomes_funnel_appointment",
        )
        post_delete.connect(
            refresh_funnel_on_appointment_change,
            sender=Appointment,
            dispatch_uid="outcomes_funnel_appointment_gone",
        )
        post_save.connect(
            refresh_funnel_on_session_change,
            sender=TreatmentSession,
            dispatch_uid="outcomes_funnel_session",
        )
        post_delete.connect(
            refresh_funnel_on_session_change,
            sender=TreatmentSession,
            dispatch_uid="outcomes_funnel_session_gone",
        )
