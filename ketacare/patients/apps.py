from typing import Any

from django.apps import AppConfig
from django.core import checks

from ketacare.patients import facts


class PatientsConfig(AppConfig):
    name = "ketacare.patients"
    label = "patients"

    def ready(self) -> None:
        checks.register(_every_patient_fact_has_a_provider)


def _every_patient_fact_has_a_provider(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"no installed app provides the patient fact {name!r}",
            hint=f"{facts.PROVIDERS[name]!r} registers it in its AppConfig.ready (docs/decisions/0010)",
            id="ketacare.E010",
        )
        for name in facts.missing()
    ]
