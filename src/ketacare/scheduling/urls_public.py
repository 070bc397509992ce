"""The patient's confirm/cancel link for an appointment, and its "I need help now", no login
(mounted at a/)."""

from django.urls import path

from ketacare.scheduling import views_public as views

app_name = "appointment_link"

urlpatterns = [
    path("<str:token>/", views.open_link, name="open"),
    path("<str:token>/help/", views.help_now, name="help"),
]
