from django.urls import path

from ketacare.support import views

app_name = "support"

urlpatterns = [
    path("me/support/", views.manage, name="manage"),
    path("support/open/<str:token>/", views.accept, name="accept"),
    path("support/", views.page, name="page"),
    path("support/checkin/", views.checkin, name="checkin"),
]
