from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ketacare.patients import views

app_name = "patients"

urlpatterns = [
    path("clinic/patients/", views.patient_list, name="list"),
    path("clinic/patients/new/", views.patient_new, name="new"),
    path("clinic/patients/<str:patient_id>/", views.patient_detail, name="detail"),
    path("clinic/patients/<str:patient_id>/edit/", views.patient_edit, name="edit"),
    path("clinic/patients/<str:patient_id>/archive/", views.patient_archive, name="archive"),
    path("clinic/patients/<str:patient_id>/restore/", views.patient_restore, name="restore"),
    path("clinic/patients/<str:patient_id>/invite/", views.patient_invite, name="invite"),
    # The patient's own pages.
    path("me/clinic/", views.my_clinic, name="my_clinic"),
    # Reached from the e-mailed invitation, signed out.
    path("welcome/<str:token>/", login_not_required(views.accept_invitation), name="accept_invitation"),
]
