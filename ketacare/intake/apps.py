from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ketacare.intake"
    label = "intake"

    def ready(self) -> None:
        from ketacare.intake import selectors
        from ketacare.patients import facts

        # The intake facts sibling record apps read (docs/decisions/0010).
        facts.provide(
            "intake",
            patient_sex=selectors.patient_sex,
            recorded_sex=selectors.recorded_sex,
            patient_conditions=selectors.patient_conditions,
            intake_baselines=selectors.intake_baselines,
            plan_gate_facts=selectors.plan_gate_facts,
            latest_weight=selectors.latest_weight,
            eligibility_precautions=selectors.eligibility_precautions,
        )
