"""The patient's confirm/cancel link for an appointment, no login (mounted at a/)."""

from django.urls import URLPattern

app_name = "appointment_link"

urlpatterns: list[URLPattern] = []
