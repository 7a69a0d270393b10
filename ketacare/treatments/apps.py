from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketacare.treatments"
    label = "treatments"

    def ready(self) -> None:
        # Imported here, not at the top: selectors import models, which load only once the app
        # registry is ready.
        from ketacare.patients import facts
        from ketacare.treatments import selectors
        from ketacare.treatments.selectors.clinic import clinic_booked_starts

        # The dosing facts sibling record apps read (docs/decisions/0010-floors-and-patient-facts.md),
        # and the clinic's booked visits its settings page reads before a time-zone change.
        facts.provide(
            "treatments",
            patient_doses=selectors.patient_doses,
            last_dose=selectors.last_dose,
            last_dose_start=selectors.last_dose_start,
            next_appointment=selectors.next_appointment,
            upcoming_appointments=selectors.upcoming_appointments,
            patient_route=selectors.patient_route,
            maintenance_started_at=selectors.maintenance_started_at,
            at_the_clinic=selectors.at_the_clinic,
            clinic_booked_starts=clinic_booked_starts,
        )
