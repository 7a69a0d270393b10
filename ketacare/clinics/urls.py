from django.urls import path

from ketacare.clinics import views

app_name = "clinics"

urlpatterns = [
    path("switch/", views.switch_clinic, name="switch"),
    path("settings/", views.clinic_settings, name="settings"),
    path("protocols/", views.protocols, name="protocols"),
    path("staff/", views.staff, name="staff"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path(
        "staff/invitations/<str:invitation_id>/resend/",
        views.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "staff/invitations/<str:invitation_id>/withdraw/",
        views.staff_invitation_withdraw,
        name="staff_invitation_withdraw",
    ),
    path("staff/<str:membership_id>/role/", views.staff_role, name="staff_role"),
    path("staff/<str:membership_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<str:membership_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<str:membership_id>/reset-second-factor/",
        views.staff_reset_second_factor,
        name="staff_reset_second_factor",
    ),
]
