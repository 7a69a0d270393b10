from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ketacare.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", login_not_required(views.LoginView.as_view()), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("mfa/", views.mfa, name="mfa"),
    path("security/", views.security, name="security"),
    path("me/", views.my_account, name="my_account"),
    # Reached from e-mailed links, signed out (each view is login_not_required).
    path("invitation/<str:token>/", views.staff_invitation, name="staff_invitation"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("reset/<str:user_id>/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
]
