from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ketacare.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", login_not_required(views.LoginView.as_view()), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("mfa/", views.mfa, name="mfa"),
]
