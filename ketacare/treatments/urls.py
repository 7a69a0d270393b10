from django.urls import path

from ketacare.treatments import views

app_name = "treatments"

S = "clinic/sessions/<str:session_id>/"

urlpatterns = [
    path("clinic/today/", views.clinic_day, name="day"),
    path("clinic/rems/", views.rems_forms_due, name="rems_due"),
    path("clinic/patients/<str:patient_id>/plan/", views.plan, name="plan"),
    path("clinic/patients/<str:patient_id>/appointments.ics", views.plan_ics, name="plan_ics"),
    path("clinic/patients/<str:patient_id>/plan/end/", views.end_plan, name="end_plan"),
    path(
        "clinic/patients/<str:patient_id>/plan/maintenance/",
        views.book_maintenance,
        name="book_maintenance",
    ),
    path(
        "clinic/patients/<str:patient_id>/appointments/<str:appointment_id>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(S, views.run_sheet, name="run_sheet"),
    path(S + "check-in/", views.check_in, name="check_in"),
    path(S + "check-in/confirmations/", views.check_in_confirmations, name="check_in_confirmations"),
    path(
        S + "questionnaires/<str:assignment_id>/",
        views.pre_dose_questionnaire,
        name="pre_dose_questionnaire",
    ),
    path(
        S + "questionnaires/<str:assignment_id>/skip/",
        views.pre_dose_questionnaire_skip,
        name="pre_dose_questionnaire_skip",
    ),
    path(S + "vitals/", views.vitals, name="vitals"),
    path(S + "hold-override/", views.hold_override, name="hold_override"),
    path(S + "doses/", views.dose, name="dose"),
    path(S + "doses/end/", views.end_dosing, name="end_dosing"),
    path(S + "observations/", views.observation, name="observation"),
    path(S + "adverse-events/", views.adverse_event, name="adverse_event"),
    path(S + "entered-in-error/", views.entered_in_error, name="entered_in_error"),
    path(S + "discharge/", views.discharge, name="discharge"),
    path(S + "cancel/", views.cancel, name="cancel"),
    path(S + "instructions/", views.discharge_instructions, name="instructions"),
    path(S + "instructions.pdf", views.discharge_instructions_pdf, name="instructions_pdf"),
    path(S + "rems/", views.rems_form, name="rems_form"),
    path(S + "rems.csv", views.rems_form_csv, name="rems_csv"),
    path(S + "rems.pdf", views.rems_form_pdf, name="rems_pdf"),
    path("me/appointments/", views.my_appointments, name="my_appointments"),
    path("me/appointments.ics", views.my_appointments_ics, name="my_appointments_ics"),
]
