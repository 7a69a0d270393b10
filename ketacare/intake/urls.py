from django.urls import path

from ketacare.intake import views

app_name = "intake"

_base = "clinic/patients/<str:patient_id>/intake/"

urlpatterns = [
    path(_base, views.intake_page, name="page"),
    path(_base + "demographics/", views.save_demographics, name="demographics"),
    path(_base + "weight/", views.save_weight, name="weight"),
    path(_base + "medications/", views.save_medications, name="medications"),
    path(_base + "medications/flags/", views.medication_flags, name="medication_flags"),
    path(_base + "medications/classify/", views.classify_medicine, name="classify_medicine"),
    path(_base + "screening/", views.save_screening, name="screening"),
    path(_base + "screening/decision/", views.decide_eligibility, name="decision"),
    path(_base + "consent/", views.save_consent, name="consent"),
    path(_base + "consent/withdraw/", views.withdraw_consent, name="consent_withdraw"),
    path(_base + "baseline/", views.save_baseline, name="baseline"),
    path(_base + "entered-in-error/", views.entered_in_error, name="entered_in_error"),
]
