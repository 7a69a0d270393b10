from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketacare.questionnaires"
    label = "questionnaires"

    def ready(self) -> None:
        from ketacare.patients import facts
        from ketacare.questionnaires import facts_provided, selectors, services

        # The questionnaire facts and writes the run-sheet and intake use (docs/decisions/0010).
        facts.provide(
            "questionnaires",
            due_assignments=selectors.due_assignments,
            schedule_before_session=services.schedule_before_session,
            before_session_assignments=selectors.before_session_assignments,
            responses_since=selectors.responses_since,
            lock_assignment=selectors.lock_assignment,
            submit_questionnaire=services.submit_questionnaire,
            cancel_assignment=services.cancel_assignment,
        )
        facts.provide("questionnaires", suicide_risk_since=facts_provided.suicide_risk_since)
