from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "ketacare.checkins"
    label = "checkins"

    def ready(self) -> None:
        from ketacare.checkins import facts_provided
        from ketacare.patients import facts

        facts.provide(
            "checkins",
            red_flags_since=facts_provided.red_flags_since,  # docs/decisions/0013
            next_dose_hold=facts_provided.next_dose_hold,  # docs/decisions/0012 rule 9
        )
