from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "ketacare.register"
    label = "register"

    def ready(self) -> None:
        from ketacare.ops.exports import register
        from ketacare.register.exports import REGISTER_PDF
        from ketacare.register.services import on_dose_recorded, open_draw_criteria
        from ketacare.treatments.signals import discharge_criteria, dose_recorded

        # Every dose recorded at a register clinic posts (or is refused) in the dose's own transaction,
        # so the dosing record and the register cannot disagree (docs/decisions/0021).
        dose_recorded.connect(on_dose_recorded, dispatch_uid="register.administration")
        # A draw of the session still open is an unmet discharge criterion (controlled_drug_open).
        discharge_criteria.connect(open_draw_criteria, dispatch_uid="register.open_draws")
        # Long reports' PDFs, prepared by the task queue.
        register(REGISTER_PDF)
